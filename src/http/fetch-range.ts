/**
 * Reads a file link (a run's log, a blob SAS URL) from a byte offset with HTTP Range, without the
 * bearer token: such links carry their own signature, and may point at another host.
 */
import { AzureMLResponseFormatError, AzureMLServiceError } from '../errors';
import { DEFAULT_LOG_READ_BYTES } from './limits';
import type { PipelineRequest, SendRequest } from './pipeline';

export interface RangeRead {
  /** The bytes from `fromByte` on (empty when there is nothing new). */
  data: Buffer;
  /** The file's total size when the server said it. */
  totalSize?: number;
  /** The longest `wait` the link takes (the emulator's log long poll), when the server offers it. */
  maxWaitSeconds?: number;
}

/** The header by which the emulator offers its log long poll (see emulator/handlers/files.ts). */
export const LOG_WAIT_HEADER = 'x-azureml-emulator-log-wait';

/** A GET of at most `maxBytes` from `fromByte` on, over the link pipeline: the same for every range read. */
function rangeRequest(url: string, fromByte: number, maxBytes: number, action: string, signal: AbortSignal | undefined, setting: string): PipelineRequest {
  return {
    method: 'get',
    url,
    headers: { range: `bytes=${fromByte}-${fromByte + maxBytes - 1}` },
    responseType: 'buffer',
    action,
    baseUrl: new URL(url).origin,
    signal,
    timeoutMs: 120_000,
    // A server that ignores Range is read no further than that (a larger one is an error naming the setting).
    maxResponseBytes: maxBytes,
    maxResponseSetting: setting,
  };
}

/**
 * At most `maxBytes` from `fromByte` on: a bounded range, so a huge log is read in pieces of known
 * size. `send` is a link pipeline (no bearer token).
 */
export async function fetchFromByte(
  send: SendRequest,
  url: string,
  fromByte: number,
  action: string,
  signal?: AbortSignal,
  maxBytes = DEFAULT_LOG_READ_BYTES,
  /** Ask the server to hold the answer until there is something past fromByte (only where it offers it). */
  waitSeconds?: number,
): Promise<RangeRead> {
  let target = url;
  if (waitSeconds) {
    const withWait = new URL(url);
    withWait.searchParams.set('wait', String(waitSeconds));
    target = withWait.toString();
  }
  // One piece, whatever the server sends: memory never grows with the log.
  const response = await send(rangeRequest(target, fromByte, maxBytes, action, signal, 'maxBytes (the server ignored Range)'));
  const contentRange = String(response.headers['content-range'] ?? '');
  const total = /\/(\d+)$/.exec(contentRange)?.[1];
  const totalSize = total ? Number(total) : undefined;
  const offered = Number(response.headers[LOG_WAIT_HEADER]);
  const wait = Number.isSafeInteger(offered) && offered > 0 ? { maxWaitSeconds: offered } : {};
  if (response.status === 416) return { data: Buffer.alloc(0), totalSize, ...wait };
  if (response.status === 206) return { data: response.body, totalSize, ...wait };
  if (response.status === 200) {
    // A server that ignores Range sends the whole file: keep only what is new, one piece of it.
    const start = Math.min(fromByte, response.body.length);
    return { data: response.body.subarray(start, start + maxBytes), totalSize: response.body.length, ...wait };
  }
  throw new AzureMLServiceError({ action, statusCode: response.status, body: response.body.toString('utf8'), headers: response.headers });
}

/** What fetchRangeInto wrote: how many bytes, and the file's total size when the server said it. */
export interface RangeWritten {
  bytes: number;
  totalSize?: number;
}

/**
 * At most `maxBytes` from `fromByte` on, handed to `write(chunk, position)` as they arrive (the
 * position in the file), never held whole: a download of any size in little memory. A retried
 * attempt writes its bytes again from `fromByte`, over the same positions.
 */
export async function fetchRangeInto(
  send: SendRequest,
  url: string,
  fromByte: number,
  maxBytes: number,
  action: string,
  write: (chunk: Buffer, position: number) => Promise<void>,
  signal?: AbortSignal,
): Promise<RangeWritten> {
  // Counted per attempt: a retried attempt writes from fromByte again, with its own count.
  let attempt = { bytes: 0 };
  const response = await send({
    ...rangeRequest(url, fromByte, maxBytes, action, signal, 'pieceBytes (the server ignored Range)'),
    responseSink: (answered) => {
      const mine = (attempt = { bytes: 0 });
      // The whole file from its first byte, though a later range was asked for: not written (and
      // read no further than maxBytes), then refused below.
      if (answered === 200 && fromByte > 0) return undefined;
      return async (chunk) => {
        const position = fromByte + mine.bytes;
        mine.bytes += chunk.length;
        await write(chunk, position);
      };
    },
  });
  const { bytes } = attempt;
  const { status } = response;
  const total = /\/(\d+)$/.exec(String(response.headers['content-range'] ?? ''))?.[1];
  const totalSize = total ? Number(total) : undefined;
  if (status === 416) return { bytes: 0, totalSize };
  if (status === 206) return { bytes, totalSize };
  // A server that ignores Range answers the whole file from its first byte: right only from 0.
  if (status === 200 && fromByte === 0) return { bytes, totalSize: bytes };
  if (status === 200) {
    throw new AzureMLResponseFormatError({ action, statusCode: status, body: '', reason: `the server ignored Range: it sent the file from its start, not from byte ${fromByte}` });
  }
  throw new AzureMLServiceError({ action, statusCode: status, body: response.body.toString('utf8'), headers: response.headers });
}
