/**
 * A service principal (what seed 003 does with a client id and secret): client credentials for
 * the tenant, through @azure/msal-node's ConfidentialClientApplication. Tokens are cached and
 * refreshed ahead of expiry, one request for all concurrent callers. msal refuses authorities
 * that are not https; a loopback http authority (the emulator) gets the same form POST directly.
 */
import type { Account } from '../account/account';
import { AzureMLAuthError } from '../errors';
import { TokenCycler, type AccessToken } from './token-cycler';
import { standardPipeline } from '../http/standard-pipeline';
import { msalNetworkClient } from './msal-network';
import { scrubSecrets, secretValues } from '../http/scrub';
import { authorityHost, scopeOf, requestToken, TOKEN_RETRY } from './token-endpoint';
import type { TokenRequestContext, TokenSource } from './token-source';

export interface ServicePrincipal {
  tenantId: string;
  clientId: string;
  clientSecret: string;
}

type Msal = typeof import('@azure/msal-node');

export function servicePrincipalSource(account: Account, principal: ServicePrincipal): TokenSource {
  const host = authorityHost(account);
  const scope = scopeOf(account);
  const authority = `${host}/${encodeURIComponent(principal.tenantId)}`;
  const endpoint = `${authority}/oauth2/v2.0/token`;
  let app: InstanceType<Msal['ConfidentialClientApplication']> | undefined;
  let token: AccessToken | undefined;
  /** The action whose call is getting the token (one token request at a time: the cycler shares it). */
  let currentAction = '';

  const viaMsal = async (context: TokenRequestContext): Promise<AccessToken> => {
    const msal = require('@azure/msal-node') as Msal;
    // msal's requests go through this package's pipeline (user agent, retries, logging, caps), not its own fetch.
    currentAction = context.action;
    app ??= new msal.ConfidentialClientApplication({
      auth: { clientId: principal.clientId, clientSecret: principal.clientSecret, authority },
      system: {
        networkClient: msalNetworkClient(standardPipeline({ retry: TOKEN_RETRY, logger: null, policies: context.policies }), () => currentAction, [principal.clientSecret]),
      },
    });
    try {
      const result = await app.acquireTokenByClientCredential({ scopes: [scope], skipCache: true }); // the cycler is the cache
      if (!result?.accessToken) throw new Error('msal returned no token');
      return { token: result.accessToken, expiresAt: result.expiresOn ? result.expiresOn.getTime() : undefined };
    } catch (error) {
      // msal's error holds its request; only its code and message are kept.
      const err = (error ?? {}) as { errorCode?: string; errorMessage?: string; message?: string };
      throw new AzureMLAuthError({
        action: context.action,
        tokenEndpoint: endpoint,
        doing: 'get a token for the service principal',
        error: err.errorCode,
        // Every occurrence, typed or encoded: msal's messages can quote the form they sent.
        errorDescription: scrubSecrets((err.errorMessage || err.message || 'unknown error').split('\n')[0], secretValues([principal.clientSecret])),
      });
    }
  };

  const direct = async (context: TokenRequestContext): Promise<AccessToken> => {
    const answer = await requestToken(
      endpoint,
      { grant_type: 'client_credentials', client_id: principal.clientId, client_secret: principal.clientSecret, scope },
      { action: context.action, doing: 'get a token for the service principal', signal: context.signal, policies: context.policies },
    );
    const expiresIn = Number(answer.expires_in);
    return { token: answer.access_token, expiresAt: Number.isFinite(expiresIn) ? Date.now() + expiresIn * 1000 : undefined };
  };

  // msal speaks only https; a loopback http authority (the emulator) gets the form POST directly.
  const fetchToken = new URL(host).protocol === 'https:' ? viaMsal : direct;
  const cycler = new TokenCycler(
    () => token,
    async (context) => (token = await fetchToken(context)),
  );
  return {
    getToken: (context) => cycler.getToken(context),
    onUnauthorized: (context) => cycler.renewAfterRejection(context, context.rejectedToken),
  };
}
