/**
 * Following a long-running operation of Azure Resource Manager to its end, as ARM's async
 * operation pattern says: an answer 201 or 202 with `Azure-AsyncOperation` is polled until its
 * body's status is Succeeded, Failed or Canceled; with `Location` alone, the Location is polled
 * until it stops answering 202. `Retry-After` sets the pace (else 1 s, at most 60 s a wait).
 */
import type { AnswerHead, CallOptions } from '../../http/call-options';
import { retryAfterMs, sleepFor } from '../../http/policies/retry';
import { AzureMLOperationFailedError, AzureMLResponseFormatError } from '../../errors';
import { isObject } from '../../spec/is-object';

/** A GET of a URL the service gave, with the API's token (ClientCore.poll). */
export type Poll = (url: string, call?: CallOptions) => Promise<AnswerHead & { body: unknown }>;

export interface LongRunningOptions extends CallOptions {
  /** How to wait between polls (tests record the waits). */
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
  /** The wait when the service says none (default 1000 ms). */
  pollIntervalMs?: number;
  /** The longest wait, whatever Retry-After says (default 60000 ms). */
  maxPollIntervalMs?: number;
  /** Told each status polled (`InProgress`...), for progress lines. */
  onStatus?: (status: string) => void;
}

const TERMINAL = new Set(['succeeded', 'failed', 'canceled', 'cancelled']);

function header(headers: AnswerHead['headers'], name: string): string | undefined {
  const value = headers[name];
  const text = Array.isArray(value) ? value[0] : value;
  return text ? text : undefined;
}

/**
 * Whether an answer starts a long-running operation this module can follow: a 201 or 202 with
 * either header, or a 200 with Azure-AsyncOperation (a PATCH that goes on, as Compute_Update).
 */
export function isLongRunning(answer: AnswerHead): boolean {
  if (answer.status === 200) return !!header(answer.headers, 'azure-asyncoperation');
  return (answer.status === 201 || answer.status === 202) && !!(header(answer.headers, 'azure-asyncoperation') ?? header(answer.headers, 'location'));
}

/**
 * Polls until the operation `first` started has ended. Resolves with the last body (the Location's
 * final answer, or the operation status); rejects with AzureMLOperationFailedError when it ended
 * Failed or Canceled.
 */
export async function followLongRunning(poll: Poll, first: AnswerHead, action: string, options: LongRunningOptions = {}): Promise<unknown> {
  const sleep = options.sleep ?? sleepFor;
  const base = options.pollIntervalMs ?? 1000;
  const cap = options.maxPollIntervalMs ?? 60_000;
  const { sleep: _s, pollIntervalMs: _p, maxPollIntervalMs: _m, onStatus, ...call } = options;
  const pace = (headers: AnswerHead['headers']) => Math.min(retryAfterMs(headers) ?? base, cap);

  const asyncUrl = header(first.headers, 'azure-asyncoperation');
  const location = header(first.headers, 'location');
  let wait = pace(first.headers);
  if (asyncUrl) {
    for (;;) {
      await sleep(wait, options.signal);
      const answer = await poll(asyncUrl, call);
      const body = answer.body;
      const status = isObject(body) && typeof body.status === 'string' ? body.status : undefined;
      if (!status) {
        throw new AzureMLResponseFormatError({ action, statusCode: answer.status, body: JSON.stringify(body ?? null), reason: 'the operation status has no status field' });
      }
      onStatus?.(status);
      if (TERMINAL.has(status.toLowerCase())) {
        if (status.toLowerCase() !== 'succeeded') {
          const error = isObject(body) && isObject(body.error) ? (body.error as { code?: string; message?: string }) : undefined;
          throw new AzureMLOperationFailedError({ action, status, error });
        }
        return body;
      }
      wait = pace(answer.headers);
    }
  }
  if (!location) return undefined;
  for (;;) {
    await sleep(wait, options.signal);
    const answer = await poll(location, call);
    if (answer.status !== 202) return answer.body;
    onStatus?.('InProgress');
    wait = pace(answer.headers);
  }
}
