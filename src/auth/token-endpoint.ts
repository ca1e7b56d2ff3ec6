/**
 * The OAuth token endpoint: where it is (the account's `refresh_url`, else the authority's v2
 * endpoint for its tenant), and one form POST to it, whose failure keeps the endpoint's reason.
 */
import type { Account } from '../account/account';
import { bufferBody } from '../http/body';
import { AzureMLAuthError, AzureMLError } from '../http/errors';
import { createPipeline, type PipelinePolicy } from '../http/pipeline';
import { defaultTransport } from '../http/transport';

export const DEFAULT_AUTHORITY_HOST = 'https://login.microsoftonline.com';
export const DEFAULT_SCOPE = 'https://management.azure.com/.default';

export function authorityHost(account: Account): string {
  const host = (typeof account.authority_host === 'string' && account.authority_host) || process.env.AZURE_AUTHORITY_HOST || DEFAULT_AUTHORITY_HOST;
  return host.replace(/\/+$/, '');
}

export function tokenEndpoint(account: Account): string {
  if (typeof account.refresh_url === 'string' && account.refresh_url) return account.refresh_url;
  const tenant = (typeof account.tenant_id === 'string' && account.tenant_id) || 'common';
  return `${authorityHost(account)}/${encodeURIComponent(tenant)}/oauth2/v2.0/token`;
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
  context: { action: string; doing: string; signal?: AbortSignal; policies?: PipelinePolicy[] },
): Promise<TokenAnswer> {
  const body = new URLSearchParams();
  for (const [key, value] of Object.entries(form)) if (value !== undefined && value !== '') body.set(key, value);
  const endpoint = url.split('?')[0];
  const send = createPipeline(context.policies ?? [], defaultTransport);
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
    });
  } catch (error) {
    throw new AzureMLAuthError({ action: context.action, tokenEndpoint: endpoint, doing: context.doing, errorDescription: error instanceof AzureMLError ? error.message : String(error) });
  }
  const text = response.body.toString('utf8');
  let json: Record<string, unknown> | undefined;
  try {
    json = JSON.parse(text) as Record<string, unknown>;
  } catch {
    json = undefined;
  }
  if (response.status < 200 || response.status >= 300 || typeof json?.access_token !== 'string') {
    const error = typeof json?.error === 'string' ? json.error : undefined;
    let description = typeof json?.error_description === 'string' ? json.error_description : undefined;
    if (!error && !description) description = response.status >= 300 ? text.replace(/\s+/g, ' ').trim().slice(0, 200) || undefined : 'the answer has no access_token';
    throw new AzureMLAuthError({ action: context.action, tokenEndpoint: endpoint, doing: context.doing, statusCode: response.status, error, errorDescription: description });
  }
  return json as TokenAnswer;
}
