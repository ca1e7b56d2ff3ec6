/**
 * Whoever must persist refreshed tokens is told: DataFire's `Action.addOAuthRefreshCallback`
 * callbacks (when DataFire is loaded in this process) and the caller's own `onTokenRefresh`.
 * A callback that throws does not break the call that refreshed.
 */
import type { Account } from '../account/account';

function loadedDataFireAction(): { callOAuthRefreshCallbacks?: (account: Account) => void } | undefined {
  for (const from of [process.cwd(), __dirname]) {
    try {
      const file = require.resolve('datafire', { paths: [from] });
      // Only a DataFire already loaded has callbacks registered: never load it here (~600 ms).
      const cached = require.cache[file];
      if (cached) return (cached.exports as { Action?: { callOAuthRefreshCallbacks?: (account: Account) => void } }).Action;
    } catch {
      // not installed there
    }
  }
  return undefined;
}

export function notifyTokenRefresh(account: Account, callback?: (account: Account) => void, log?: (message: string) => void): void {
  const calls: Array<[string, () => void]> = [];
  const action = loadedDataFireAction();
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
