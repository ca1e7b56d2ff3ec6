/**
 * Distributed runs that really run: every process of a PyTorch, MPI or TensorFlow run started on
 * this machine with the variables Azure ML sets, rank 0 and the others talking over MASTER_PORT,
 * one log per process, a failed process stopping the others, cancel stopping all, and the follow
 * of every rank's log with its prefix.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { startEmulator, create, AzureMLRunFailedError, type Emulator } from '../src';
import { processLogsOf } from '../src/workflow/run-log';
import { readmeBlocks, runBlocks } from './helpers/readme-blocks';

const WS = { subscriptionId: '00000000-1111-2222-3333-444444444444', resourceGroupName: 'rg', workspaceName: 'dist-ws', experimentName: 'dist' };

let emulator: Emulator;
let scratch: string;
let project: string;
const client = () => create({ access_token: 't', host: emulator.url, management_host: emulator.url }, { retry: { maxRetries: 0 }, workspace: WS });

const TALK = `
import json, os, socket, sys, time
rank = int(os.environ['RANK']); world = int(os.environ['WORLD_SIZE'])
addr = os.environ['MASTER_ADDR']; port = int(os.environ['MASTER_PORT'])
print('env', json.dumps({k: os.environ[k] for k in ['RANK', 'LOCAL_RANK', 'NODE_RANK', 'WORLD_SIZE', 'LOCAL_WORLD_SIZE', 'MASTER_ADDR']}, sort_keys=True), flush=True)
if rank == 0:
    server = socket.socket(); server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    server.bind((addr, port)); server.listen(world); server.settimeout(20)
    heard = []
    for _ in range(world - 1):
        conn, _ = server.accept(); heard.append(conn.recv(100).decode()); conn.sendall(b'ack'); conn.close()
    print('rank 0 heard:', ' | '.join(sorted(heard)), flush=True)
else:
    for _ in range(400):
        try:
            conn = socket.create_connection((addr, port), timeout=5); break
        except OSError:
            time.sleep(0.05)
    conn.sendall(('hello from rank %d' % rank).encode()); print('rank', rank, 'got', conn.recv(10).decode(), flush=True); conn.close()
`;

/** Writes its pid, then fails (rank FAILING_RANK, once every process has started) or waits (bounded) to be stopped. */
const FAIL_ONE = `
import os, sys, time
rank = os.environ.get('RANK') or os.environ.get('OMPI_COMM_WORLD_RANK')
world = int(os.environ.get('WORLD_SIZE') or os.environ.get('OMPI_COMM_WORLD_SIZE'))
pids = os.environ['PID_DIR']
open(os.path.join(pids, 'pid-' + rank), 'w').write(str(os.getpid()))
if rank == os.environ.get('FAILING_RANK'):
    for _ in range(2000):
        if len(os.listdir(pids)) >= world: break
        time.sleep(0.01)
    print('rank', rank, 'gives up', file=sys.stderr, flush=True)
    sys.exit(3)
for _ in range(3000):
    time.sleep(0.01)
`;

beforeAll(async () => {
  scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'azureml-dist-'));
  project = path.join(scratch, 'project');
  fs.mkdirSync(project);
  fs.writeFileSync(path.join(project, 'talk.py'), TALK);
  fs.writeFileSync(path.join(project, 'fail_one.py'), FAIL_ONE);
  fs.writeFileSync(
    path.join(project, 'long_line.py'),
    // The long line is read (and given, past 64 KiB) before its end is written: the wait lets a poll fall between.
    "import os, sys, time\nif os.environ['RANK'] == '1':\n    sys.stdout.write('x' * 200000); sys.stdout.flush(); time.sleep(0.6)\n    print('end', flush=True)\nelse:\n    print('short', flush=True)\n    sys.stdout.write('no newline at the end'); sys.stdout.flush()\n",
  );
  fs.writeFileSync(
    path.join(project, 'env.py'),
    "import os\nfor k in sorted(os.environ):\n    if k.startswith('OMPI_') or k in ('TF_CONFIG', 'NODE_RANK'):\n        print(k, os.environ[k])\n",
  );
  // The parameter server listens on its address and serves until it is stopped; each worker reaches it first.
  fs.writeFileSync(
    path.join(project, 'tf.py'),
    [
      'import json, os, socket, time',
      "c = json.loads(os.environ['TF_CONFIG'])",
      'print(json.dumps(c, sort_keys=True), flush=True)',
      "host, port = c['cluster']['ps'][0].split(':')",
      "if c['task']['type'] == 'ps':",
      '    server = socket.socket(); server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)',
      '    server.bind((host, int(port))); server.listen(8)',
      '    while True:',
      "        conn, _ = server.accept(); conn.sendall(b'ps'); conn.close()",
      'for _ in range(400):',
      '    try:',
      '        conn = socket.create_connection((host, int(port)), timeout=5); break',
      '    except OSError:',
      '        time.sleep(0.05)',
      "print('worker reached', conn.recv(2).decode(), flush=True)",
      '',
    ].join('\n'),
  );
  emulator = await startEmulator({ dataDir: path.join(scratch, 'data'), killGraceMs: 500, maxProcessesPerRun: 8 });
});
afterAll(async () => {
  await emulator.close();
  fs.rmSync(scratch, { recursive: true, force: true });
});

