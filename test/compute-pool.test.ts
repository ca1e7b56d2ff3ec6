/**
 * The emulator's compute pool on its own, with a clock the test moves: which queued run may start
 * on which nodes, in order per cluster, and a cluster deleted while its run ends staying deleted.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { ComputePool } from '../src/emulator/compute-pool';
import { layoutOf } from '../src/emulator/process-plan';
import { Store, type ComputeRecord, type RunRecord } from '../src/emulator/store';

let dir: string;
let store: Store;
let clock = 1_000_000;
const pool = () => new ComputePool(store, { now: () => clock, provisioningMs: 1000, nodeQuota: 10 });

function compute(name: string, changes: Partial<ComputeRecord> = {}): ComputeRecord {
  const record: ComputeRecord = {
    workspace: 'ws',
    name,
    armWorkspace: '/subscriptions/s/resourceGroups/rg/providers/Microsoft.MachineLearningServices/workspaces/ws',
    createdOn: new Date(clock).toISOString(),
    modifiedOn: new Date(clock).toISOString(),
    properties: { vmSize: 'A', scaleSettings: { minNodeCount: 0, maxNodeCount: 2, nodeIdleTimeBeforeScaleDown: 'PT60S' } },
    provisioningState: 'Succeeded',
    readyAtMs: clock,
    steadyAtMs: clock,
    allocationStateTransitionTime: new Date(clock).toISOString(),
    nodes: [],
    nodeCounter: 0,
    ...changes,
  };
  store.putCompute(record);
  return record;
}

function run(runId: string, target: string, nodeCount = 1): RunRecord {
  return store.createRun(
    {
      workspace: 'ws',
      experimentName: 'e',
      experimentId: 'x',
      runId,
      target,
      runType: 'experiment',
      definition: { configuration: { script: 'a.py', nodeCount } },
      snapshotId: '',
    },
    new Date(clock).toISOString(),
  );
}

beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'azureml-pool-'));
  store = new Store(dir);
});
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

it('starts runs in order on a cluster: a run that needs more than is free makes the later ones wait too; other clusters and local runs go on', () => {
  compute('c1');
  compute('c2');
  const p = pool();
  const blocked = new Set<string>();
  expect(p.place(run('a', 'c1'), blocked)).toEqual({ kind: 'start' });
  expect(p.place(run('b', 'c1', 2), blocked)).toEqual({ kind: 'wait' });
  // One node is free, but b came first.
  expect(p.place(run('c', 'c1'), blocked)).toEqual({ kind: 'wait' });
  expect(p.place(run('d', 'c2', 2), blocked)).toEqual({ kind: 'start' });
  expect(p.place(run('e', 'local'), blocked)).toEqual({ kind: 'start' });
  expect(store.getCompute('ws', 'c1')!.nodes.map((n) => n.runId)).toEqual(['a']);
  expect(store.getCompute('ws', 'c2')!.nodes.map((n) => n.runId)).toEqual(['d', 'd']);
});

it('frees the nodes of a run that ended; idle nodes leave after the idle time, and the next change is then', () => {
  compute('c1');
  const p = pool();
  const a = run('a', 'c1');
  p.place(a, new Set());
  expect(p.nextChangeInMs()).toBeUndefined();
  p.release(a);
  expect(store.getCompute('ws', 'c1')!.nodes).toEqual([{ nodeId: expect.stringMatching(/^tvm-/), port: 50000, idleSinceMs: clock }]);
  expect(p.nextChangeInMs()).toBe(60_000);
  clock += 60_000;
  expect(p.settle(store.getCompute('ws', 'c1')!)!.nodes).toEqual([]);
});

it('a cluster whose delete has taken its time stays deleted when a run on it ends after that', () => {
  compute('gone', { provisioningState: 'Deleting', readyAtMs: clock - 1, nodes: [{ nodeId: 'n1', port: 50000, runId: 'a' }] });
  pool().release(run('a', 'gone'));
  expect(store.getCompute('ws', 'gone')).toBeUndefined();
  expect(new Store(dir).getCompute('ws', 'gone')).toBeUndefined();
});

it('lays out a v1 run as toCommandJob converts it: the communicator, or the PyTorch framework on several nodes, or a TensorFlow section asking for tasks', () => {
  const layout = (configuration: Record<string, unknown>) => {
    const { kind, total } = layoutOf({ definition: { configuration } } as unknown as RunRecord);
    return [kind, total];
  };
  expect(layout({ script: 'a.py' })).toEqual(['single', 1]);
  expect(layout({ framework: 'PyTorch', nodeCount: 3 })).toEqual(['pytorch', 3]);
  expect(layout({ framework: 'PyTorch', nodeCount: 1, mpi: { processCountPerNode: 1 } })).toEqual(['single', 1]);
  expect(layout({ communicator: 'Nccl', nodeCount: 2, mpi: { processCountPerNode: 0 } })).toEqual(['pytorch', 2]);
  expect(layout({ framework: 'TensorFlow', tensorflow: { workerCount: 0, parameterServerCount: 0 } })).toEqual(['single', 1]);
  expect(layout({ framework: 'TensorFlow', tensorflow: { workerCount: 2, parameterServerCount: 1 } })).toEqual(['tensorflow', 3]);
  expect(layout({ framework: 'Python', nodeCount: 2 })).toEqual(['copies', 2]);
  expect(layout({ communicator: 'Mpi', nodeCount: 2, mpi: { processCountPerNode: 3 } })).toEqual(['mpi', 6]);
});
