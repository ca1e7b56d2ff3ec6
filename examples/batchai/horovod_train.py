"""A Batch AI Horovod job's script, with the standard library only: Horovod runs over MPI, so
each process reads its rank from the OMPI_COMM_WORLD_* variables (hvd.rank(), hvd.size())."""
import argparse, os

parser = argparse.ArgumentParser()
parser.add_argument('--steps', type=int, default=1)
args = parser.parse_args()
rank, size = int(os.environ['OMPI_COMM_WORLD_RANK']), int(os.environ['OMPI_COMM_WORLD_SIZE'])
for step in range(args.steps):
    print(f'rank {rank}/{size} step {step}', flush=True)
assert os.environ['API_KEY'], 'the secret is set'
if rank == 0:
    out = os.environ['AZ_BATCHAI_OUTPUT_MODEL']
    os.makedirs(out, exist_ok=True)
    with open(os.path.join(out, 'checkpoint.txt'), 'w') as f:
        f.write(f'{args.steps} steps on {size} processes\n')
