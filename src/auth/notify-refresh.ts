/**
 * Whoever must persist refreshed tokens is told: DataFire's `Action.addOAuthRefreshCallback`
 * callbacks (when DataFire is loaded in this process) and the caller's own `onTokenRefresh`.
 * A callback that throws does not break the call that refreshed, and is not lost: it is told to
 * `log` (default a process warning, code AZUREML_REFRESH_CALLBACK).
 */
import type { Account } from '../account/account';
import { resolveDataFire } from '../datafire/datafire-module';
import { scrubSecrets, secretValues } from '../http/scrub';

function warn(message: string): void {
  process.emitWarning(message, { type: 'AzureMLWarning', code: 'AZUREML_REFRESH_CALLBACK' });
}

export function notifyTokenRefresh(account: Account, callback?: (account: Account) => void, log: (message: string) => void = warn): void {
  const calls: Array<[string, () => void]> = [];
  const action = resolveDataFire({ loadedOnly: true })?.Action;
  if (action?.callOAuthRefreshCallbacks) calls.push(['a DataFire oauth refresh callback', () => action.callOAuthRefreshCallbacks!(account)]);
  if (callback) calls.push(['onTokenRefresh', () => callback(account)]);
  for (const [name, call] of calls) {
    try {
      call();
    } catch (error) {
      // A callback that saves tokens may name them in its error: they stay out of the warning.
      const message = scrubSecrets(String((error as Error)?.message ?? error), secretValues([account.access_token, account.refresh_token, account.client_secret]));
      log(`${name} threw after a token refresh (ignored): ${message}`);
    }
  }
}
