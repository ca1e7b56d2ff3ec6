/**
 * DataFire's OAuth account: `access_token` + `refresh_token`. Refreshes on a 401 (once, then
 * sends the request again once) and ahead of expiry when the expiry is known, with one token
 * request for all concurrent callers. The account is updated in place, as DataFire does.
 */
import type { Account } from '../account/account';
import { accountExpiry } from './expiry';
import { notifyTokenRefresh } from './notify-refresh';
import { TokenCycler, type AccessToken } from './token-cycler';
import { scopeOf, requestToken, tokenEndpoint } from './token-endpoint';
import type { TokenRequestContext, TokenSource } from './token-source';

export function refreshTokenSource(account: Account, integrationId: string): TokenSource {
  accountExpiry(account, integrationId); // a malformed expiry is an error now, before any request

  const current = (): AccessToken | undefined =>
    typeof account.access_token === 'string' && account.access_token ? { token: account.access_token, expiresAt: accountExpiry(account, integrationId) } : undefined;

  const fetchToken = async (context: TokenRequestContext): Promise<AccessToken> => {
    const answer = await requestToken(
      tokenEndpoint(account, context.action),
      {
        grant_type: 'refresh_token',
        refresh_token: account.refresh_token,
        client_id: account.client_id,
        client_secret: account.client_secret,
        scope: scopeOf(account),
      },
      { action: context.action, doing: 'refresh the access token', signal: context.signal, policies: context.policies },
    );
    const expiresIn = Number(answer.expires_in);
    const expiresAt = Number.isFinite(expiresIn) && expiresIn > 0 ? Date.now() + expiresIn * 1000 : undefined;
    account.access_token = answer.access_token;
    if (answer.refresh_token) account.refresh_token = answer.refresh_token;
    if (expiresAt !== undefined) {
      account.expires_at = new Date(expiresAt).toISOString();
      if ('expiration' in account) account.expiration = account.expires_at;
    } else {
      delete account.expires_at;
      delete account.expiration;
    }
    notifyTokenRefresh(account, context.onRefresh);
    return { token: answer.access_token, expiresAt };
  };

  const cycler = new TokenCycler(current, fetchToken);
  return {
    getToken: (context) => cycler.getToken(context),
    onUnauthorized: (context) => cycler.renewAfterRejection(context, context.rejectedToken),
  };
}
