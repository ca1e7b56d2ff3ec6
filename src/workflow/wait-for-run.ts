/**
 * Waits for a run to end, as AZTK's wait-until-done does: polls Runs_GetDetails with backoff,
 * follows the driver log from the last byte read (HTTP Range: no byte is downloaded twice), and
 * reports status changes. An AbortSignal stops the waiting, not the run.
 */
import type { Account } from '../account/account';
import { AzureMLError, AzureMLServiceError } from '../http/errors';
import { fetchFromByte } from '../http/fetch-range';
import type { ErrorResponse, RunDetails } from '../spec/generated/runhistory-types';
import { create as createRunHistory } from '../runhistory';

export const DRIVER_LOG = 'azureml-logs/70_driver_log.txt';
export const TERMINAL_STATUSES = ['Completed', 'Failed', 'Canceled'];

export interface RunLocator {
  subscriptionId: string;
  resourceGroupName: string;
  workspaceName: string;
  experimentName: string;
  runId: string;
}

export interface WaitForRunOptions {
  signal?: AbortSignal;
  /** Called with each new status. */
  onStatus?: (status: string, details: RunDetails) => void;
  /** Called with each new piece of the driver log. */
  onLog?: (text: string) => void;
  /** First wait between polls (default 2000 ms); it grows by half each time up to maxIntervalMs. */
  initialIntervalMs?: number;
  /** Longest wait between polls (default 60000 ms). */
  maxIntervalMs?: number;
}

/** A run that ended Failed: carries the run's error and its details. */
export class AzureMLRunFailedError extends AzureMLError {
  readonly runId: string;
  readonly runError?: ErrorResponse;
  readonly details: RunDetails;

  constructor(details: RunDetails) {
    const root = details.error?.error;
    super(`Run ${details.runId} failed${root ? `: ${[root.code, root.message].filter(Boolean).join(': ')}` : ''}`);
    this.runId = String(details.runId);
    this.details = details;
    if (details.error) this.runError = details.error;
  }
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const timer = setTimeout(done, ms);
    function done() {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }
    function onAbort() {
      clearTimeout(timer);
      reject(signal!.reason);
    }
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

export async function waitForRun(account: Account, run: RunLocator, options: WaitForRunOptions = {}): Promise<RunDetails> {
  const history = createRunHistory(account);
  const initial = options.initialIntervalMs ?? 2000;
  const max = options.maxIntervalMs ?? 60000;
  const decoder = new TextDecoder('utf-8');
  let interval = initial;
  let status: string | undefined;
  let logOffset = 0;

  const readLog = async (details: RunDetails) => {
    const url = details.logFiles?.[DRIVER_LOG];
    if (!url || !options.onLog) return;
    let data: Buffer;
    try {
      ({ data } = await fetchFromByte(url, logOffset, 'azureml-execution/waitForRun', options.signal));
    } catch (error) {
      if (error instanceof AzureMLServiceError && error.statusCode === 404) return; // not written yet
      throw error;
    }
    logOffset += data.length;
    // stream: a multi-byte character split across reads is completed by the next one.
    const text = decoder.decode(data, { stream: true });
    if (text) options.onLog(text);
  };

  for (;;) {
    if (options.signal?.aborted) throw options.signal.reason;
    const details = await history.Runs_GetDetails(run);
    // The log first: what the run printed comes before the status it ended in.
    await readLog(details);
    if (details.status !== status) {
      status = details.status;
      interval = initial;
      options.onStatus?.(String(status), details);
    }
    if (TERMINAL_STATUSES.includes(String(details.status))) {
      if (details.status === 'Failed') throw new AzureMLRunFailedError(details);
      return details;
    }
    await sleep(interval, options.signal);
    interval = Math.min(max, Math.ceil(interval * 1.5));
  }
}
