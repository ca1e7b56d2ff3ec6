/**
 * msal-node's requests (token endpoint, authority discovery) through this package's link pipeline:
 * the same user agent, request id, retries, logging and size caps as every other request, instead
 * of msal's own fetch. msal reads the answer's JSON body as an object.
 */
import type { INetworkModule, NetworkRequestOptions, NetworkResponse } from '@azure/msal-node';
import { bufferBody } from '../http/body';
import type { SendRequest } from '../http/pipeline';
import { secretValues } from '../http/scrub';

/** Token answers are small: a few KiB. A larger one is an error, never memory. */
const MAX_MSAL_ANSWER_BYTES = 1024 * 1024;

export function msalNetworkClient(send: SendRequest, action: () => string, secrets: readonly string[]): INetworkModule {
  const request = async <T>(method: 'get' | 'post', url: string, options: NetworkRequestOptions = {}, timeoutMs?: number): Promise<NetworkResponse<T>> => {
    const headers: Record<string, string> = {};
    for (const [name, value] of Object.entries(options.headers ?? {})) headers[name.toLowerCase()] = value;
    const contentType = headers['content-type'] ?? 'application/x-www-form-urlencoded;charset=utf-8';
    delete headers['content-type'];
    const response = await send({
      method,
      url,
      headers,
      body: options.body !== undefined ? bufferBody(Buffer.from(options.body, 'utf8'), contentType) : undefined,
      responseType: 'buffer',
      action: action(),
      baseUrl: new URL(url).origin,
      timeoutMs: timeoutMs ?? 30_000,
      maxResponseBytes: MAX_MSAL_ANSWER_BYTES,
      secrets: () => secretValues(secrets),
    });
    const text = response.body.toString('utf8');
    let body: unknown = {};
    try {
      body = text ? JSON.parse(text) : {};
    } catch {
      body = { error: 'invalid_response', error_description: text.slice(0, 200) };
    }
    const flat: Record<string, string> = {};
    for (const [name, value] of Object.entries(response.headers)) if (value !== undefined) flat[name] = Array.isArray(value) ? value.join(', ') : value;
    return { headers: flat, body: body as T, status: response.status };
  };
  return {
    sendGetRequestAsync: (url, options, timeout) => request('get', url, options, timeout),
    sendPostRequestAsync: (url, options) => request('post', url, options),
  };
}
