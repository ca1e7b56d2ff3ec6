"""A Batch AI PyTorch job's script, with the standard library only: the processes meet at
MASTER_ADDR:MASTER_PORT as torch.distributed would (rank 0 listens, the others connect), each
sums its share of the data, and rank 0 writes the total to the model folder."""
import argparse, csv, json, os, socket, time

parser = argparse.ArgumentParser()
parser.add_argument('--epochs', type=int, default=1)
parser.add_argument('--data')
parser.add_argument('--model-dir')
args = parser.parse_args()

rank, world = int(os.environ['RANK']), int(os.environ['WORLD_SIZE'])
with open(os.path.join(args.data, 'numbers.csv')) as f:
    rows = list(csv.DictReader(f))
mine = sum(int(r['y']) for i, r in enumerate(rows) if i % world == rank)
print(f'rank {rank} of {world} (node {os.environ["NODE_RANK"]}, local {os.environ["LOCAL_RANK"]}): partial sum {mine}, lr {os.environ["LEARNING_RATE"]}', flush=True)

addr, port = os.environ['MASTER_ADDR'], int(os.environ['MASTER_PORT'])
if rank == 0:
    server = socket.socket()
    server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    server.bind((addr, port)); server.listen(world); server.settimeout(60)
    total = mine
    for _ in range(world - 1):
        conn, _ = server.accept()
        total += int(conn.recv(32).decode()); conn.close()
    os.makedirs(args.model_dir, exist_ok=True)
    with open(os.path.join(args.model_dir, 'model.json'), 'w') as f:
        json.dump({'total': total, 'epochs': args.epochs, 'world_size': world}, f)
    print(f'total {total} from {world} processes', flush=True)
else:
    for _ in range(600):
        try:
            conn = socket.create_connection((addr, port), timeout=5)
            break
        except OSError:
            time.sleep(0.05)
    conn.sendall(str(mine).encode()); conn.close()
