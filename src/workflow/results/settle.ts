/**
 * Run History is eventually consistent: metrics a run posted just before it ended, and artifacts
 * uploaded while it finalized, may show a little after the run's status says it ended. A client
 * that waits for a run and then reads its metrics must not miss the last ones, so after the end
 * the results are counted until two counts in a row agree (or `settleMs` has passed).
 */
import type { CallOptions } from '../../http/call-options';
import { AzureMLError } from '../../errors';
import type { WorkflowContext } from '../context';
import type { RunLocator } from '../locator';
import { iterateArtifacts } from './artifacts';
import { iterateMetricRecords } from './metrics';

export interface SettleOptions extends Pick<CallOptions, 'signal'> {
  /** Longest time to wait for the results to settle after the end (0: do not wait). */
  settleMs: number;
  /** Between two counts. */
  intervalMs: number;
  /** When the run ended (its endTimeUtc): a run that ended longer than settleMs ago has settled. */
  endedAt?: number;
  sleep: (ms: number, signal?: AbortSignal) => Promise<void>;
  now: () => number;
}

/** How many metric records and artifacts the run has now. */
async function count(ctx: WorkflowContext, run: RunLocator, action: string, call: CallOptions): Promise<string> {
  let metrics = 0;
  let artifacts = 0;
  for await (const _ of iterateMetricRecords(ctx, run, action, call)) metrics++;
  for await (const _ of iterateArtifacts(ctx, run, '', action, call)) artifacts++;
  return `${metrics}/${artifacts}`;
}

/** Resolves when the run's results have stopped changing, or when settleMs has passed. */
export async function settleResults(ctx: WorkflowContext, run: RunLocator, action: string, options: SettleOptions): Promise<void> {
  const { settleMs, intervalMs, endedAt, sleep, now, signal } = options;
  if (settleMs <= 0) return;
  const start = now();
  if (endedAt !== undefined && Number.isFinite(endedAt) && start - endedAt > settleMs) return;
  try {
    let last = await count(ctx, run, action, { signal });
    while (now() - start < settleMs) {
      await sleep(Math.min(intervalMs, settleMs - (now() - start)), signal);
      const next = await count(ctx, run, action, { signal });
      if (next === last) return;
      last = next;
    }
  } catch (error) {
    // The wait is over: results that cannot be counted (no permission, an older service) are
    // for the calls that read them to report. Only an abort is the caller's.
    if (signal?.aborted || !(error instanceof AzureMLError)) throw error;
  }
}
