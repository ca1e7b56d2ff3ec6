/**
 * The transport: axios with its Node http adapter. Redirects are off (following them makes
 * axios buffer the whole upload), body and answer sizes are unbounded (uploads are streamed),
 * and every status is returned to the pipeline rather than thrown.
 */
import type { AxiosInstance, AxiosResponse } from 'axios';
import { AzureMLNetworkError } from './errors';
import type { PipelineRequest, PipelineResponse, SendRequest } from './pipeline';

let axiosInstance: AxiosInstance | undefined;

/** The shared axios instance (keep-alive agents, no redirects, Buffer answers), created on first use. */
export function getAxios(): AxiosInstance {
  if (axiosInstance) return axiosInstance;
  // Loaded on the first request: requiring axios costs ~90 ms, which import and create() must not pay.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const axios = require('axios') as import('axios').AxiosStatic;
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const http = require('http') as typeof import('http');
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const https = require('https') as typeof import('https');
  axiosInstance = axios.create({
    // Connections are reused across calls: a call costs a round trip, not a TCP and TLS handshake.
    httpAgent: new http.Agent({ keepAlive: true }),
    httpsAgent: new https.Agent({ keepAlive: true }),
    adapter: 'http',
    maxRedirects: 0,
    maxBodyLength: Infinity,
    maxContentLength: Infinity,
    responseType: 'arraybuffer',
    decompress: true,
    validateStatus: () => true,
    // A timeout is ETIMEDOUT (retried as a dropped connection), not axios's ECONNABORTED.
    transitional: { clarifyTimeoutError: true, silentJSONParsing: true, forcedJSONParsing: false },
    // Bodies are sent and returned as they are: no JSON guessing by axios.
    transformRequest: [(data: unknown) => data],
    transformResponse: [(data: unknown) => data],
  });
  return axiosInstance;
}

function plainHeaders(headers: AxiosResponse['headers']): Record<string, string | string[] | undefined> {
  const out: Record<string, string | string[] | undefined> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value === undefined || value === null) continue;
    out[name.toLowerCase()] = Array.isArray(value) ? value.map(String) : String(value);
  }
  return out;
}

/** Why a request got no answer, without anything from the request itself (its headers carry the token). */
function networkError(request: PipelineRequest, error: unknown): AzureMLNetworkError {
  const err = error as { code?: string; message?: string; cause?: { code?: string } };
  const code = err.code && err.code.startsWith('E') && !err.code.startsWith('ERR_') ? err.code : err.cause?.code ?? err.code;
  let reason = (err.message ?? 'unknown error').replace(/\s+/g, ' ').slice(0, 300);
  if (code === 'ETIMEDOUT' && request.timeoutMs) reason = `no data for ${request.timeoutMs} ms (the per-attempt timeout)`;
  return new AzureMLNetworkError(request.action, request.baseUrl, reason, code);
}

export const axiosTransport: SendRequest = async (request: PipelineRequest): Promise<PipelineResponse> => {
  const built = request.body ? await request.body.create() : undefined;
  const headers: Record<string, string | false> = { ...request.headers, ...built?.headers };
  if (!built) {
    // axios would otherwise label a bodyless POST as a urlencoded form; proxies want a length on POST.
    headers['content-type'] = false;
    if (request.method !== 'get' && request.method !== 'head') headers['content-length'] = '0';
  }
  let response: AxiosResponse<Buffer>;
  try {
    response = await getAxios().request<Buffer>({
      method: request.method,
      url: request.url,
      headers,
      data: built?.data,
      signal: request.signal,
      timeout: request.timeoutMs ?? 0,
    });
  } catch (error) {
    // An abort is the caller's (or the deadline's): the client turns it into its own error.
    if (request.signal?.aborted) throw request.signal.reason;
    throw networkError(request, error);
  }
  return {
    status: response.status,
    headers: plainHeaders(response.headers),
    body: Buffer.isBuffer(response.data) ? response.data : Buffer.from(response.data ?? []),
    request,
  };
};
