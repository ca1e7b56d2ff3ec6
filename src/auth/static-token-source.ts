import type { Account } from '../account/account';
import type { TokenSource } from './token-source';

/**
 * The account's `access_token`, read at each request so that a token the caller (or DataFire)
 * writes into the account is used from the next call on. A 401 is the action's error.
 */
export function staticTokenSource(account: Account): TokenSource {
  return {
    async getToken() {
      return account.access_token as string;
    },
  };
}
