/**
 * Whoever must persist refreshed tokens is told: DataFire's `Action.addOAuthRefreshCallback`
 * callbacks (when DataFire is loaded in this process) and the caller's own `onTokenRefresh`.
 * A callback that throws does not break the call that refreshed.
 */
import type { Account } from '../account/account';
import { resolveDataFire } from '../datafire/datafire-module';

export function notifyTokenRefresh(account: Account, callback?: (account: Account) => void, log?: (message: string) => void): void {
  const calls: Array<[string, () => void]> = [];
  const action = resolveDataFire({ loadedOnly: true })?.Action;
  if (action?.callOAuthRefreshCallbacks) calls.push(['a DataFire oauth refresh callback', () => action.callOAuthRefreshCallbacks!(account)]);
  if (callback) calls.push(['onTokenRefresh', () => callback(account)]);
  for (const [name, call] of calls) {
    try {
      call();
    } catch (error) {
      log?.(`${name} threw after a token refresh (ignored): ${(error as Error).message}`);
    }
  }
}
