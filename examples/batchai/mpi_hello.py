"""A Batch AI custom MPI job's program: each process says its place in the MPI world (the
OMPI_COMM_WORLD_* variables Open MPI sets) and writes it to the output folder."""
import argparse, os

parser = argparse.ArgumentParser()
parser.add_argument('--out', required=True)
args = parser.parse_args()
rank, size = os.environ['OMPI_COMM_WORLD_RANK'], os.environ['OMPI_COMM_WORLD_SIZE']
local = os.environ['OMPI_COMM_WORLD_LOCAL_RANK']
os.makedirs(args.out, exist_ok=True)
with open(os.path.join(args.out, f'rank-{rank}.txt'), 'w') as f:
    f.write(f'rank {rank} of {size}, local rank {local}\n')
print(f'hello from rank {rank} of {size} (local {local})', flush=True)
