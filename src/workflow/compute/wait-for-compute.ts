/**
 * Waits until a cluster is ready, as AZTK's wait_until_cluster_is_ready does: polls Compute_Get
 * until provisioning has Succeeded and the allocation is Steady (its nodes are what its scale
 * settings say). A compute that ends Failed is an AzureMLComputeFailedError with the service's
 * reasons. An AbortSignal or a timeout stops the waiting, not the compute.
 */
import { AzureMLAbortError, AzureMLTimeoutError } from '../../errors';
import { sleepFor } from '../../http/policies/retry';
import type { ComputeResource } from '../../spec/arm/types';
import { workflowAction } from '../context';
import type { V2WorkflowContext } from '../v2/jobs';
import { computeSummary, type ComputeSummary } from './compute-summary';
import { computeFailedError, resolveCompute, type ComputeRef } from './computes';

export interface WaitForComputeOptions {
  signal?: AbortSignal;
  /** Time between polls (default 5000 ms). */
  pollIntervalMs?: number;
  /** Stop waiting after this long: the call rejects with an AzureMLTimeoutError. Default: no limit. */
  timeoutMs?: number;
  /** Told the compute's state each time it changes (provisioning or allocation state, node count). */
  onStatus?: (summary: ComputeSummary) => void;
  /** How to wait between polls (tests record the waits). */
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
  /** The clock the timeout is measured with (default Date.now). */
  now?: () => number;
}

/** Whether a compute is ready: provisioned, and (for a cluster) with its allocation steady. */
export function isComputeReady(resource: ComputeResource): boolean {
  const props = resource.properties;
  if (props?.provisioningState !== 'Succeeded') return false;
  if (props.computeType !== 'AmlCompute') return true;
  return (props.properties?.allocationState ?? 'Steady') === 'Steady';
}

export async function waitForCompute(ctx: V2WorkflowContext, ref: ComputeRef, options: WaitForComputeOptions = {}): Promise<ComputeResource> {
  const action = workflowAction('waitForCompute');
  const locator = resolveCompute(ctx, ref, action);
  const sleep = options.sleep ?? sleepFor;
  const now = options.now ?? Date.now;
  const interval = options.pollIntervalMs ?? 5000;
  const deadline = options.timeoutMs !== undefined ? now() + options.timeoutMs : undefined;
  const { signal } = options;
  let last: string | undefined;
  try {
    for (;;) {
      if (signal?.aborted) throw signal.reason;
      const resource = await ctx.v2.Compute_Get(locator, { signal });
      const summary = computeSummary(resource);
      const seen = JSON.stringify([summary.provisioningState, summary.allocationState, summary.currentNodes, summary.targetNodes]);
      if (seen !== last) {
        last = seen;
        options.onStatus?.(summary);
      }
      if (summary.provisioningState === 'Failed' || summary.provisioningState === 'Canceled') throw computeFailedError(resource, action);
      if (isComputeReady(resource)) return resource;
      const left = deadline === undefined ? Infinity : deadline - now();
      if (left <= 0) throw new AzureMLTimeoutError({ action, deadlineMs: options.timeoutMs! });
      await sleep(Math.min(interval, left), signal);
    }
  } catch (error) {
    if (signal?.aborted) throw new AzureMLAbortError({ action, reason: signal.reason });
    throw error;
  }
}
