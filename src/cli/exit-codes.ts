/**
 * The CLI's exit codes, so that scripts can tell a failed run from a broken call:
 * 0 Completed, 1 Failed (a run, or a compute's provisioning), 2 bad usage or input, 3 Canceled, 4 service or network error,
 * 5 not found (no such run or experiment, or no artifact where one was asked for), 130 interrupted (Ctrl-C
 * while waiting; the run goes on).
 */
import {
  AzureMLAbortError,
  AzureMLAccountError,
  AzureMLComputeFailedError,
  AzureMLNotFoundError,
  AzureMLProjectError,
  AzureMLRunFailedError,
  AzureMLServiceError,
  AzureMLValidationError,
} from '../errors';

export const EXIT = { completed: 0, failed: 1, usage: 2, canceled: 3, service: 4, notFound: 5, interrupted: 130 } as const;

/** A mistake in the command line or the settings: exit 2, with the message. */
export class CliUsageError extends Error {
  override readonly name = 'CliUsageError';
}

/** The exit code for a run that ended in `status` (a status that is not an end counts as a failure). */
export function exitCodeForStatus(status: string | undefined): number {
  if (status === 'Completed') return EXIT.completed;
  if (status === 'Canceled') return EXIT.canceled;
  return EXIT.failed;
}

export function exitCodeForError(error: unknown): number {
  if (error instanceof AzureMLRunFailedError || error instanceof AzureMLComputeFailedError) return EXIT.failed;
  if (error instanceof CliUsageError || error instanceof AzureMLValidationError || error instanceof AzureMLAccountError || error instanceof AzureMLProjectError) {
    return EXIT.usage;
  }
  if (error instanceof AzureMLAbortError) return EXIT.interrupted;
  if (error instanceof AzureMLServiceError && error.statusCode === 404) return EXIT.notFound;
  if (error instanceof AzureMLNotFoundError) return EXIT.notFound;
  return EXIT.service;
}
