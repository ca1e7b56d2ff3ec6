/**
 * The transport alone, against real loopback servers: what goes on the wire (methods, lengths,
 * encodings, keep-alive), how answers are decoded and capped, where a 2xx body goes, aborts,
 * upload progress, and the idle timer's bookkeeping. The pipeline's own tests mostly use nock,
 * which never reaches Node's http client: these are what check the transport itself.
 */
import * as http from 'http';
import type { AddressInfo } from 'net';
import { EventEmitter, getEventListeners } from 'events';
import { Readable } from 'stream';
import * as zlib from 'zlib';
import { AzureMLError, AzureMLNetworkError, AzureMLResponseFormatError, createTransport, type IdleTimers } from '../src';
import { bufferBody, type BodyFactory } from '../src/http/body';
import type { UploadProgress } from '../src/http/call-options';
import type { PipelineRequest } from '../src/http/pipeline';
import nock from 'nock';
import { ManualTimers } from './helpers/manual-timers';

// nock (the no-internet guard) puts sockets of its own under every request, even one it lets
// through to loopback: keep-alive and drains are not Node's there. This file talks only to the
// loopback servers it starts, on Node's own sockets.
beforeAll(() => nock.restore());

interface Server {
  url: string;
  origin: string;
  seen: Array<{ method: string; headers: http.IncomingHttpHeaders; body: Buffer; port: number }>;
  close(): Promise<void>;
}

