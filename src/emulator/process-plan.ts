/**
 * How many processes a run starts and what each is told, as Azure ML lays out a distributed run:
 *
 * - PyTorch (v1 communicator Gloo or Nccl; v2 distribution PyTorch): nodes x processes per node,
 *   each with MASTER_ADDR, MASTER_PORT, WORLD_SIZE, RANK, LOCAL_RANK, NODE_RANK, LOCAL_WORLD_SIZE;
 * - MPI (v1 communicator Mpi; v2 distribution Mpi): nodes x processes per node, each with the
 *   OMPI_COMM_WORLD_* variables Open MPI sets;
 * - TensorFlow (v1 communicator ParameterServer; v2 distribution TensorFlow): workers and
 *   parameter servers, each with TF_CONFIG (the cluster's addresses, its own task);
 * - several nodes and no distribution: the command once per node, each with NODE_RANK.
 *
 * Every process runs on this machine (its "nodes" are 127.0.0.1) with a free port where one is
 * needed, so that the processes of a run really talk to each other. A v1 process logs to
 * azureml-logs/70_driver_log_<rank>.txt, a v2 one to user_logs/std_log_process_<rank>.txt; a run
 * of one process keeps the single log it always had.
 */
import * as net from 'net';
import type { RunRecord } from './store';

export const DRIVER_LOG = 'azureml-logs/70_driver_log.txt';
/** A v2 job's log, where Azure ML writes it (one process: std_log.txt). */
export const JOB_LOG = 'user_logs/std_log.txt';

export type DistributionKind = 'single' | 'copies' | 'pytorch' | 'mpi' | 'tensorflow';

/** The shape of a run's processes, from its definition or job alone (no ports yet). */
export interface ProcessLayout {
  kind: DistributionKind;
  /** How many nodes the processes are spread over. */
  nodes: number;
  /** Processes per node (PyTorch, MPI, copies). */
  perNode: number;
  /** TensorFlow: workers and parameter servers. */
  workers: number;
  parameterServers: number;
  /** Every process of the run. */
  total: number;
}

export interface ProcessSpec {
  rank: number;
  /** Where it writes stdout and stderr (a path under the run's folder). */
  log: string;
  /** What Azure ML sets for its place in the run. */
  env: Record<string, string>;
  /** A TensorFlow parameter server: it serves until the workers are done, and is then stopped. */
  parameterServer?: boolean;
}

const whole = (value: unknown, fallback: number): number => (typeof value === 'number' && Number.isSafeInteger(value) && value >= 0 ? value : fallback);
const atLeastOne = (value: unknown): number => Math.max(1, whole(value, 1));

/** A tensorflow section that asks for tasks: the SDK writes `{ workerCount: 0, parameterServerCount: 0 }` into every definition. */
export function hasTensorFlowTasks(tensorflow: { workerCount?: unknown; parameterServerCount?: unknown } | null | undefined): boolean {
  return (
    !!tensorflow &&
    ((typeof tensorflow.workerCount === 'number' && tensorflow.workerCount > 0) || (typeof tensorflow.parameterServerCount === 'number' && tensorflow.parameterServerCount > 0))
  );
}

export function layoutOf(run: RunRecord): ProcessLayout {
  let kind: DistributionKind;
  let nodes: number;
  let perNode = 1;
  let workers = 0;
  let parameterServers = 0;
  if (run.job) {
    nodes = atLeastOne((run.job.resources as { instanceCount?: unknown } | undefined)?.instanceCount);
    const distribution = (run.job.distribution ?? undefined) as
      { distributionType?: string; processCountPerInstance?: unknown; workerCount?: unknown; parameterServerCount?: unknown } | undefined;
    const type = distribution?.distributionType;
    if (type === 'PyTorch' || type === 'Mpi') {
      kind = type === 'PyTorch' ? 'pytorch' : 'mpi';
      perNode = atLeastOne(distribution!.processCountPerInstance);
    } else if (type === 'TensorFlow') {
      kind = 'tensorflow';
      workers = atLeastOne(distribution!.workerCount ?? nodes);
      parameterServers = whole(distribution!.parameterServerCount, 0);
    } else kind = nodes > 1 ? 'copies' : 'single';
  } else {
    const config = (run.definition.configuration ?? {}) as {
      nodeCount?: unknown;
      framework?: string;
      communicator?: string;
      mpi?: { processCountPerNode?: unknown } | null;
      tensorflow?: { workerCount?: unknown; parameterServerCount?: unknown } | null;
    };
    nodes = atLeastOne(config.nodeCount);
    const perNodeGiven = atLeastOne(config.mpi?.processCountPerNode);
    if (config.communicator === 'Mpi') {
      kind = 'mpi';
      perNode = perNodeGiven;
    } else if (config.communicator === 'Gloo' || config.communicator === 'Nccl' || (config.framework === 'PyTorch' && nodes > 1)) {
      // As toCommandJob converts it: the PyTorch framework on several nodes is a PyTorch run.
      kind = 'pytorch';
      perNode = perNodeGiven;
    } else if (config.communicator === 'ParameterServer' || (config.framework === 'TensorFlow' && hasTensorFlowTasks(config.tensorflow))) {
      kind = 'tensorflow';
      workers = atLeastOne(config.tensorflow?.workerCount ?? nodes);
      parameterServers = whole(config.tensorflow?.parameterServerCount, 0);
    } else kind = nodes > 1 ? 'copies' : 'single';
  }
  const total = kind === 'tensorflow' ? workers + parameterServers : nodes * perNode;
  return { kind, nodes, perNode, workers, parameterServers, total };
}

