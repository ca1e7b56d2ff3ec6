/**
 * The emulator's compute clusters: their life (Creating, then Succeeded or Failed after a delay
 * you set; Resizing, then Steady), their nodes (made when a run needs them, idle ones leaving
 * after the cluster's idle time, never fewer than minNodeCount), and which queued run may start
 * on which nodes. State moves forward by the clock when it is read (`settle`), so it is the same
 * after a restart, and a timer wakes the runner at the next moment something changes.
 */
import { createHash } from 'crypto';
import { isoDurationSeconds } from '../spec/iso-duration';
import { isTerminalStatus } from '../spec/run-status';
import type { ComputeNodeRecord, ComputeRecord, RunRecord, Store } from './store';

export interface ComputePoolOptions {
  now: () => number;
  /** How long creating a cluster or changing its scale takes (ms). */
  provisioningMs: number;
  /** The most nodes a cluster may have (the emulator's quota): a larger maxNodeCount fails provisioning. */
  nodeQuota: number;
  /** Told when a cluster became ready or lost nodes by the clock (seen on a read): queued runs may start. */
  onChange?: () => void;
}

/** Where a queued run stands: it starts now (its nodes are claimed), it waits, or it fails with this message. */
export type Placement = { kind: 'start' } | { kind: 'wait' } | { kind: 'fail'; message: string; code: string };

/** What Azure ML sets when a cluster's idle time is not given: 120 s. */
const DEFAULT_IDLE_SECONDS = 120;
const FIRST_PORT = 50000;

/** The cluster a run names: undefined for local and serverless runs, which start right away. */
export function computeTargetOf(run: RunRecord): string | undefined {
  const target = run.target;
  if (!target || /^(local|serverless)$/i.test(target)) return undefined;
  return target;
}

/** How many nodes a run needs: v1 `nodeCount`, v2 `resources.instanceCount` (1 when not given). */
export function nodeCountOf(run: RunRecord): number {
  const given = run.job
    ? (run.job.resources as { instanceCount?: unknown } | undefined)?.instanceCount
    : (run.definition.configuration as { nodeCount?: unknown } | undefined)?.nodeCount;
  return typeof given === 'number' && Number.isSafeInteger(given) && given > 0 ? given : 1;
}

export interface ScaleSettings {
  minNodeCount: number;
  maxNodeCount: number;
  nodeIdleTimeBeforeScaleDown?: string;
}

export const scaleOf = (compute: ComputeRecord): ScaleSettings => (compute.properties.scaleSettings as ScaleSettings | undefined) ?? { minNodeCount: 0, maxNodeCount: 0 };

export class ComputePool {
  constructor(
    private readonly store: Store,
    private readonly options: ComputePoolOptions,
  ) {}

  get now(): number {
    return this.options.now();
  }

  get provisioningMs(): number {
    return this.options.provisioningMs;
  }

  /** Why a cluster of this scale cannot be provisioned here, or undefined. */
  quotaProblem(scale: ScaleSettings): string | undefined {
    if (scale.maxNodeCount <= this.options.nodeQuota) return undefined;
    return `The cluster asks for up to ${scale.maxNodeCount} nodes; this emulator's node quota is ${this.options.nodeQuota} (its nodeQuota option).`;
  }

  /**
   * Moves a cluster forward to now: provisioning done (Succeeded, or Failed over quota), resizing
   * done, idle nodes above minNodeCount gone after the idle time. A cluster being deleted is
   * removed once its delete has taken its time; then this answers undefined.
   */
  settle(compute: ComputeRecord): ComputeRecord | undefined {
    const now = this.now;
    let changed = false;
    if (compute.provisioningState === 'Deleting') {
      if (now < compute.readyAtMs) return compute;
      this.store.deleteCompute(compute);
      return undefined;
    }
    if ((compute.provisioningState === 'Creating' || compute.provisioningState === 'Updating') && now >= compute.readyAtMs) {
      const problem = this.quotaProblem(scaleOf(compute));
      if (problem) {
        compute.provisioningState = 'Failed';
        compute.provisioningErrors = [{ error: { code: 'QuotaExceeded', message: problem } }];
      } else compute.provisioningState = 'Succeeded';
      changed = true;
    }
    if (compute.provisioningState === 'Succeeded') changed = this.fitNodes(compute, now) || changed;
    if (changed) {
      this.store.putCompute(compute);
      this.options.onChange?.();
    }
    return compute;
  }

  /** The cluster's nodes to its scale settings: at least minNodeCount, idle ones above it gone after the idle time. */
  private fitNodes(compute: ComputeRecord, now: number): boolean {
    const scale = scaleOf(compute);
    const idleMs = (isoDurationSeconds(scale.nodeIdleTimeBeforeScaleDown) ?? DEFAULT_IDLE_SECONDS) * 1000;
    const before = compute.nodes.length;
    // Oldest idle first: they leave in the order they became idle.
    const idle = compute.nodes.filter((n) => n.runId === undefined).sort((a, b) => (a.idleSinceMs ?? 0) - (b.idleSinceMs ?? 0));
    let surplus = compute.nodes.length - scale.minNodeCount;
    const leaving = new Set<ComputeNodeRecord>();
    for (const node of idle) {
      if (surplus <= 0) break;
      // Above maxNodeCount (scaled down by an update) a node leaves at once; else after its idle time.
      const overMax = compute.nodes.length - leaving.size > scale.maxNodeCount;
      if (overMax || (node.idleSinceMs ?? 0) + idleMs <= now) {
        leaving.add(node);
        surplus--;
      }
    }
    if (leaving.size) compute.nodes = compute.nodes.filter((n) => !leaving.has(n));
    const since = Math.min(now, compute.readyAtMs);
    while (compute.nodes.length < Math.min(scale.minNodeCount, scale.maxNodeCount)) compute.nodes.push(this.newNode(compute, since));
    return compute.nodes.length !== before;
  }

