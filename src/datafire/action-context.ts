/**
 * The DataFire side of the second argument of actions: the context type lives with the action
 * signatures (spec/action-signature.ts), the per-call settings in http/call-options.ts; this
 * module finds an integration's account in a context.
 */
import type { Account } from '../account/account';
import type { ActionContext } from '../spec/action-signature';

export type { ActionContext } from '../spec/action-signature';
export type { CallOptions, UploadProgress } from '../http/call-options';

/** The account registered for an integration in a context, following one level of aliasing as DataFire does. */
export function accountFromContext(context: ActionContext | undefined, integrationId: string): Account | undefined {
  const accounts = context?.accounts;
  if (!accounts) return undefined;
  const entry = accounts[integrationId];
  const account = typeof entry === 'string' ? accounts[entry] : entry;
  return account && typeof account === 'object' ? account : undefined;
}
