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

/** Azure Resource Manager of each national cloud (`cloud` of the account, or AZURE_CLOUD). */
export const MANAGEMENT_HOSTS: Readonly<Record<string, string>> = {
  AzureCloud: 'https://management.azure.com',
  AzureChinaCloud: 'https://management.chinacloudapi.cn',
  AzureUSGovernment: 'https://management.usgovcloudapi.net',
};

const managementResolved = new WeakMap<Account, { host: unknown; cloud: unknown; insecure: unknown; url: string }>();

/**
 * The base URL of an API with a host of its own (the v2 API: Azure Resource Manager):
 * `management_host` of the account (the emulator, a private endpoint), else its `cloud`'s (or
 * AZURE_CLOUD's), else the API's own.
 */
export function resolveManagementUrl(account: Account, integrationId: string, defaultHost: string, action?: string): string {
  const { management_host: host } = account;
  const cloud = account.cloud ?? process.env.AZURE_CLOUD;
  const known = managementResolved.get(account);
  if (known && known.host === host && known.cloud === cloud && known.insecure === account.allow_insecure_http) return known.url;
  let url: string;
  if (host !== undefined && host !== '') {
    if (typeof host !== 'string')
      throw new AzureMLAccountError({ message: `The ${integrationId} account's management_host must be a string`, fields: ['management_host'], action });
    const parsed = credentialUrl(host, 'management_host', account, integrationId, action);
    if (parsed.search || parsed.hash || parsed.username || parsed.password) {
      throw new AzureMLAccountError({
        message: `The ${integrationId} account's management_host must not carry a query, fragment or credentials`,
        fields: ['management_host'],
        action,
      });
    }
    url = parsed.toString().replace(/\/+$/, '');
  } else if (cloud !== undefined && cloud !== '') {
    const named = typeof cloud === 'string' ? MANAGEMENT_HOSTS[cloud] : undefined;
    if (!named) {
      throw new AzureMLAccountError({
        message: `The ${integrationId} account's cloud must be one of ${Object.keys(MANAGEMENT_HOSTS).join(', ')} (got ${JSON.stringify(cloud)}); give management_host for another`,
        fields: ['cloud'],
        action,
      });
    }
    url = named;
  } else {
    url = defaultHost;
  }
  managementResolved.set(account, { host, cloud, insecure: account.allow_insecure_http, url });
  return url;
}

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
