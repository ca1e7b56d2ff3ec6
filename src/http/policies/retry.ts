/**
 * Retries what can be survived, as Azure clients do: 408, 429, 500, 502, 503, 504 and dropped
 * connections, at most `maxRetries` times, with exponential backoff from `retryDelayMs` capped at
 * `maxRetryDelayMs`, with jitter; `retry-after-ms`, `x-ms-retry-after-ms` and `Retry-After`
 * (seconds or an HTTP date) are honoured, within the cap. The request id stays the same (this
 * policy sits inside the client request id policy). Never 401: that is the token's business.
 */
import { AzureMLNetworkError } from '../../errors';
import type { RetryOptions } from '../call-options';
import type { PipelinePolicy, PipelineRequest, PipelineResponse } from '../pipeline';

export type { RetryOptions } from '../call-options';

export const RETRY_STATUSES = new Set([408, 429, 500, 502, 503, 504]);
// ETRUNCATED and EBADENCODING: a compressed answer that arrived cut or garbled (see transport.ts).
const RETRY_NETWORK_CODES = new Set(['ECONNRESET', 'ECONNREFUSED', 'ETIMEDOUT', 'EPIPE', 'ECONNABORTED', 'EAI_AGAIN', 'ETRUNCATED', 'EBADENCODING']);

/** The request may have been processed: the connection dropped after it was sent, or a 5xx/408. */
export function isAmbiguous(outcome: PipelineResponse | AzureMLNetworkError): boolean {
  if (outcome instanceof AzureMLNetworkError) return outcome.code !== 'ECONNREFUSED' && outcome.code !== 'EAI_AGAIN';
  return outcome.status === 408 || outcome.status >= 500;
}

export function sleepFor(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal!.reason);
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/** The server's wish in milliseconds, from the three headers Azure services use. */
export function retryAfterMs(headers: PipelineResponse['headers'], now = Date.now()): number | undefined {
  for (const name of ['retry-after-ms', 'x-ms-retry-after-ms']) {
    // Absent is NaN, which is not finite.
    const value = Number(headers[name]);
    if (Number.isFinite(value) && value >= 0) return value;
  }
  const header = headers['retry-after'];
  if (header === undefined) return undefined;
  const text = Array.isArray(header) ? header[0] : header;
  if (/^\d+(\.\d+)?$/.test(text.trim())) return Number(text) * 1000;
  const date = Date.parse(text);
  return Number.isFinite(date) ? Math.max(0, date - now) : undefined;
}

function retriable(outcome: PipelineResponse | AzureMLNetworkError): boolean {
  if (outcome instanceof AzureMLNetworkError) return !!outcome.code && RETRY_NETWORK_CODES.has(outcome.code);
  return RETRY_STATUSES.has(outcome.status);
}

/** For the note of a call that was retried: only retriable outcomes get there, and a network error is retriable only by its code. */
function describe(outcome: PipelineResponse | AzureMLNetworkError): string {
  return String(outcome instanceof AzureMLNetworkError ? outcome.code : outcome.status);
}

export function retryPolicy(options: RetryOptions = {}): PipelinePolicy {
  const maxRetries = options.maxRetries ?? 3;
  const base = options.retryDelayMs ?? 1000;
  const cap = options.maxRetryDelayMs ?? 64000;
  const sleep = options.sleep ?? sleepFor;

  return {
    name: 'retry',
    async sendRequest(request: PipelineRequest, next) {
      const history: string[] = [];
      for (let attempt = 1; ; attempt++) {
        let outcome: PipelineResponse | AzureMLNetworkError;
        try {
          outcome = await next(request);
        } catch (error) {
          if (!(error instanceof AzureMLNetworkError)) throw error;
          outcome = error;
        }
        history.push(describe(outcome));
        if (!retriable(outcome)) return finish(outcome, attempt);
        // After an ambiguous failure, the request may have done its work: ask before doing it twice.
        if (request.recover && isAmbiguous(outcome)) {
          const recovered = await request.recover();
          if (recovered) return finish(recovered, attempt);
        }
        if (attempt > maxRetries) return finish(outcome, attempt, attempt === 1 ? undefined : `gave up after ${attempt} attempts (${history.join(', ')})`);
        if (request.body && !request.body.replayable) {
          return finish(outcome, attempt, `not retried: ${request.body.notReplayableReason}`);
        }
        const backoff = Math.min(cap, base * 2 ** (attempt - 1));
        const wished = outcome instanceof AzureMLNetworkError ? undefined : retryAfterMs(outcome.headers);
        // Jitter spreads the retries of many clients: 80 % to 100 % of the backoff.
        const delay = wished !== undefined ? Math.min(cap, wished) : Math.round(backoff * (0.8 + Math.random() * 0.2));
        await sleep(delay, request.signal);
      }
    },
  };
}

/** The final outcome, with what the retries were when there were any. */
function finish(outcome: PipelineResponse | AzureMLNetworkError, attempts: number, note?: string): PipelineResponse {
  if (outcome instanceof AzureMLNetworkError) {
    const error = note ? new AzureMLNetworkError({ action: outcome.action ?? '', host: outcome.host, reason: outcome.reason, code: outcome.code, note }) : outcome;
    error.attempts = attempts;
    throw error;
  }
  outcome.attempts = attempts;
  if (note) outcome.retryNote = note;
  return outcome;
}
