/**
 * Run statuses as Run History reports them (the swagger types `status` as a plain string; these
 * are the values the service and the Azure ML SDK use), and which of them are final.
 */

export const RUN_STATUSES = [
  'NotStarted',
  'Queued',
  'Preparing',
  'Provisioning',
  'Starting',
  'Running',
  'CancelRequested',
  'Canceled',
  'Finalizing',
  'Completed',
  'Failed',
  'Unapproved',
  'NotResponding',
  'Pausing',
  'Paused',
] as const;

export type KnownRunStatus = (typeof RUN_STATUSES)[number];

/** A run in one of these has ended: it writes nothing more and changes no more. */
export const TERMINAL_STATUSES = ['Completed', 'Failed', 'Canceled'] as const;

export type TerminalRunStatus = (typeof TERMINAL_STATUSES)[number];

export function isTerminalStatus(status: unknown): status is TerminalRunStatus {
  return (TERMINAL_STATUSES as readonly unknown[]).includes(status);
}
