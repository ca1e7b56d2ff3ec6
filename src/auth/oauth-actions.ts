/**
 * The two actions DataFire generates for OAuth integrations, with the account's client_id,
 * client_secret and redirect_uri: `oauthCallback({code})` exchanges the code passed to the
 * redirect URI, `oauthRefresh()` exchanges the refresh token. Both answer
 * `{access_token, refresh_token, token_type, scope, expiration}`.
 */
import type { Account } from '../account/account';
import { AzureMLValidationError } from '../errors';
import type { ActionContext } from '../spec/action-signature';
import type { JSONSchema } from '../spec/operation-spec';
import { scopeOf, requestToken, tokenEndpoint } from './token-endpoint';

export interface OAuthTokens {
  access_token: string;
  refresh_token?: string;
  token_type?: string;
  scope?: string;
  /** ISO date of expiry, when the endpoint said `expires_in`. */
  expiration?: string;
}

export const OAUTH_OUTPUT_SCHEMA: JSONSchema = {
  type: 'object',
  properties: {
    access_token: { type: 'string' },
    refresh_token: { type: 'string' },
    token_type: { type: 'string' },
    scope: { type: 'string' },
    expiration: { type: 'string' },
  },
};

/** As DataFire builds it from `inputs: [{title: 'code', type: 'string'}]`. */
export const OAUTH_CALLBACK_INPUT_SCHEMA: JSONSchema = {
  type: 'object',
  properties: { code: { title: 'code', type: 'string' } },
  required: ['code'],
};

async function grant(account: Account, form: Record<string, string | undefined>, action: string, doing: string): Promise<OAuthTokens> {
  const answer = await requestToken(
    tokenEndpoint(account, action),
    {
      client_id: account.client_id,
      client_secret: account.client_secret,
      redirect_uri: account.redirect_uri,
      scope: scopeOf(account),
      ...form,
    },
    { action, doing },
  );
  const out: OAuthTokens = { access_token: answer.access_token };
  if (answer.refresh_token) out.refresh_token = answer.refresh_token;
  if (answer.token_type) out.token_type = answer.token_type;
  if (answer.scope) out.scope = answer.scope;
  const expiresIn = Number(answer.expires_in);
  if (Number.isFinite(expiresIn) && expiresIn > 0) out.expiration = new Date(Date.now() + expiresIn * 1000).toISOString();
  return out;
}

export function oauthCallback(account: Account, input: unknown, action: string): Promise<OAuthTokens> {
  const code = (input as { code?: unknown } | null | undefined)?.code;
  if (typeof code !== 'string' || code === '')
    return Promise.reject(new AzureMLValidationError({ action, problems: [{ path: 'code', message: 'is required: the code passed to your redirect URI' }] }));
  return grant(account, { grant_type: 'authorization_code', code }, action, 'exchange the authorization code');
}

export function oauthRefresh(account: Account, action: string): Promise<OAuthTokens> {
  if (typeof account.refresh_token !== 'string' || !account.refresh_token) {
    return Promise.reject(new AzureMLValidationError({ action, problems: [{ path: '', message: 'the account has no refresh_token to exchange' }] }));
  }
  return grant(account, { grant_type: 'refresh_token', refresh_token: account.refresh_token }, action, 'refresh the access token');
}

/** DataFire's OAuth actions, on every integration. */
export interface OAuthActions {
  oauthCallback(input: { code: string }, context?: ActionContext): Promise<OAuthTokens>;
  oauthRefresh(input?: Record<string, never> | null, context?: ActionContext): Promise<OAuthTokens>;
}
