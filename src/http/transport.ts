/**
 * The transport: Node's own http and https clients. Measured in `npm run bench`, axios's http
 * adapter added about 0.2 ms to every call (1.7x a raw request) and slowed streamed uploads;
 * this keeps what mattered from it without the cost:
 * - keep-alive agents, so a call costs a round trip rather than a TCP and TLS handshake;
 * - no redirects (following them would mean buffering the upload to send it again);
 * - bodies streamed as they are built (one BodyFactory call per attempt), answers decompressed;
 * - a per-attempt idle timeout (connect, and between bytes) and the caller's AbortSignal;
 * - every status returned to the pipeline, never thrown.
 */
import type { IncomingMessage } from 'http';
import type { Readable } from 'stream';
import { AzureMLError, AzureMLNetworkError, AzureMLResponseFormatError } from '../errors';
import { DEFAULT_MAX_RESPONSE_BYTES, describeBytes } from './limits';
import type { PipelineRequest, PipelineResponse, SendRequest } from './pipeline';
import { scrubSecrets } from './scrub';

type Http = typeof import('http');
type Https = typeof import('https');

let modules: { http: Http; https: Https; httpAgent: import('http').Agent; httpsAgent: import('https').Agent; zlib: typeof import('zlib') } | undefined;

/** Loaded on the first request: import and create() pay nothing for them. */
function load() {
  if (modules) return modules;

  const http = require('http') as Http;
  const https = require('https') as Https;
  const zlib = require('zlib') as typeof import('zlib');

  modules = { http, https, zlib, httpAgent: new http.Agent({ keepAlive: true }), httpsAgent: new https.Agent({ keepAlive: true }) };
  return modules;
}

/** Why a request got no answer, without anything from the request itself (its headers carry the token). */
function networkError(request: PipelineRequest, error: NodeJS.ErrnoException): AzureMLNetworkError {
  const reason = (error.message ?? 'unknown error').replace(/\s+/g, ' ').slice(0, 300);
  return new AzureMLNetworkError({ action: request.action, host: request.baseUrl, reason, code: error.code });
}

/** Node's parser has already stripped the whitespace around a header value. */
function contentEncoding(response: IncomingMessage): string {
  return String(response.headers['content-encoding'] ?? '').toLowerCase();
}

/**
 * The body as sent, decompressed. Decoders finish strictly: a compressed body cut short is an
 * error ("unexpected end of file"), never a short success.
 */
function decoded(response: IncomingMessage): Readable {
  const { zlib } = load();
  const encoding = contentEncoding(response);
  if (encoding === 'gzip' || encoding === 'x-gzip') return response.pipe(zlib.createGunzip());
  if (encoding === 'deflate') return response.pipe(zlib.createInflate());
  if (encoding === 'br') return response.pipe(zlib.createBrotliDecompress());
  return response;
}

/** A decoder's failure: the answer arrived cut or garbled, which is worth another attempt. */
function decodeError(request: PipelineRequest, encoding: string, error: NodeJS.ErrnoException): AzureMLNetworkError {
  const truncated = error.code === 'Z_BUF_ERROR';
  const reason = truncated ? `the ${encoding} body of the answer is truncated` : `the ${encoding} body of the answer cannot be decoded (${error.message})`;
  return new AzureMLNetworkError({ action: request.action, host: request.baseUrl, reason, code: truncated ? 'ETRUNCATED' : 'EBADENCODING' });
}

/** One idle timer per attempt: started with the attempt, refreshed on every byte each way, cleared at the end. */
export interface IdleTimer {
  refresh(): void;
  clear(): void;
}

/** Where idle timers come from: Node's timers, or a test's clock that it moves by hand. */
export type IdleTimers = (ms: number, onIdle: () => void) => IdleTimer;

const nodeIdleTimers: IdleTimers = (ms, onIdle) => {
  const timer = setTimeout(onIdle, ms);
  return { refresh: () => void timer.refresh(), clear: () => clearTimeout(timer) };
};

