import type { Account } from '../account/account';
import type { RetryOptions } from '../http/policies/retry';

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
 * What actions take as their second argument: a DataFire Context, or any object with the same
 * `accounts` map. An account given as a string is an alias of another entry (DataFire's rule).
 */
export interface ActionContext extends CallOptions {
  accounts?: Record<string, Account | string | undefined>;
  type?: string;
  variables?: Record<string, unknown>;
}

/** The account registered for an integration in a context, following one level of aliasing as DataFire does. */
export function accountFromContext(context: ActionContext | undefined, integrationId: string): Account | undefined {
  const accounts = context?.accounts;
  if (!accounts) return undefined;
  const entry = accounts[integrationId];
  const account = typeof entry === 'string' ? accounts[entry] : entry;
  return account && typeof account === 'object' ? account : undefined;
}
