/**
 * Where requests go. The swagger has no host, so the generated integration cannot reach the
 * service without one: the account says it, as `host` or as `region`.
 */
import { AzureMLAccountError } from '../errors';
import type { Account } from './account';
import { credentialUrl } from './secure-url';

const REGION = /^[a-z][a-z0-9]*$/;

/** The last base URL worked out for an account, kept while its host and region stay the same. */
const resolved = new WeakMap<Account, { host: unknown; region: unknown; insecure: unknown; url: string }>();

/** The base URL without a trailing slash, or an AzureMLAccountError that names both fields. */
export function resolveBaseUrl(account: Account, integrationId: string, action?: string): string {
  const { host, region } = account;
  // Every call asks: parsing the host each time showed in profiles of concurrent calls.
  const known = resolved.get(account);
  if (known && known.host === host && known.region === region && known.insecure === account.allow_insecure_http) return known.url;
  const url = baseUrlOf(account, integrationId, action);
  resolved.set(account, { host, region, insecure: account.allow_insecure_http, url });
  return url;
}

function baseUrlOf(account: Account, integrationId: string, action?: string): string {
  const { host, region } = account;
  if (host !== undefined && host !== '') {
    if (typeof host !== 'string') throw new AzureMLAccountError({ message: `The ${integrationId} account's host must be a string`, fields: ['host'], action });
    const url = credentialUrl(host, 'host', account, integrationId, action);
    if (url.search || url.hash || url.username || url.password) {
      throw new AzureMLAccountError({ message: `The ${integrationId} account's host must not carry a query, fragment or credentials`, fields: ['host'], action });
    }
    return url.toString().replace(/\/+$/, '');
  }
  if (region !== undefined && region !== '') {
    if (typeof region !== 'string' || !REGION.test(region)) {
      throw new AzureMLAccountError({
        message: `The ${integrationId} account's region must be an Azure region name such as eastus (got ${JSON.stringify(region)})`,
        fields: ['region'],
        action,
      });
    }
    return `https://${region}.api.azureml.ms`;
  }
  throw new AzureMLAccountError({
    message: `The ${integrationId} account needs a 'host' (the service base URL, e.g. https://eastus.api.azureml.ms) or a 'region' (e.g. eastus)`,
    fields: ['host', 'region'],
    action,
  });
}