/** The log of the process of rank `rank` in a run of `total` processes. */
export function processLogName(run: RunRecord, rank: number, total: number): string {
  if (total === 1) return run.job ? JOB_LOG : DRIVER_LOG;
  return run.job ? `user_logs/std_log_process_${rank}.txt` : `azureml-logs/70_driver_log_${rank}.txt`;
}

/** Every log the run's processes write, rank 0 first (call it once the layout is within the limit: one name per process). */
export function logNamesOf(run: RunRecord, layout: ProcessLayout = layoutOf(run)): string[] {
  return Array.from({ length: layout.total }, (_, rank) => processLogName(run, rank, layout.total));
}

/** A port no one listens on now, on loopback: where rank 0 (or a TensorFlow task) will listen. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.unref();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

/** Every process of the run with its variables, ports found now. */
export async function planProcesses(run: RunRecord, layout: ProcessLayout = layoutOf(run)): Promise<ProcessSpec[]> {
  const { kind, total, perNode } = layout;
  const log = (rank: number) => processLogName(run, rank, total);
  if (kind === 'single') return [{ rank: 0, log: log(0), env: {} }];
  if (kind === 'copies') return Array.from({ length: total }, (_, rank) => ({ rank, log: log(rank), env: { NODE_RANK: String(rank) } }));
  if (kind === 'pytorch') {
    const port = await freePort();
    return Array.from({ length: total }, (_, rank) => ({
      rank,
      log: log(rank),
      env: {
        MASTER_ADDR: '127.0.0.1',
        MASTER_PORT: String(port),
        WORLD_SIZE: String(total),
        RANK: String(rank),
        LOCAL_RANK: String(rank % perNode),
        NODE_RANK: String(Math.floor(rank / perNode)),
        LOCAL_WORLD_SIZE: String(perNode),
      },
    }));
  }
  if (kind === 'mpi') {
    return Array.from({ length: total }, (_, rank) => ({
      rank,
      log: log(rank),
      env: {
        OMPI_COMM_WORLD_RANK: String(rank),
        OMPI_COMM_WORLD_SIZE: String(total),
        OMPI_COMM_WORLD_LOCAL_RANK: String(rank % perNode),
        OMPI_COMM_WORLD_LOCAL_SIZE: String(perNode),
        OMPI_COMM_WORLD_NODE_RANK: String(Math.floor(rank / perNode)),
      },
    }));
  }
  // TensorFlow: workers first (rank = worker index), then parameter servers; each task its own port.
  const ports: number[] = [];
  for (let i = 0; i < total; i++) ports.push(await freePort());
  const address = (i: number) => `127.0.0.1:${ports[i]}`;
  const cluster: Record<string, string[]> = { worker: Array.from({ length: layout.workers }, (_, i) => address(i)) };
  if (layout.parameterServers) cluster.ps = Array.from({ length: layout.parameterServers }, (_, i) => address(layout.workers + i));
  return Array.from({ length: total }, (_, rank) => {
    const ps = rank >= layout.workers;
    const task = { type: ps ? 'ps' : 'worker', index: ps ? rank - layout.workers : rank };
    return {
      rank,
      log: log(rank),
      env: { TF_CONFIG: JSON.stringify({ cluster, task, environment: 'cloud' }) },
      ...(ps ? { parameterServer: true } : {}),
    };
  });
}