async function logOf(runId: string, file: string): Promise<string> {
  return (await client().getRunLog(runId, { file })).log;
}

/** Whether the process is still running: a zombie (ended, not yet reaped by an init that may never reap) is not. */
function alive(pid: number): boolean {
  try {
    return !/^\d+ \(.*\) Z/.test(fs.readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return false;
  }
}

describe('PyTorch (v1: nodeCount, communicator Gloo, mpi.processCountPerNode)', () => {
  it('starts 2 nodes x 2 processes with the PyTorch variables; ranks 1 to 3 reach rank 0 over MASTER_PORT; one log per process', async () => {
    const run = await client().submitRun({
      project,
      definition: { configuration: { script: 'talk.py', framework: 'PyTorch', communicator: 'Gloo', nodeCount: 2, mpi: { processCountPerNode: 2 } } },
    });
    const details = await client().waitForRun(run.runId, { initialIntervalMs: 50 });
    expect(details.status).toBe('Completed');
    expect(Object.keys(details.logFiles ?? {}).sort()).toEqual([0, 1, 2, 3].map((r) => `azureml-logs/70_driver_log_${r}.txt`));
    const logs = await Promise.all([0, 1, 2, 3].map((r) => logOf(run.runId, `azureml-logs/70_driver_log_${r}.txt`)));
    const envs = logs.map((log) => JSON.parse(/^env (.*)$/m.exec(log)![1]));
    expect(envs).toEqual(
      [0, 1, 2, 3].map((rank) => ({
        RANK: String(rank),
        LOCAL_RANK: String(rank % 2),
        NODE_RANK: String(Math.floor(rank / 2)),
        WORLD_SIZE: '4',
        LOCAL_WORLD_SIZE: '2',
        MASTER_ADDR: '127.0.0.1',
      })),
    );
    expect(logs[0]).toContain('rank 0 heard: hello from rank 1 | hello from rank 2 | hello from rank 3\n');
    for (const rank of [1, 2, 3]) expect(logs[rank]).toContain(`rank ${rank} got ack\n`);
    // One process's log by its rank, as getRunLog (CLI logs --rank, DataFire getRunLog rank) reads it.
    expect((await client().getRunLog(run.runId, { rank: 2 })).log).toBe(logs[2]);
    await expect(client().getRunLog(run.runId, { rank: 4 })).rejects.toThrow(`Run ${run.runId} has no log of rank 4 (its ranks: 0, 1, 2, 3)`);
    // DataFire: waitForRuns of several runs at once, and getRunLog of a rank.
    const { workflowAction } = await import('../src');
    const context = { accounts: { azure_machinelearningservices_execution: { access_token: 't', host: emulator.url } } };
    const waited = (await workflowAction('waitForRuns').run({ ...WS, runIds: [run.runId, run.runId] }, context as never)) as {
      runs: Array<{ runId: string; status: string }>;
      failed: string[];
    };
    expect([waited.runs.map((r) => [r.runId, r.status]), waited.failed]).toEqual([[[run.runId, 'Completed']], []]);
    const rank3 = (await workflowAction('getRunLog').run({ ...WS, runId: run.runId, rank: 3 }, context as never)) as { name: string; log: string };
    expect([rank3.name, rank3.log]).toEqual(['azureml-logs/70_driver_log_3.txt', logs[3]]);
    // The logs are artifacts too, as Azure ML lists them.
    const summary = await client().getRunDetails(run.runId);
    expect(summary.artifacts).toEqual(expect.arrayContaining([0, 1, 2, 3].map((r) => `azureml-logs/70_driver_log_${r}.txt`)));
  });

  it('follows rank 0 alone by default, and every rank, each line prefixed, with allProcesses', async () => {
    const definition = { configuration: { script: 'talk.py', framework: 'PyTorch', communicator: 'Nccl', nodeCount: 1, mpi: { processCountPerNode: 2 } } };
    let rank0 = '';
    const first = await client().submitRun({ project, definition });
    await client().waitForRun(first.runId, { initialIntervalMs: 50, onLog: (text) => (rank0 += text) });
    expect(rank0).toMatch(/^env .*"RANK": "0".*\nrank 0 heard: hello from rank 1\n$/);
    let all = '';
    const second = await client().submitRun({ project, definition });
    await client().waitForRun(second.runId, { initialIntervalMs: 50, allProcesses: true, onLog: (text) => (all += text) });
    const lines = all.split('\n').filter(Boolean);
    expect(lines.filter((l) => l.startsWith('[rank 0] ')).map((l) => l.replace(/^\[rank 0\] env .*/, 'env'))).toEqual(['env', '[rank 0] rank 0 heard: hello from rank 1']);
    expect(lines.filter((l) => l.startsWith('[rank 1] ')).map((l) => l.replace(/^\[rank 1\] env .*/, 'env'))).toEqual(['env', '[rank 1] rank 1 got ack']);
    expect(lines.every((l) => /^\[rank [01]\] /.test(l))).toBe(true);
  });
});

describe('following every rank', () => {
  it('gives a line that never ends in pieces of whole lines, each prefixed, and a last line without its newline at the end', async () => {
    const run = await client().submitRun({
      project,
      definition: { configuration: { script: 'long_line.py', communicator: 'Gloo', nodeCount: 1, mpi: { processCountPerNode: 2 } } },
    });
    const pieces: string[] = [];
    await client().waitForRun(run.runId, { initialIntervalMs: 50, allProcesses: true, onLog: (text) => pieces.push(text) });
    const all = pieces.join('');
    const lines = all.split('\n');
    expect(lines.pop()).toBe('');
    // Every line is one process's: a prefix at its start, and nowhere else.
    for (const line of lines) expect(line.match(/\[rank \d\] /g)).toEqual([line.slice(0, 9)]);
    const rank1 = lines.filter((line) => line.startsWith('[rank 1] ')).map((line) => line.slice(9));
    expect(rank1.join('')).toBe(`${'x'.repeat(200000)}end`);
    // Held no longer than 64 KiB: the line that never ends went in pieces.
    expect(rank1.length).toBeGreaterThan(1);
    expect(lines.filter((line) => line.startsWith('[rank 0] '))).toEqual(['[rank 0] short', '[rank 0] no newline at the end']);
  });
});

describe('MPI and TensorFlow', () => {
  it('a v2 job with distribution Mpi gets the OMPI_COMM_WORLD variables, one std_log_process_<rank> each', async () => {
    const job = await client().submitJob({
      project,
      command: 'python env.py',
      environmentId: 'azureml:env:1',
      instanceCount: 2,
      distribution: { distributionType: 'Mpi', processCountPerInstance: 2 },
      jobName: 'mpi-job-1',
    });
    const details = await client().waitForRun(job.runId, { initialIntervalMs: 50 });
    expect(processLogsOf(details).map((l) => l.name)).toEqual([0, 1, 2, 3].map((r) => `user_logs/std_log_process_${r}.txt`));
    const logs = await Promise.all([0, 1, 2, 3].map((r) => logOf('mpi-job-1', `user_logs/std_log_process_${r}.txt`)));
    expect(logs).toEqual(
      [0, 1, 2, 3].map(
        (rank) =>
          `OMPI_COMM_WORLD_LOCAL_RANK ${rank % 2}\nOMPI_COMM_WORLD_LOCAL_SIZE 2\nOMPI_COMM_WORLD_NODE_RANK ${Math.floor(rank / 2)}\nOMPI_COMM_WORLD_RANK ${rank}\nOMPI_COMM_WORLD_SIZE 4\n`,
      ),
    );
  });

  it('a v1 run with communicator ParameterServer gets TF_CONFIG for 2 workers and 1 parameter server; the server is stopped when the workers are done', async () => {
    const run = await client().submitRun({
      project,
      definition: {
        configuration: { script: 'tf.py', framework: 'TensorFlow', communicator: 'ParameterServer', nodeCount: 2, tensorflow: { workerCount: 2, parameterServerCount: 1 } },
      },
    });
    const details = await client().waitForRun(run.runId, { initialIntervalMs: 50 });
    expect(details.status).toBe('Completed');
    const logs = await Promise.all([0, 1, 2].map((r) => logOf(run.runId, `azureml-logs/70_driver_log_${r}.txt`)));
    expect(logs.slice(0, 2).map((log) => log.split('\n')[1])).toEqual(['worker reached ps', 'worker reached ps']);
    const configs = logs.map((log) => JSON.parse(log.split('\n')[0]));
    const cluster = configs[0].cluster;
    expect(cluster).toEqual({
      worker: [expect.stringMatching(/^127\.0\.0\.1:\d+$/), expect.stringMatching(/^127\.0\.0\.1:\d+$/)],
      ps: [expect.stringMatching(/^127\.0\.0\.1:\d+$/)],
    });
    expect(new Set([...cluster.worker, ...cluster.ps]).size).toBe(3);
    expect(configs.map((c) => [c.task, c.environment, c.cluster])).toEqual([
      [{ type: 'worker', index: 0 }, 'cloud', cluster],
      [{ type: 'worker', index: 1 }, 'cloud', cluster],
      [{ type: 'ps', index: 0 }, 'cloud', cluster],
    ]);
  });
});

describe('a distributed run ends as one', () => {
  it('one process failing stops the others, and the run fails with that process error; no process is left', async () => {
    const pids = fs.mkdtempSync(path.join(scratch, 'pids-'));
    const run = await client().submitRun({
      project,
      definition: {
        configuration: {
          script: 'fail_one.py',
          framework: 'PyTorch',
          communicator: 'Gloo',
          nodeCount: 3,
          environment: { environmentVariables: { PID_DIR: pids, FAILING_RANK: '1' } },
        },
      },
    });
    const error = await client()
      .waitForRun(run.runId, { initialIntervalMs: 50 })
      .then(
        () => undefined,
        (e: unknown) => e as AzureMLRunFailedError,
      );
    expect(error).toBeInstanceOf(AzureMLRunFailedError);
    expect(error!.details.error?.error?.message).toBe('The script fail_one.py (rank 1) exited with code 3. Last lines of stderr:\nrank 1 gives up');
    const started = fs.readdirSync(pids).map((f) => Number(fs.readFileSync(path.join(pids, f), 'utf8')));
    expect(started.length).toBe(3);
    expect(started.filter(alive)).toEqual([]);
  });

  it('cancel stops every process of the run', async () => {
    const pids = fs.mkdtempSync(path.join(scratch, 'pids-'));
    const job = await client().submitJob({
      project,
      command: 'python fail_one.py',
      environmentId: 'azureml:env:1',
      instanceCount: 3,
      distribution: { distributionType: 'Mpi' },
      environmentVariables: { PID_DIR: pids },
      jobName: 'mpi-cancel-1',
    });
    for (let i = 0; i < 400 && fs.readdirSync(pids).length < 3; i++) await new Promise((resolve) => setTimeout(resolve, 25));
    expect(fs.readdirSync(pids).length).toBe(3);
    await client().cancelJob(job.runId, { pollIntervalMs: 50, sleep: (ms) => new Promise((resolve) => setTimeout(resolve, Math.min(ms, 50))) });
    const details = await client().waitForRun(job.runId, { initialIntervalMs: 50 });
    expect(details.status).toBe('Canceled');
    const started = fs.readdirSync(pids).map((f) => Number(fs.readFileSync(path.join(pids, f), 'utf8')));
    expect(started.filter(alive)).toEqual([]);
  });

  it('a run that asks for more processes than the emulator starts fails before any starts, saying the numbers', async () => {
    const run = await client().submitRun({ project, definition: { configuration: { script: 'talk.py', communicator: 'Mpi', nodeCount: 3, mpi: { processCountPerNode: 3 } } } });
    const error = await client()
      .waitForRun(run.runId, { initialIntervalMs: 50 })
      .then(
        () => undefined,
        (e: unknown) => e as AzureMLRunFailedError,
      );
    expect(error).toBeInstanceOf(AzureMLRunFailedError);
    expect(error!.details.error?.error?.message).toBe(
      'The run asks for 9 processes (3 nodes x 3 processes); this emulator starts at most 8 per run (its maxProcessesPerRun option).',
    );
  });
});

describe("the README's Clusters and Batch AI sections", () => {
  it('run word for word against the emulator', async () => {
    const blocks = readmeBlocks('## Clusters', '## The command line: azureml-exec');
    expect(blocks.length).toBe(2);
    const { stdout, stderr } = await runBlocks(blocks, scratch, emulator.url);
    expect(stderr).toBe('');
    expect(stdout.split('\n')).toEqual([
      "[ '--out', 'outputs/MODEL' ] { distributionType: 'PyTorch', processCountPerInstance: 2 }",
      'mkdir -p outputs/MODEL && python train.py --out outputs/MODEL',
      'Succeeded Steady',
      '[rank 0] rank 0 of 4 on node 0',
      '[rank 1] rank 1 of 4 on node 0',
      '[rank 2] rank 2 of 4 on node 1',
      '[rank 3] rank 3 of 4 on node 1',
      'idle 127.0.0.1:50000',
      'idle 127.0.0.1:50001',
      '',
    ]);
  });
});
