"""A Batch AI TensorFlow job's script, with the standard library only: the parameter server
listens at its TF_CONFIG address and serves until it is stopped; each worker reaches it and
worker 0 writes what it learned to the model folder."""
import argparse, json, os, socket, time

parser = argparse.ArgumentParser()
parser.add_argument('--role', required=True)
parser.add_argument('--model-dir')
args = parser.parse_args()

config = json.loads(os.environ['TF_CONFIG'])
task = config['task']
host, port = config['cluster']['ps'][0].split(':')
print(f'{args.role}: task {task["type"]} {task["index"]} of cluster {json.dumps(config["cluster"], sort_keys=True)}', flush=True)
if task['type'] == 'ps':
    server = socket.socket()
    server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    server.bind((host, int(port))); server.listen(8)
    while True:
        conn, _ = server.accept(); conn.sendall(b'weights=42'); conn.close()
for _ in range(600):
    try:
        conn = socket.create_connection((host, int(port)), timeout=5)
        break
    except OSError:
        time.sleep(0.05)
weights = conn.recv(32).decode(); conn.close()
print(f'worker {task["index"]} got {weights}', flush=True)
if task['index'] == 0:
    os.makedirs(args.model_dir, exist_ok=True)
    with open(os.path.join(args.model_dir, 'weights.txt'), 'w') as f:
        f.write(weights + '\n')