/** A loopback server that records each request whole, then answers it with `handler`. */
async function serve(handler: (req: http.IncomingMessage, res: http.ServerResponse) => void): Promise<Server> {
  const seen: Server['seen'] = [];
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      seen.push({ method: req.method!, headers: req.headers, body: Buffer.concat(chunks), port: req.socket.remotePort! });
      handler(req, res);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url: `${origin}/x`,
    origin,
    seen,
    close: async () => {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

function request(server: Server, extra: Partial<PipelineRequest> = {}): PipelineRequest {
  return { method: 'get', url: server.url, headers: {}, responseType: 'buffer', action: 'test/transport', baseUrl: server.origin, ...extra };
}

/** A body of a stream made from these pieces, each read as one chunk; a Content-Length only when given. */
function streamBody(pieces: string[], length?: number): BodyFactory {
  return {
    replayable: true,
    async create() {
      const headers: Record<string, string> = { 'content-type': 'application/octet-stream' };
      if (length !== undefined) headers['content-length'] = String(length);
      return { data: Readable.from(pieces.map((p) => Buffer.from(p))), headers };
    },
  };
}

const send = createTransport();

describe('the request on the wire', () => {
  it('sends the method in capitals, the accepted encodings, and Content-Length: 0 on a bodyless request that may carry one', async () => {
    const server = await serve((_req, res) => res.end());
    try {
      for (const method of ['get', 'head', 'post', 'put', 'delete']) await send(request(server, { method }));
      expect(server.seen.map((r) => [r.method, r.headers['content-length'], r.headers['transfer-encoding'], r.headers['accept-encoding']])).toEqual([
        ['GET', undefined, undefined, 'gzip, deflate, br'],
        ['HEAD', undefined, undefined, 'gzip, deflate, br'],
        ['POST', '0', undefined, 'gzip, deflate, br'],
        ['PUT', '0', undefined, 'gzip, deflate, br'],
        ['DELETE', '0', undefined, 'gzip, deflate, br'],
      ]);
    } finally {
      await server.close();
    }
  });

  it('keeps the connection alive: calls in a row share one socket', async () => {
    const server = await serve((_req, res) => res.end('ok'));
    try {
      for (let i = 0; i < 3; i++) expect((await send(request(server))).body.toString()).toBe('ok');
      expect(new Set(server.seen.map((r) => r.port)).size).toBe(1);
    } finally {
      await server.close();
    }
  });

  it('refuses a header value with a line break before sending, naming the header and not the value, and leaves no timer behind', async () => {
    const server = await serve((_req, res) => res.end());
    const timers = new ManualTimers();
    try {
      const error = await createTransport({ idleTimers: timers.idleTimers })(request(server, { headers: { 'x-note': 'sec\nret' }, timeoutMs: 100 })).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(AzureMLError);
      expect((error as Error).message).toBe('Action test/transport could not send its request: Invalid character in header content ["x-note"]');
      // A timer left running would destroy a request that was never made.
      expect(() => timers.advance(1000)).not.toThrow();
      // And without a timeout (no timer at all), the same error.
      const untimed = await send(request(server, { headers: { 'x-note': 'sec\nret' } })).catch((e: unknown) => e);
      expect((untimed as Error).message).toBe('Action test/transport could not send its request: Invalid character in header content ["x-note"]');
      expect(server.seen).toHaveLength(0);
    } finally {
      await server.close();
    }
  });
});

describe('answers', () => {
  it('decodes gzip, x-gzip, deflate and br, whatever the case of the header', async () => {
    const text = 'the answer '.repeat(50);
    const encoders: Record<string, (b: Buffer) => Buffer> = {
      gzip: zlib.gzipSync,
      'X-GZIP': zlib.gzipSync,
      Deflate: zlib.deflateSync,
      br: zlib.brotliCompressSync,
    };
    let encoding = '';
    const server = await serve((_req, res) => {
      const body = encoders[encoding](Buffer.from(text));
      res.writeHead(200, { 'content-encoding': encoding, 'content-length': body.length });
      res.end(body);
    });
    try {
      for (encoding of Object.keys(encoders)) expect([encoding, (await send(request(server))).body.toString()]).toEqual([encoding, text]);
    } finally {
      await server.close();
    }
  });

  it('reports a compressed body cut short as truncated, and a garbled one as undecodable', async () => {
    const whole = zlib.gzipSync(Buffer.from('x'.repeat(1000)));
    let body = whole;
    const server = await serve((_req, res) => {
      res.writeHead(200, { 'content-encoding': 'gzip', 'content-length': body.length });
      res.end(body);
    });
    try {
      body = whole.subarray(0, whole.length - 10);
      const cut = (await send(request(server)).catch((e: unknown) => e)) as AzureMLNetworkError;
      expect(cut).toBeInstanceOf(AzureMLNetworkError);
      expect([cut.message, cut.code]).toEqual([`Action test/transport failed: no answer from ${server.origin} (the gzip body of the answer is truncated)`, 'ETRUNCATED']);

      body = Buffer.from('this is not gzip');
      const garbled = (await send(request(server)).catch((e: unknown) => e)) as AzureMLNetworkError;
      expect([garbled.message, garbled.code]).toEqual([
        `Action test/transport failed: no answer from ${server.origin} (the gzip body of the answer cannot be decoded (incorrect header check))`,
        'EBADENCODING',
      ]);
    } finally {
      await server.close();
    }
  });

  it('caps the body: by a declared length before reading it, but not the length of a HEAD answer or of a compressed body', async () => {
    let answer: (req: http.IncomingMessage, res: http.ServerResponse) => void = () => undefined;
    const server = await serve((req, res) => answer(req, res));
    try {
      answer = (_req, res) => {
        res.writeHead(404, { 'content-length': 2000 });
        res.end('y'.repeat(2000));
      };
      const declared = (await send(request(server, { maxResponseBytes: 1000, maxResponseSetting: 'options.maxBodyBytes' })).catch((e: unknown) => e)) as AzureMLResponseFormatError;
      expect(declared).toBeInstanceOf(AzureMLResponseFormatError);
      expect(declared.message).toBe(
        'Action test/transport got an answer it cannot read (status code 404): the body is larger than the 1000 bytes limit (Content-Length: 2000); raise options.maxBodyBytes if such answers are expected',
      );
      expect([declared.statusCode, declared.body]).toEqual([404, '']);

      // A HEAD answer's length is that of the body a GET would get: nothing follows it.
      answer = (_req, res) => {
        res.writeHead(200, { 'content-length': 2000 });
        res.end();
      };
      const head = await send(request(server, { method: 'head', maxResponseBytes: 1000 }));
      expect([head.status, head.headers['content-length'], head.body.length]).toEqual([200, '2000', 0]);

      // Compressed, 2 bytes take 22: the cap is on what the caller gets.
      const small = zlib.gzipSync(Buffer.from('hi'));
      expect(small.length).toBeGreaterThan(20);
      answer = (_req, res) => {
        res.writeHead(200, { 'content-encoding': 'gzip', 'content-length': small.length });
        res.end(small);
      };
      expect((await send(request(server, { maxResponseBytes: 20 }))).body.toString()).toBe('hi');

      // No declared length: counted as it comes.
      answer = (_req, res) => {
        res.write('z'.repeat(600));
        res.end('z'.repeat(600));
      };
      const counted = (await send(request(server, { maxResponseBytes: 1000 })).catch((e: unknown) => e)) as Error;
      expect(counted.message).toBe(
        'Action test/transport got an answer it cannot read (status code 200): the body is larger than the 1000 bytes limit (more than 1000 bytes arrived); raise maxResponseBytes if such answers are expected',
      );
    } finally {
      await server.close();
    }
  });

  it('sends a 2xx body to the sink chunk by chunk, waiting for each write, and reads any other answer whole', async () => {
    let status = 206;
    const server = await serve((_req, res) => {
      res.writeHead(status, { 'content-type': 'text/plain' });
      // Three chunks, each flushed before the next is written.
      res.write('one,', () => res.write('two,', () => res.end('three')));
    });
    try {
      const written: string[] = [];
      const statuses: number[] = [];
      const sink = (s: number) => {
        statuses.push(s);
        return async (chunk: Buffer) => {
          // A slow disk: the next chunk must wait for this one.
          await new Promise((resolve) => setImmediate(resolve));
          written.push(chunk.toString());
        };
      };
      const streamed = await send(request(server, { responseSink: sink }));
      expect([streamed.status, streamed.body.length, written.join('')]).toEqual([206, 0, 'one,two,three']);
      expect(statuses).toEqual([206]);

      for (status of [300, 404]) {
        written.length = 0;
        const whole = await send(request(server, { responseSink: sink }));
        expect([whole.status, whole.body.toString(), written]).toEqual([status, 'one,two,three', []]);
      }
      expect(statuses).toEqual([206]);
    } finally {
      await server.close();
    }
  });
});

describe('aborts', () => {
  it('does not build the body or connect when the signal is already aborted', async () => {
    const server = await serve((_req, res) => res.end());
    try {
      const controller = new AbortController();
      const reason = new Error('stopped by the caller');
      controller.abort(reason);
      let built = 0;
      const body: BodyFactory = { replayable: true, create: async () => (built++, { data: Buffer.from('x'), headers: {} }) };
      await expect(send(request(server, { method: 'post', body, signal: controller.signal }))).rejects.toBe(reason);
      expect([built, server.seen.length]).toEqual([0, 0]);
    } finally {
      await server.close();
    }
  });

  it("rejects with the signal's own reason mid-request, and leaves no listener on the signal after any attempt", async () => {
    let arrived!: () => void;
    const waiting = new Promise<void>((resolve) => (arrived = resolve));
    let hold = true;
    const server = await serve((_req, res) => (hold ? arrived() : res.end('done')));
    try {
      const controller = new AbortController();
      const reason = new Error('deadline');
      const call = send(request(server, { signal: controller.signal }));
      await waiting;
      controller.abort(reason);
      await expect(call).rejects.toBe(reason);
      expect(getEventListeners(controller.signal, 'abort')).toHaveLength(0);

      hold = false;
      const other = new AbortController();
      expect((await send(request(server, { signal: other.signal }))).body.toString()).toBe('done');
      expect(getEventListeners(other.signal, 'abort')).toHaveLength(0);
    } finally {
      await server.close();
    }
  });
});

describe('upload progress', () => {
  it('tells a buffer body once it is sent, with its length and the attempt', async () => {
    const server = await serve((_req, res) => res.end());
    try {
      const events: UploadProgress[] = [];
      const req = request(server, { method: 'post', body: bufferBody(Buffer.from('hello'), 'text/plain'), onUploadProgress: (p) => events.push(p) });
      await send(req);
      await send(req);
      expect(events).toEqual([
        { sentBytes: 5, totalBytes: 5, attempt: 1 },
        { sentBytes: 5, totalBytes: 5, attempt: 2 },
      ]);
      expect(req.attemptsStarted).toBe(2);
      expect(server.seen.map((r) => r.body.toString())).toEqual(['hello', 'hello']);
    } finally {
      await server.close();
    }
  });

  it('tells a stream body chunk by chunk, with the total only when its length is known', async () => {
    const server = await serve((_req, res) => res.end());
    try {
      const events: UploadProgress[] = [];
      await send(request(server, { method: 'put', body: streamBody(['abc', 'de', 'f']), onUploadProgress: (p) => events.push(p) }));
      await send(request(server, { method: 'put', body: streamBody(['abc', 'de', 'f'], 6), onUploadProgress: (p) => events.push(p) }));
      expect(events).toEqual([
        { sentBytes: 3, totalBytes: undefined, attempt: 1 },
        { sentBytes: 5, totalBytes: undefined, attempt: 1 },
        { sentBytes: 6, totalBytes: undefined, attempt: 1 },
        { sentBytes: 3, totalBytes: 6, attempt: 1 },
        { sentBytes: 5, totalBytes: 6, attempt: 1 },
        { sentBytes: 6, totalBytes: 6, attempt: 1 },
      ]);
      expect(server.seen.map((r) => [r.body.toString(), r.headers['content-length'], r.headers['transfer-encoding']])).toEqual([
        ['abcdef', undefined, 'chunked'],
        ['abcdef', '6', undefined],
      ]);
    } finally {
      await server.close();
    }
  });

  it('counts no attempt of a request without a body, and a reporter that throws does not stop the upload', async () => {
    const server = await serve((_req, res) => res.end());
    try {
      const events: UploadProgress[] = [];
      const bodiless = request(server, { onUploadProgress: (p) => events.push(p) });
      await send(bodiless);
      expect([events, bodiless.attemptsStarted]).toEqual([[], undefined]);

      const throwing = () => {
        throw new Error('the display broke');
      };
      await send(request(server, { method: 'post', body: bufferBody(Buffer.from('kept'), 'text/plain'), onUploadProgress: throwing }));
      await send(request(server, { method: 'post', body: streamBody(['still ', 'kept']), onUploadProgress: throwing }));
      expect(server.seen.slice(1).map((r) => r.body.toString())).toEqual(['kept', 'still kept']);
    } finally {
      await server.close();
    }
  });
});

describe('the idle timer', () => {
  it('is refreshed by each chunk sent, each drain of the connection, and the answer, and cleared at the end', async () => {
    const server = await serve((_req, res) => res.end('ok'));
    try {
      const log: string[] = [];
      const idleTimers: IdleTimers = (ms) => {
        log.push(`start ${ms}`);
        return { refresh: () => void log.push('refresh'), clear: () => void log.push('clear') };
      };
      // A chunk far larger than the connection's buffer: the next waits for the drain.
      const big = 'u'.repeat(4 * 1024 * 1024);
      await createTransport({ idleTimers })(request(server, { method: 'post', body: streamBody([big, 'tail']), timeoutMs: 5000 }));
      // Each chunk read, the drain between them, the answer's head and its one chunk.
      expect(log).toEqual(['start 5000', 'refresh', 'refresh', 'refresh', 'refresh', 'refresh', 'clear']);
      expect(server.seen[0].body.length).toBe(big.length + 4);
    } finally {
      await server.close();
    }
  });

  it("sends a stream without any timer when no timeout is set, and uses Node's timers by default, cleared at the end", async () => {
    const server = await serve((_req, res) => res.end('ok'));
    const setTimeoutSpy = jest.spyOn(global, 'setTimeout');
    const clearTimeoutSpy = jest.spyOn(global, 'clearTimeout');
    try {
      await send(request(server, { method: 'post', body: streamBody(['no ', 'timer']) }));
      expect(server.seen[0].body.toString()).toBe('no timer');
      expect(setTimeoutSpy.mock.calls.filter((call) => call[1] === 43_210)).toHaveLength(0);

      await send(request(server, { method: 'post', body: streamBody(['timed']), timeoutMs: 43_210 }));
      const started = setTimeoutSpy.mock.calls.map((call, i) => [call[1], setTimeoutSpy.mock.results[i].value]).filter(([ms]) => ms === 43_210);
      expect(started).toHaveLength(1);
      const timer = started[0][1] as NodeJS.Timeout;
      expect(clearTimeoutSpy.mock.calls.some(([t]) => t === timer)).toBe(true);
    } finally {
      setTimeoutSpy.mockRestore();
      clearTimeoutSpy.mockRestore();
      await server.close();
    }
  });

  it("ends a silent attempt on Node's own timers", async () => {
    const server = await serve(() => undefined);
    try {
      const error = (await send(request(server, { timeoutMs: 30 })).catch((e: unknown) => e)) as AzureMLNetworkError;
      expect([error.message, error.code]).toEqual([`Action test/transport failed: no answer from ${server.origin} (no data for 30 ms (the per-attempt timeout))`, 'ETIMEDOUT']);
    } finally {
      await server.close();
    }
  });
});

describe('network errors', () => {
  // The system's messages cannot be chosen on a real socket: Node's http.request (the module
  // object the transport calls) is replaced, for these tests only, by one whose request fails.
  function failingWith(error: Error): void {
    const real = require('http') as typeof http;
    jest.spyOn(real, 'request').mockImplementation((() => {
      const req = new EventEmitter() as EventEmitter & { end(): void; destroy(): void };
      req.end = () => void process.nextTick(() => req.emit('error', error));
      req.destroy = () => undefined;
      return req;
    }) as unknown as typeof http.request);
  }
  afterEach(() => jest.restoreAllMocks());

  const base: PipelineRequest = { method: 'get', url: 'http://127.0.0.1:9/x', headers: {}, responseType: 'buffer', action: 'test/transport', baseUrl: 'http://127.0.0.1:9' };

  it("puts the system's reason on one line of at most 300 characters", async () => {
    failingWith(Object.assign(new Error(`first line\n\n   second\tline ${'x'.repeat(400)}`), { code: 'EPROTO' }));
    const error = (await send(base).catch((e: unknown) => e)) as AzureMLNetworkError;
    expect(error.reason).toBe(`first line second line ${'x'.repeat(277)}`);
    expect(error.reason).toHaveLength(300);
    expect(error.code).toBe('EPROTO');
  });

  it('says "unknown error" for an error without a message', async () => {
    failingWith(Object.assign(new Error(), { message: undefined as unknown as string }));
    const error = (await send(base).catch((e: unknown) => e)) as AzureMLNetworkError;
    expect(error.message).toBe('Action test/transport failed: no answer from http://127.0.0.1:9 (unknown error)');
  });
});