export interface TransportOptions {
  /** Default: Node's timers. */
  idleTimers?: IdleTimers;
}

/** A transport of its own settings (tests give it a clock); `defaultTransport` is one with Node's timers. */
export function createTransport(options: TransportOptions = {}): SendRequest {
  const idleTimers = options.idleTimers ?? nodeIdleTimers;
  return (request) => send(request, idleTimers);
}

const send = async (request: PipelineRequest, idleTimers: IdleTimers): Promise<PipelineResponse> => {
  const signal = request.signal;
  if (signal?.aborted) throw signal.reason;
  const built = request.body ? await request.body.create() : undefined;
  const { http, https, httpAgent, httpsAgent } = load();
  const url = new URL(request.url);
  const secure = url.protocol === 'https:';
  const headers: Record<string, string> = { 'accept-encoding': 'gzip, deflate, br', ...request.headers, ...built?.headers };
  // Proxies and Azure front ends want a length on a bodyless POST.
  if (!built && request.method !== 'get' && request.method !== 'head') headers['content-length'] = '0';

  return new Promise<PipelineResponse>((resolve, reject) => {
    let settled = false;
    let bodyFailure: AzureMLError | undefined;
    // The per-attempt idle timeout: while connecting, while sending, and between bytes of the
    // answer. One timer, refreshed on activity: measured, a socket timeout (req.setTimeout,
    // re-armed by the socket on every read and write) cost ~5% of throughput under concurrency.
    const ms = request.timeoutMs;
    const idle = ms ? idleTimers(ms, () => req.destroy(Object.assign(new Error(`no data for ${ms} ms (the per-attempt timeout)`), { code: 'ETIMEDOUT' }))) : undefined;
    const active = idle ? () => idle.refresh() : undefined;
    // The sink's write in flight, if any: a failed attempt settles only after it, so that no
    // write of this attempt lands after the next attempt has started writing the same range.
    let sinkWrites: Promise<void> | undefined;
    const finish = (error: unknown, response?: PipelineResponse) => {
      if (settled) return;
      settled = true;
      idle?.clear();
      signal?.removeEventListener('abort', onAbort);
      if (!error) return resolve(response!);
      if (!sinkWrites) return reject(error);
      sinkWrites.then(
        () => reject(error),
        () => reject(error),
      );
    };
    const fail = (error: NodeJS.ErrnoException) => {
      // An abort is the caller's (or the deadline's): the client turns it into its own error.
      if (signal?.aborted) return finish(signal.reason);
      if (bodyFailure) return finish(bodyFailure);
      finish(networkError(request, error));
    };
    const onResponse = (response: IncomingMessage) => {
      const chunks: Buffer[] = [];
      // Counted after decompression: a small gzip body may expand without bound.
      const cap = request.maxResponseBytes ?? DEFAULT_MAX_RESPONSE_BYTES;
      const tooLarge = (what: string) => {
        const setting = request.maxResponseSetting ?? 'maxResponseBytes';
        finish(
          new AzureMLResponseFormatError({
            action: request.action,
            statusCode: response.statusCode ?? 0,
            body: '',
            reason: `the body is larger than the ${describeBytes(cap)} limit (${what}); raise ${setting} if such answers are expected`,
          }),
        );
        // After finishing: the 'aborted' this causes must not become the call's error.
        response.destroy();
      };
      const encoding = contentEncoding(response);
      // NaN when absent (a chunked answer), which is never larger than the cap.
      const declared = Number(response.headers['content-length']);
      // A HEAD answer's Content-Length is the size of what a GET would get: no body follows it.
      if (request.method !== 'head' && !encoding && declared > cap) return tooLarge(`Content-Length: ${declared}`);
      const body = decoded(response);
      const status = response.statusCode ?? 0;
      // A 2xx body with a sink goes there as it comes (an error body is read whole, for its message).
      // Node hands over final answers only, so no status is below 200.
      const sink = request.responseSink && status < 300 ? request.responseSink(status) : undefined;
      // The sink's writes so far: the answer is complete when the last has ended (at once without a sink).
      let written: Promise<void> = Promise.resolve();
      let size = 0;
      active?.();
      body.on('data', (chunk: Buffer) => {
        if (settled) return;
        size += chunk.length;
        if (size > cap) {
          tooLarge(`more than ${cap} bytes arrived`);
          return void body.destroy();
        }
        active?.();
        if (!sink) return void chunks.push(chunk);
        // One chunk at a time: the socket waits while the sink writes (bounded memory).
        body.pause();
        sinkWrites = written = written.then(async () => {
          await sink(chunk);
          if (!settled) body.resume();
        });
        written.catch((error: unknown) => {
          // Where the answer goes failed (a full disk): the caller's side, not the network's; not retried.
          const reason =
            error instanceof AzureMLError
              ? error
              : new AzureMLError({ message: `Action ${request.action} could not keep the answer: ${(error as Error).message}`, action: request.action });
          finish(reason);
          body.destroy();
        });
      });
      body.on('error', (error: NodeJS.ErrnoException) => (body === response ? fail(error) : finish(decodeError(request, encoding, error))));
      response.on('aborted', () => fail(Object.assign(new Error('the connection closed before the answer was complete'), { code: 'ECONNRESET' })));
      body.on('end', () => {
        const answer = () => finish(undefined, { status, headers: response.headers as PipelineResponse['headers'], body: Buffer.concat(chunks), request });
        written.then(answer, () => undefined);
      });
    };
    let req: import('http').ClientRequest;
    try {
      // Node sends the method in capitals whatever its case here.
      req = (secure ? https : http).request(url, { method: request.method, headers, agent: secure ? httpsAgent : httpAgent }, onResponse);
    } catch (error) {
      // Node refuses a header value with a line break or other control character (a token pasted
      // with its newline, say) before anything is sent. Its message names the header, not the value.
      const reason = scrubSecrets((error as Error).message, request.secrets?.());
      idle?.clear();
      return reject(new AzureMLError({ message: `Action ${request.action} could not send its request: ${reason}`, action: request.action }));
    }
    const onAbort = () => req.destroy(signal!.reason as Error);
    // Removed by finish, which every way out of the attempt goes through (the abort's own too).
    signal?.addEventListener('abort', onAbort);
    req.on('error', fail);
    const data = built?.data;
    const progress = data && request.onUploadProgress ? uploadProgress(request, headers) : undefined;
    if (!data) {
      req.end();
    } else if (Buffer.isBuffer(data)) {
      req.end(data, progress && (() => progress(data.length)));
    } else {
      if (progress) {
        let sent = 0;
        data.on('data', (chunk: Buffer | string) => progress((sent += chunk.length)));
      }
      if (active) {
        // Sending is activity: each chunk read for the connection, and each drain of its buffer.
        data.on('data', active);
        req.on('drain', active);
      }
      data.on('error', (error: Error) => {
        bodyFailure = new AzureMLError({ message: `Action ${request.action} could not read its request body: ${error.message}`, action: request.action });
        req.destroy(bodyFailure);
      });
      data.pipe(req);
    }
  });
};

/** A progress reporter for this attempt; a reporter that throws is not the request's problem. */
function uploadProgress(request: PipelineRequest, headers: Record<string, string>): (sentBytes: number) => void {
  const attempt = (request.attemptsStarted = (request.attemptsStarted ?? 0) + 1);
  // NaN when the body is sent chunked (no Content-Length).
  const length = Number(headers['content-length']);
  const totalBytes = Number.isFinite(length) ? length : undefined;
  return (sentBytes) => {
    try {
      request.onUploadProgress!({ sentBytes, totalBytes, attempt });
    } catch {
      // A progress display must not break the upload.
    }
  };
}

/** The transport every pipeline ends with. */
/** Node's http and https with keep-alive agents and Node's timers. */
export const nativeTransport: SendRequest = createTransport();
export const defaultTransport: SendRequest = nativeTransport;
