/**
 * The OAuth token endpoint: where it is (the account's `refresh_url`, else the authority's v2
 * endpoint for its tenant), and one form POST to it, whose failure keeps the endpoint's reason.
 */
import type { Account } from '../account/account';
import { MANAGEMENT_HOSTS } from '../account/base-url';
import { credentialUrl, displayUrl } from '../account/secure-url';
import { bufferBody } from '../http/body';
import { AzureMLAuthError, AzureMLError } from '../errors';
import type { PipelinePolicy } from '../http/pipeline';
import { scrubSecrets, secretValues } from '../http/scrub';
import { standardPipeline } from '../http/standard-pipeline';
import type { RetryOptions } from '../http/call-options';

export const DEFAULT_AUTHORITY_HOST = 'https://login.microsoftonline.com';
export const DEFAULT_SCOPE = 'https://management.azure.com/.default';

/** Token requests are retried once: a token endpoint that keeps failing is reported, not waited on. */
export const TOKEN_RETRY: RetryOptions = { maxRetries: 1 };

/** The integration named by errors about the account's token fields (one account serves every integration). */
const ACCOUNT_OWNER = 'azure_machinelearningservices_execution';

/** Azure AD of each national cloud (the account's `cloud`, or AZURE_CLOUD). */
const CLOUD_AUTHORITIES: Readonly<Record<string, string>> = {
  AzureCloud: DEFAULT_AUTHORITY_HOST,
  AzureChinaCloud: 'https://login.chinacloudapi.cn',
  AzureUSGovernment: 'https://login.microsoftonline.us',
};

const cloudOf = (account: Account): string | undefined => {
  const cloud = account.cloud ?? process.env.AZURE_CLOUD;
  return typeof cloud === 'string' && cloud ? cloud : undefined;
};

/**
 * The scope tokens are asked for: the account's `scope`, else its national cloud's Resource
 * Manager (`https://management.chinacloudapi.cn/.default`), else https://management.azure.com/.default.
 * One audience serves Run History, the Execution Service and the v2 API alike.
 */
export function scopeOf(account: Account): string {
  if (typeof account.scope === 'string' && account.scope) return account.scope;
  const host = MANAGEMENT_HOSTS[cloudOf(account) ?? ''];
  return host ? `${host}/.default` : DEFAULT_SCOPE;
}

/** The authority (account.authority_host, AZURE_AUTHORITY_HOST, the cloud's Azure AD, else Azure AD), https unless loopback or allowed. */
export function authorityHost(account: Account, action?: string): string {
  const own = typeof account.authority_host === 'string' && account.authority_host;
  const host = own || process.env.AZURE_AUTHORITY_HOST || CLOUD_AUTHORITIES[cloudOf(account) ?? ''] || DEFAULT_AUTHORITY_HOST;
  const url = credentialUrl(host, own ? 'authority_host' : 'authority_host (from AZURE_AUTHORITY_HOST)', account, ACCOUNT_OWNER, action);
  return `${url.protocol}//${url.host}${url.pathname}`.replace(/\/+$/, '');
}

/** Where refresh tokens and client secrets are sent: refresh_url, else the authority's v2 endpoint for the tenant. */
export function tokenEndpoint(account: Account, action?: string): string {
  if (typeof account.refresh_url === 'string' && account.refresh_url) return credentialUrl(account.refresh_url, 'refresh_url', account, ACCOUNT_OWNER, action).toString();
  const tenant = (typeof account.tenant_id === 'string' && account.tenant_id) || 'common';
  return `${authorityHost(account, action)}/${encodeURIComponent(tenant)}/oauth2/v2.0/token`;
}

export interface TokenAnswer {
  access_token: string;
  refresh_token?: string;
  token_type?: string;
  scope?: string;
  expires_in?: number | string;
  [field: string]: unknown;
}

/** POSTs the form; a 2xx without access_token, a non-2xx or no answer are AzureMLAuthErrors naming `doing`. */
export async function requestToken(
  url: string,
  form: Record<string, string | undefined>,
  context: { action: string; doing: string; signal?: AbortSignal; policies?: PipelinePolicy[]; sleep?: RetryOptions['sleep'] },
): Promise<TokenAnswer> {
  const body = new URLSearchParams();
  for (const [key, value] of Object.entries(form)) if (value !== undefined && value !== '') body.set(key, value);
  const endpoint = displayUrl(url);
  // What the form carries (refresh token, client secret, code) never comes back in an error.
  const secrets = () => secretValues([form.refresh_token, form.client_secret, form.code, form.client_assertion]);
  // The client's logging comes in context.policies; one retry of a 5xx or a dropped connection.
  const send = standardPipeline({ retry: context.sleep ? { ...TOKEN_RETRY, sleep: context.sleep } : TOKEN_RETRY, logger: null, policies: context.policies });
  let response;
  try {
    response = await send({
      method: 'post',
      url,
      headers: { accept: 'application/json' },
      body: bufferBody(Buffer.from(body.toString(), 'utf8'), 'application/x-www-form-urlencoded'),
      responseType: 'buffer',
      action: context.action,
      baseUrl: new URL(url).origin,
      signal: context.signal,
      secrets,
    });
  } catch (error) {
    const description = scrubSecrets(error instanceof AzureMLError ? error.message : String(error), secrets());
    throw new AzureMLAuthError({ action: context.action, tokenEndpoint: endpoint, doing: context.doing, errorDescription: description });
  }
  // Parsed as sent: a token endpoint may hand back the same refresh token, which must stay intact.
  const text = response.body.toString('utf8');
  let json: Record<string, unknown> | undefined;
  try {
    json = JSON.parse(text) as Record<string, unknown>;
  } catch {
    json = undefined;
  }
  // Node's client hands a request only its final answer (1xx are events), so anything below 300 is a 2xx.
  if (response.status >= 300 || typeof json?.access_token !== 'string') {
    const scrub = (value: string) => scrubSecrets(value, secrets());
    const error = typeof json?.error === 'string' ? scrub(json.error) : undefined;
    let description = typeof json?.error_description === 'string' ? scrub(json.error_description) : undefined;
    if (!error && !description) description = response.status >= 300 ? scrub(text).replace(/\s+/g, ' ').trim().slice(0, 200) || undefined : 'the answer has no access_token';
    throw new AzureMLAuthError({ action: context.action, tokenEndpoint: endpoint, doing: context.doing, statusCode: response.status, error, errorDescription: description });
  }
  return json as TokenAnswer;
}