  private newNode(compute: ComputeRecord, idleSinceMs?: number): ComputeNodeRecord {
    const n = ++compute.nodeCounter;
    const tag = createHash('sha256').update(`${compute.workspace}/${compute.name}/${compute.createdOn}`).digest('hex').slice(0, 10);
    const stamp = compute.createdOn.replace(/[-:]/g, '').replace(/\.\d+/, '').toLowerCase();
    return { nodeId: `tvm-${tag}_${n}-${stamp}`, port: FIRST_PORT + n - 1, ...(idleSinceMs !== undefined ? { idleSinceMs } : {}) };
  }

  /**
   * Whether `run` may start now on its cluster (claiming its nodes), must wait, or fails.
   * `blocked` holds the clusters where an earlier run waits: runs on one cluster start in order.
   */
  place(run: RunRecord, blocked: Set<string>): Placement {
    const target = computeTargetOf(run);
    if (!target) return { kind: 'start' };
    const key = `${run.workspace}/${target.toLowerCase()}`;
    const found = this.store.getCompute(run.workspace, target);
    const compute = found && this.settle(found);
    if (!compute || compute.provisioningState === 'Deleting') {
      return { kind: 'fail', code: 'ComputeNotFound', message: `AzureMLCompute cluster ${target} does not exist` };
    }
    if (compute.provisioningState === 'Failed') {
      const why = compute.provisioningErrors?.map((e) => e.error.message).join(' ') ?? '';
      return { kind: 'fail', code: 'ComputeFailed', message: `AzureMLCompute cluster ${compute.name} failed to provision${why ? `: ${why}` : ''}` };
    }
    const need = nodeCountOf(run);
    const scale = scaleOf(compute);
    if (need > scale.maxNodeCount) {
      return {
        kind: 'fail',
        code: 'NotEnoughNodes',
        message: `The run needs ${need} node${need === 1 ? '' : 's'} but AzureMLCompute cluster ${compute.name} has at most ${scale.maxNodeCount} (maxNodeCount).`,
      };
    }
    if (blocked.has(key) || compute.provisioningState === 'Creating') {
      blocked.add(key);
      return { kind: 'wait' };
    }
    const busy = compute.nodes.filter((n) => n.runId !== undefined).length;
    if (busy + need > scale.maxNodeCount) {
      blocked.add(key);
      return { kind: 'wait' };
    }
    // Idle nodes first (they are warm), then new ones up to maxNodeCount.
    let claimed = 0;
    for (const node of compute.nodes) {
      if (claimed === need) break;
      if (node.runId !== undefined) continue;
      node.runId = run.runId;
      delete node.idleSinceMs;
      claimed++;
    }
    while (claimed < need) {
      compute.nodes.push({ ...this.newNode(compute), runId: run.runId });
      claimed++;
    }
    this.store.putCompute(compute);
    return { kind: 'start' };
  }

  /** The run's nodes are idle again (from now): told when it has ended, whatever the way. */
  release(run: RunRecord): void {
    const target = computeTargetOf(run);
    const compute = target && this.store.getCompute(run.workspace, target);
    if (!compute) return;
    let changed = false;
    for (const node of compute.nodes) {
      if (node.runId !== run.runId) continue;
      delete node.runId;
      node.idleSinceMs = this.now;
      changed = true;
    }
    if (!changed) return;
    // Settled first: a cluster whose delete has taken its time is gone, and must not be written back.
    const settled = this.settle(compute);
    if (settled) this.store.putCompute(settled);
  }

  /** Runs on a cluster that is not there any more (deleted): still queued or running. */
  runsOn(compute: ComputeRecord): RunRecord[] {
    return this.store.listRuns((run) => run.workspace === compute.workspace && computeTargetOf(run)?.toLowerCase() === compute.name.toLowerCase() && !isTerminalStatus(run.status));
  }

  /** When something next changes by the clock alone (a cluster ready, a delete done, an idle node leaving), in ms from now. */
  nextChangeInMs(): number | undefined {
    const now = this.now;
    let next = Infinity;
    for (const compute of this.store.listComputes()) {
      if (compute.provisioningState !== 'Succeeded' && compute.provisioningState !== 'Failed') next = Math.min(next, compute.readyAtMs);
      if (compute.steadyAtMs > now) next = Math.min(next, compute.steadyAtMs);
      if (compute.provisioningState !== 'Succeeded') continue;
      const scale = scaleOf(compute);
      const idleMs = (isoDurationSeconds(scale.nodeIdleTimeBeforeScaleDown) ?? DEFAULT_IDLE_SECONDS) * 1000;
      if (compute.nodes.length > scale.minNodeCount) {
        for (const node of compute.nodes) if (node.runId === undefined) next = Math.min(next, (node.idleSinceMs ?? now) + idleMs);
      }
    }
    return next === Infinity ? undefined : Math.max(0, next - now);
  }
}
