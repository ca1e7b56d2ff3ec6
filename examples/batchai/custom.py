"""A Batch AI custom toolkit job's program: it finds what its job preparation left in the job
mount root, counts the rows of its input, and writes the result to its output folder."""
import argparse, os

parser = argparse.ArgumentParser()
parser.add_argument('--data', required=True)
parser.add_argument('--out', required=True)
args = parser.parse_args()
ready = open(os.path.join(os.environ['AZ_BATCHAI_JOB_MOUNT_ROOT'], 'cache', 'ready.txt')).read().strip()
rows = sum(1 for _ in open(os.path.join(args.data, 'numbers.csv'))) - 1
with open(os.path.join(args.out, 'result.txt'), 'w') as f:
    f.write(f'{ready}: {rows} rows\n')
print(f'{ready}: {rows} rows', flush=True)
