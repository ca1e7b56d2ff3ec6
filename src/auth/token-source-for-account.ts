import type { Account } from '../account/account';
import { AzureMLAccountError } from '../http/errors';
import { staticTokenSource } from './static-token-source';
import type { TokenSource } from './token-source';

/** One token source per account object, shared by every action and client that uses it. */
const sources = new WeakMap<Account, TokenSource>();

export function tokenSourceForAccount(account: Account, integrationId: string, action?: string): TokenSource {
  let source = sources.get(account);
  if (source) return source;
  if (typeof account.access_token !== 'string' || account.access_token === '') {
    throw new AzureMLAccountError(`The ${integrationId} account has no credentials: give an access_token`, ['access_token'], action);
  }
  source = staticTokenSource(account);
  sources.set(account, source);
  return source;
}
