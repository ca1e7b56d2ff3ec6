/**
 * Per-call settings: what every action, workflow function and pipeline request accepts. A leaf
 * module (it imports nothing), so that the transport, the policies, the generated types and the
 * entry points can all name these without importing each other.
 */

export interface RetryOptions {
  /** Retries after the first attempt (default 3). */
  maxRetries?: number;
  /** First backoff (default 1000 ms), doubled each time. */
  retryDelayMs?: number;
  /** Longest wait, backoff or Retry-After (default 64000 ms). */
  maxRetryDelayMs?: number;
  /** How to wait (tests record the delays instead). */
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
}

export interface UploadProgress {
  /** Bytes of the body written so far, in this attempt. */
  sentBytes: number;
  /** The body's length, when known (Content-Length). */
  totalBytes?: number;
  /** 1 for the first attempt, 2 for the first retry... */
  attempt: number;
}

/**
 * Fields a definition (a run definition) holds that the swagger does not list: always sent as
 * given, since the service reads more than the 2019 swagger says (`identity`, `docker.shmSize`...).
 * `pass` says nothing (the default), `warn` tells `onWarning` (else process.emitWarning), `error`
 * refuses the call with each field's path and the name it was probably meant to be.
 */
export type UnknownFieldsPolicy = 'pass' | 'warn' | 'error';

/** Per-call settings, accepted in the second argument of every action. */
export interface CallOptions {
  /** Aborting stops the request at once; the call rejects with an AbortError naming the action. */
  signal?: AbortSignal;
  /** Per-attempt idle timeout: connect, and between bytes (default 120000 ms). */
  timeoutMs?: number;
  /** Overall deadline of the call, retries included (default none). */
  deadlineMs?: number;
  /** Retry policy for this call. */
  retry?: RetryOptions;
  /** Told as the request body goes out (uploads): bytes handed to the connection, of how many when known. */
  onUploadProgress?: (progress: UploadProgress) => void;
  /** Definition fields the swagger does not list: `pass` (default), `warn` or `error`. */
  unknownFields?: UnknownFieldsPolicy;
  /** Told the warnings of this call (unknown fields with `warn`); default process.emitWarning. */
  onWarning?: (message: string) => void;
  /**
   * Told the status and headers of the answer, before it is read: what a long-running operation
   * needs (a 202's Location or Azure-AsyncOperation, its Retry-After).
   */
  onResponse?: (answer: AnswerHead) => void;
}

/** The status and headers of an answer. */
export interface AnswerHead {
  status: number;
  headers: Readonly<Record<string, string | string[] | undefined>>;
}

/** Only the per-call settings of an object that may carry more (a DataFire context, an options object). */
export function callOptionsOf(given: CallOptions | undefined): CallOptions {
  if (!given) return {};
  const { signal, timeoutMs, deadlineMs, retry, onUploadProgress, unknownFields, onWarning, onResponse } = given;
  return { signal, timeoutMs, deadlineMs, retry, onUploadProgress, unknownFields, onWarning, onResponse };
}
