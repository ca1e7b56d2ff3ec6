/**
 * A run's status as a badge: a word and a colour (never colour alone), the colour from the
 * status's group. Which statuses are final comes from the spec, as the client reads them.
 */
import { isTerminalStatus } from '../../../spec/run-status';
import { h } from './dom';

export type StatusGroup = 'done' | 'failed' | 'canceled' | 'running' | 'waiting' | 'stopping';

export function groupOf(status: string | undefined): StatusGroup {
  switch (status) {
    case 'Completed':
      return 'done';
    case 'Failed':
    case 'NotResponding':
      return 'failed';
    case 'Canceled':
      return 'canceled';
    case 'Running':
    case 'Finalizing':
      return 'running';
    case 'CancelRequested':
      return 'stopping';
    default:
      return 'waiting';
  }
}

/** A run that has not ended: it can still be cancelled, its log and metrics still grow. */
export const isActive = (status: string | undefined): boolean => !!status && !isTerminalStatus(status);

export function statusBadge(status: string | undefined): HTMLElement {
  const word = status ?? 'Unknown';
  return h('span', { class: `status status-${groupOf(status)}`, 'data-status': word }, h('span', { class: 'status-dot', 'aria-hidden': 'true' }), word);
}
