/**
 * downloadOutputs against links that misbehave: ranges asked for piece by piece, a connection cut
 * in the middle of a piece (the piece is read again over the same bytes), servers that ignore
 * Range, and a sink that fails. A loopback server scripts each answer.
 */
import * as fs from 'fs';
import * as http from 'http';
import type { AddressInfo } from 'net';
import * as os from 'os';
import * as path from 'path';
import { AzureMLError, AzureMLResponseFormatError, create as createClient } from '../src';
import { createTransport } from '../src/http/transport';

const WS = { subscriptionId: '6a8bd9bb-1df3-4bca-9b24-27a7f3e5b9e7', resourceGroupName: 'rg', workspaceName: 'ws', experimentName: 'dl' };
const FILE = Buffer.from(Array.from({ length: 10_000 }, (_, i) => i % 251));

let scratch: string;
beforeEach(() => {
  scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'azureml-download-'));
});
afterEach(() => fs.rmSync(scratch, { recursive: true, force: true }));

interface Seen {
  method: string;
  range?: string;
  authorization?: string;
}

/** Run History listing one artifact, and its link answered by `serve` (after HEAD and listing). */
async function artifactServer(serve: (req: http.IncomingMessage, res: http.ServerResponse, attempt: number) => void) {
  const seen: Seen[] = [];
  let attempts = 0;
  const server = http.createServer((req, res) => {
    if (req.url!.includes('/artifacts/prefix/contentinfo')) {
      res.writeHead(200, { 'content-type': 'application/json' });
      return res.end(JSON.stringify({ value: [{ path: 'outputs/data.bin', contentUri: `http://127.0.0.1:${(server.address() as AddressInfo).port}/blob?sig=s` }] }));
    }
    seen.push({ method: req.method!, range: req.headers.range, ...(req.headers.authorization ? { authorization: req.headers.authorization } : {}) });
    serve(req, res, attempts++);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    seen,
    client: createClient({ access_token: 't', host: url }, { workspace: WS, retry: { sleep: async () => undefined } }),
    close: () => new Promise<void>((resolve) => (server.closeAllConnections(), server.close(() => resolve()))),
  };
}

/** Answers a Range of FILE as a blob store does. */
function ranged(req: http.IncomingMessage, res: http.ServerResponse): void {
  const [, a, b] = /bytes=(\d+)-(\d*)/.exec(req.headers.range ?? '') ?? [];
  const start = Number(a ?? 0);
  const end = Math.min(b ? Number(b) : FILE.length - 1, FILE.length - 1);
  if (start >= FILE.length) {
    res.writeHead(416, { 'content-range': `bytes */${FILE.length}` });
    return void res.end();
  }
  res.writeHead(206, { 'content-range': `bytes ${start}-${end}/${FILE.length}`, 'content-length': end - start + 1 });
  res.end(FILE.subarray(start, end + 1));
}

it('reads the file in ranges of pieceBytes and writes it whole', async () => {
  const s = await artifactServer(ranged);
  try {
    const result = await s.client.downloadOutputs('r1', { to: scratch, pieceBytes: 4096 });
    expect(result.files).toEqual([{ path: 'outputs/data.bin', file: path.join(scratch, 'outputs', 'data.bin'), bytes: FILE.length, skipped: false }]);
    expect(fs.readFileSync(path.join(scratch, 'outputs', 'data.bin')).equals(FILE)).toBe(true);
    // The link is signed: no bearer token goes to it.
    expect(s.seen).toEqual([
      { method: 'GET', range: 'bytes=0-4095' },
      { method: 'GET', range: 'bytes=4096-8191' },
      { method: 'GET', range: 'bytes=8192-12287' },
    ]);
  } finally {
    await s.close();
  }
});

it('reads a piece again when its connection is cut halfway, over the same bytes', async () => {
  const s = await artifactServer((req, res, attempt) => {
    if (attempt !== 1) return ranged(req, res);
    // The second piece: half of it, then the connection goes.
    res.writeHead(206, { 'content-range': `bytes 4096-8191/${FILE.length}`, 'content-length': 4096 });
    res.write(FILE.subarray(4096, 6000), () => res.destroy());
  });
  try {
    await s.client.downloadOutputs('r1', { to: scratch, pieceBytes: 4096 });
    expect(fs.readFileSync(path.join(scratch, 'outputs', 'data.bin')).equals(FILE)).toBe(true);
    expect(s.seen.map((r) => r.range)).toEqual(['bytes=0-4095', 'bytes=4096-8191', 'bytes=4096-8191', 'bytes=8192-12287']);
  } finally {
    await s.close();
  }
});

it('takes a whole file from a server that ignores Range when it fits one piece, and refuses one that does not, leaving no file', async () => {
  const whole = await artifactServer((_req, res) => {
    res.writeHead(200, { 'content-length': FILE.length });
    res.end(FILE);
  });
  try {
    await whole.client.downloadOutputs('r1', { to: scratch });
    expect(fs.readFileSync(path.join(scratch, 'outputs', 'data.bin')).equals(FILE)).toBe(true);
    const small = path.join(scratch, 'small');
    const error = await whole.client.downloadOutputs('r1', { to: small, pieceBytes: 4096 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AzureMLResponseFormatError);
    expect((error as Error).message).toBe(
      `Action azureml-execution/downloadOutputs got an answer it cannot read (status code 200): the body is larger than the 4 KiB limit (Content-Length: ${FILE.length}); raise pieceBytes (the server ignored Range) if such answers are expected`,
    );
    expect(fs.readdirSync(path.join(small, 'outputs'))).toEqual([]);
  } finally {
    await whole.close();
  }
});

it("refuses a whole file sent for a later range: it is not written over the file's start", async () => {
  const s = await artifactServer((req, res, attempt) => {
    if (attempt === 0) return ranged(req, res);
    res.writeHead(200, { 'content-length': 10 });
    res.end(FILE.subarray(0, 10));
  });
  try {
    const error = await s.client.downloadOutputs('r1', { to: scratch, pieceBytes: 4096 }).catch((e: unknown) => e);
    expect((error as Error).message).toBe(
      'Action azureml-execution/downloadOutputs got an answer it cannot read (status code 200): the server ignored Range: it sent the file from its start, not from byte 4096',
    );
    expect(fs.readdirSync(path.join(scratch, 'outputs'))).toEqual([]);
  } finally {
    await s.close();
  }
});

it("reports a sink that fails as the caller's error, not the network's, and does not retry it", async () => {
  let requests = 0;
  const server = http.createServer((_req, res) => {
    requests++;
    res.writeHead(200, { 'content-length': 5 });
    res.end('hello');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  try {
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/x`;
    const send = createTransport();
    const error = await send({
      method: 'get',
      url,
      headers: {},
      responseType: 'buffer',
      action: 'test/download',
      baseUrl: new URL(url).origin,
      responseSink: () => async () => {
        throw Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC' });
      },
    }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AzureMLError);
    expect((error as Error).message).toBe('Action test/download could not keep the answer: ENOSPC: no space left on device, write');
    expect(requests).toBe(1);
  } finally {
    await new Promise((resolve) => server.close(resolve));
  }
});

it('settles a cut attempt only after its write in flight, so that no write of it lands after the next attempt starts', async () => {
  let cut!: () => void;
  const socketClosed = new Promise<void>((resolve) => (cut = resolve));
  const server = http.createServer((_req, res) => {
    res.writeHead(206, { 'content-range': `bytes 0-99/${FILE.length}`, 'content-length': 100 });
    res.write(FILE.subarray(0, 40), () => setImmediate(() => (res.socket!.once('close', cut), res.destroy())));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  try {
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/x`;
    const events: string[] = [];
    let finishWrite!: () => void;
    const writing = new Promise<void>((resolve) => (finishWrite = resolve));
    const sent = createTransport()({
      method: 'get',
      url,
      headers: {},
      responseType: 'buffer',
      action: 'test/download',
      baseUrl: new URL(url).origin,
      responseSink: () => async (chunk) => {
        events.push(`write ${chunk.length}`);
        await writing;
        events.push('written');
      },
    }).then(
      () => events.push('resolved'),
      (error: Error) => events.push(`rejected: ${error.message}`),
    );
    // The connection is cut while the write waits: the attempt must not settle before it ends.
    // The client reads the cut in the next turns of its event loop (same process, loopback).
    await socketClosed;
    for (let turn = 0; turn < 20; turn++) await new Promise((resolve) => setImmediate(resolve));
    expect(events).toEqual(['write 40']);
    finishWrite();
    await sent;
    expect(events).toEqual([
      'write 40',
      'written',
      `rejected: Action test/download failed: no answer from ${new URL(url).origin} (the connection closed before the answer was complete)`,
    ]);
  } finally {
    await new Promise((resolve) => server.close(resolve));
  }
});
