/**
 * Picks the token source an account calls for, once per account object, so that every action
 * and client using the account shares its tokens and refreshes:
 * - `access_token` and/or `refresh_token`: the refresh-token source (a refresh needs the refresh token);
 * - `access_token` alone: a static token;
 * - neither: a service principal, from `client_id`, `client_secret`, `tenant_id`, or from
 *   AZURE_CLIENT_ID, AZURE_CLIENT_SECRET, AZURE_TENANT_ID.
 */
import type { Account } from '../account/account';
import { AzureMLAccountError } from '../errors';
import { accountExpiry } from './expiry';
import { refreshTokenSource } from './refresh-token-source';
import { servicePrincipalSource } from './service-principal-source';
import { staticTokenSource } from './static-token-source';
import type { TokenSource } from './token-source';

const sources = new WeakMap<Account, TokenSource>();

const str = (value: unknown): string | undefined => (typeof value === 'string' && value !== '' ? value : undefined);

function choose(account: Account, integrationId: string): TokenSource {
  if (str(account.refresh_token)) return refreshTokenSource(account, integrationId);
  if (str(account.access_token)) {
    accountExpiry(account, integrationId);
    return staticTokenSource(account);
  }
  const env = process.env;
  const clientId = str(account.client_id) ?? str(env.AZURE_CLIENT_ID);
  const clientSecret = str(account.client_secret) ?? str(env.AZURE_CLIENT_SECRET);
  const tenantId = str(account.tenant_id) ?? str(env.AZURE_TENANT_ID);
  if (clientId || clientSecret || tenantId) {
    const missing = [
      !clientId && 'client_id (or AZURE_CLIENT_ID)',
      !clientSecret && 'client_secret (or AZURE_CLIENT_SECRET)',
      !tenantId && 'tenant_id (or AZURE_TENANT_ID)',
    ].filter(Boolean) as string[];
    if (missing.length) {
      throw new AzureMLAccountError({ message: `The ${integrationId} account is a service principal without ${missing.join(', ')}`, fields: missing.map((m) => m.split(' ')[0]) });
    }
    return servicePrincipalSource(account, { clientId: clientId!, clientSecret: clientSecret!, tenantId: tenantId! });
  }
  throw new AzureMLAccountError({
    message: `The ${integrationId} account has no credentials: give access_token (and refresh_token to refresh it), or a service principal's client_id, client_secret and tenant_id (or AZURE_CLIENT_ID, AZURE_CLIENT_SECRET, AZURE_TENANT_ID)`,
    fields: ['access_token', 'refresh_token', 'client_id', 'client_secret', 'tenant_id'],
  });
}

export function tokenSourceForAccount(account: Account, integrationId: string, action?: string): TokenSource {
  let source = sources.get(account);
  if (source) return source;
  try {
    source = choose(account, integrationId);
  } catch (error) {
    if (error instanceof AzureMLAccountError && action && !error.action) Object.assign(error, { action });
    throw error;
  }
  sources.set(account, source);
  return source;
}
