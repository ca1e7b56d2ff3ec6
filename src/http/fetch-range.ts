/**
 * Reads a file link (a run's log, a blob SAS URL) from a byte offset with HTTP Range, without the
 * bearer token: such links carry their own signature, and may point at another host.
 */
import { AzureMLNetworkError, AzureMLServiceError } from './errors';
import { getAxios } from './transport';

export interface RangeRead {
  /** The bytes from `fromByte` on (empty when there is nothing new). */
  data: Buffer;
  /** The file's total size when the server said it. */
  totalSize?: number;
}

export async function fetchFromByte(url: string, fromByte: number, action: string, signal?: AbortSignal): Promise<RangeRead> {
  const origin = new URL(url).origin;
  let response;
  try {
    response = await getAxios().get<Buffer>(url, { headers: fromByte > 0 ? { range: `bytes=${fromByte}-` } : {}, signal });
  } catch (error) {
    const err = error as { code?: string; message?: string };
    throw new AzureMLNetworkError(action, origin, err.message ?? 'unknown error', err.code);
  }
  const body = Buffer.isBuffer(response.data) ? response.data : Buffer.from(response.data ?? []);
  const contentRange = String(response.headers['content-range'] ?? '');
  const total = /\/(\d+)$/.exec(contentRange)?.[1];
  if (response.status === 416) return { data: Buffer.alloc(0), totalSize: total ? Number(total) : undefined };
  if (response.status === 206) return { data: body, totalSize: total ? Number(total) : undefined };
  if (response.status === 200) {
    // A server that ignores Range sends the whole file: keep only what is new.
    return { data: body.subarray(Math.min(fromByte, body.length)), totalSize: body.length };
  }
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(response.headers)) if (typeof value === 'string') headers[name.toLowerCase()] = value;
  throw new AzureMLServiceError({ action, statusCode: response.status, body: body.toString('utf8'), headers });
}
