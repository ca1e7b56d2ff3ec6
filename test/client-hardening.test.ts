/**
 * The client against servers that send too much, send it cut, or echo secrets back, and against
 * accounts that would send credentials in the clear: bounded memory, clear errors, nothing leaked.
 */
import * as http from 'http';
import type { AddressInfo } from 'net';
import nock from 'nock';
import * as zlib from 'zlib';
import {
  AzureMLAccountError,
  AzureMLAuthError,
  AzureMLError,
  AzureMLNetworkError,
  AzureMLResponseFormatError,
  AzureMLServiceError,
  create,
  runHistory,
  startEmulator,
} from '../src';
import { makeZip } from './helpers/make-zip';
import { startRecordingServer, type RecordingServer } from './helpers/recording-server';
import { expectNoSecrets } from './helpers/secrets';

const WS = { subscriptionId: '6a8bd9bb-1df3-4bca-9b24-27a7f3e5b9e7', resourceGroupName: 'rg', workspaceName: 'ws', experimentName: 'client' };
const CANCEL = { ...WS, runId: 'run_1' };
const TOKEN = 'client-hardening-access-token-0123456789';
const noSleep = { sleep: async () => undefined };

interface ServerStats {
  url: string;
  /** Bytes the server managed to write before the client hung up. */
  written: () => number;
  requests: () => number;
  close(): Promise<void>;
}

/** A server whose answer is written by `answer`, counting what it could send. */
async function serve(answer: (res: http.ServerResponse, count: (n: number) => void) => void): Promise<ServerStats> {
  let written = 0;
  let requests = 0;
  const server = http.createServer((req, res) => {
    requests++;
    req.resume();
    req.on('end', () => answer(res, (n) => (written += n)));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    written: () => written,
    requests: () => requests,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** Writes `chunk` until `total` bytes went out or the client left, honouring backpressure. */
function pump(res: http.ServerResponse, chunk: Buffer, total: number, count: (n: number) => void): void {
  let sent = 0;
  const more = () => {
    while (sent < total && !res.destroyed) {
      const piece = chunk.subarray(0, Math.min(chunk.length, total - sent));
      sent += piece.length;
      count(piece.length);
      if (!res.write(piece)) return void res.once('drain', more);
    }
    if (!res.destroyed) res.end();
  };
  res.on('close', () => (sent = total));
  more();
}

const MiB = 1024 * 1024;

describe('answers larger than the caps', () => {
  // nock's socket stand-in closes a response that is still being decompressed, which a real socket
  // does not: these tests talk to their own loopback servers only, through Node's real sockets.
  beforeAll(() => nock.restore());
  afterAll(() => nock.activate());

  it('stops reading a 1 GB JSON answer at the 64 MiB default, naming the cap', async () => {
    const server = await serve((res, count) => {
      res.writeHead(200, { 'content-type': 'application/json' }); // no length: read until the cap
      pump(res, Buffer.alloc(MiB, 0x20), 1024 * MiB, count);
    });
    try {
      const error = (await create({ access_token: TOKEN, host: server.url })
        .Runs_CancelRunWithUri(CANCEL)
        .catch((e: unknown) => e)) as AzureMLResponseFormatError;
      expect(error).toBeInstanceOf(AzureMLResponseFormatError);
      expect(error.message).toBe(
        'Action azure_machinelearningservices_execution/Runs_CancelRunWithUri got an answer it cannot read (status code 200): the body is larger than the 64 MiB limit (more than 67108864 bytes arrived); raise maxResponseBytes if such answers are expected',
      );
      expect(error.action).toBe('azure_machinelearningservices_execution/Runs_CancelRunWithUri');
      // The client hung up: the server could not send the gigabyte.
      expect(server.written()).toBeLessThan(256 * MiB);
    } finally {
      await server.close();
    }
  });

  it('stops an endless answer at a configured cap', async () => {
    const server = await serve((res, count) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      pump(res, Buffer.alloc(64 * 1024, 0x20), Number.MAX_SAFE_INTEGER, count);
    });
    try {
      const error = (await create({ access_token: TOKEN, host: server.url }, { maxResponseBytes: MiB })
        .Runs_CancelRunWithUri(CANCEL)
        .catch((e: unknown) => e)) as AzureMLResponseFormatError;
      expect(error.message).toMatch(/the body is larger than the 1 MiB limit \(more than 1048576 bytes arrived\); raise maxResponseBytes/);
    } finally {
      await server.close();
    }
  });

  it('refuses a declared Content-Length over the cap before reading the body', async () => {
    const server = await serve((res) => {
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': String(2 * MiB) });
      res.write('{');
    });
    try {
      const error = (await create({ access_token: TOKEN, host: server.url }, { maxResponseBytes: MiB })
        .Runs_CancelRunWithUri(CANCEL)
        .catch((e: unknown) => e)) as Error;
      expect(error.message).toMatch(/the body is larger than the 1 MiB limit \(Content-Length: 2097152\)/);
    } finally {
      await server.close();
    }
  });

  it('counts a gzip bomb after decompression: 1 GB of zeros in 1 MB stops at the cap', async () => {
    const bomb = zlib.gzipSync(Buffer.alloc(1024 * MiB), { level: 9 });
    expect(bomb.length).toBeLessThan(2 * MiB);
    const server = await serve((res) => {
      res.writeHead(200, { 'content-type': 'application/json', 'content-encoding': 'gzip', 'content-length': String(bomb.length) });
      res.end(bomb);
    });
    try {
      const before = process.memoryUsage().rss;
      const error = (await create({ access_token: TOKEN, host: server.url }, { maxResponseBytes: 16 * MiB })
        .Runs_CancelRunWithUri(CANCEL)
        .catch((e: unknown) => e)) as Error;
      expect(error).toBeInstanceOf(AzureMLResponseFormatError);
      expect(error.message).toMatch(/the body is larger than the 16 MiB limit \(more than 16777216 bytes arrived\)/);
      // Decompression stopped near the cap: nothing like a gigabyte was held.
      expect(process.memoryUsage().rss - before).toBeLessThan(200 * MiB);
    } finally {
      await server.close();
    }
  });

  it('caps file answers with their own setting', async () => {
    const server = await serve((res, count) => {
      res.writeHead(200, { 'content-type': 'application/octet-stream' });
      pump(res, Buffer.alloc(MiB, 1), 8 * MiB, count);
    });
    try {
      const error = (await create({ access_token: TOKEN, host: server.url }, { maxFileResponseBytes: 2 * MiB })
        .Runs_StartLocalRun({ ...WS, definition: { configuration: { script: 'a.py' } } })
        .catch((e: unknown) => e)) as Error;
      expect(error.message).toMatch(/the body is larger than the 2 MiB limit \(more than 2097152 bytes arrived\); raise maxFileResponseBytes/);
    } finally {
      await server.close();
    }
  });
});

describe('compressed answers cut short', () => {
  const body = Buffer.from(JSON.stringify({ runId: 'run_1', padding: 'x'.repeat(5000) }));
  const encoders: Array<[string, (b: Buffer) => Buffer]> = [
    ['gzip', (b) => zlib.gzipSync(b)],
    ['deflate', (b) => zlib.deflateSync(b)],
    ['br', (b) => zlib.brotliCompressSync(b)],
  ];
  it.each(encoders)('a truncated %s body is a retried AzureMLNetworkError, never a short success', async (encoding, encode) => {
    const whole = encode(body);
    const cut = whole.subarray(0, whole.length - 4);
    const server = await serve((res) => {
      res.writeHead(200, { 'content-type': 'application/json', 'content-encoding': encoding, 'content-length': String(cut.length) });
      res.end(cut);
    });
    try {
      const error = (await create({ access_token: TOKEN, host: server.url }, { retry: noSleep })
        .Runs_CancelRunWithUri(CANCEL)
        .catch((e: unknown) => e)) as AzureMLNetworkError;
      expect(error).toBeInstanceOf(AzureMLNetworkError);
      expect(error.code).toBe('ETRUNCATED');
      expect(error.message).toBe(
        `Action azure_machinelearningservices_execution/Runs_CancelRunWithUri failed: no answer from ${server.url} (the ${encoding} body of the answer is truncated); gave up after 4 attempts (ETRUNCATED, ETRUNCATED, ETRUNCATED, ETRUNCATED)`,
      );
      expect(server.requests()).toBe(4);
    } finally {
      await server.close();
    }
  });

  it('a whole compressed body reads as before', async () => {
    const server = await serve((res) => {
      const gz = zlib.gzipSync(Buffer.from('{"runId":"run_1"}'));
      res.writeHead(200, { 'content-type': 'application/json', 'content-encoding': 'gzip', 'content-length': String(gz.length) });
      res.end(gz);
    });
    try {
      expect(await create({ access_token: TOKEN, host: server.url }).Runs_CancelRunWithUri(CANCEL)).toEqual({ runId: 'run_1' });
    } finally {
      await server.close();
    }
  });
});

describe('credentials never travel in the clear to another machine', () => {
  let server: RecordingServer;
  beforeAll(async () => {
    server = await startRecordingServer();
  });
  afterAll(() => server.close());

  it.each([
    ['host', { access_token: TOKEN, host: 'http://ml.example.com' }, 'host', 'ml.example.com'],
    ['host (upper-case scheme)', { access_token: TOKEN, host: 'HTTP://ml.example.com' }, 'host', 'ml.example.com'],
    [
      'refresh_url',
      { access_token: TOKEN, refresh_token: 'a-refresh-token-value', refresh_url: 'http://login.example.com/token', host: 'https://ml.example.com' },
      'refresh_url',
      'login.example.com',
    ],
    [
      'authority_host',
      { client_id: 'c', client_secret: 'a-client-secret-value', tenant_id: 't', authority_host: 'Http://login.example.com', host: 'https://ml.example.com' },
      'authority_host',
      'login.example.com',
    ],
  ])('refuses plain http in %s unless it is loopback or allowed', async (_name, account, field, where) => {
    const withExpiredToken = field === 'refresh_url' ? { ...account, expires_at: '2000-01-01T00:00:00Z' } : account;
    const error = (await create(withExpiredToken)
      .Runs_CancelRunWithUri(CANCEL)
      .catch((e: unknown) => e)) as AzureMLAccountError;
    expect(error).toBeInstanceOf(AzureMLAccountError);
    expect(error.message).toBe(
      `The azure_machinelearningservices_execution account's ${field} is plain http to another machine (${where}): tokens and secrets would cross the network unencrypted. Use https, or set allow_insecure_http: true on the account`,
    );
    expect(error.fields).toEqual([field, 'allow_insecure_http']);
    expect(error.action).toBe('azure_machinelearningservices_execution/Runs_CancelRunWithUri');
    expect(server.requests).toHaveLength(0);
  });

  it('refuses AZURE_AUTHORITY_HOST over plain http too', async () => {
    process.env.AZURE_AUTHORITY_HOST = 'http://login.example.com';
    try {
      const error = (await create({ client_id: 'c', client_secret: 'a-client-secret-value', tenant_id: 't', host: server.url })
        .Runs_CancelRunWithUri(CANCEL)
        .catch((e: unknown) => e)) as Error;
      expect(error.message).toMatch(/account's authority_host \(from AZURE_AUTHORITY_HOST\) is plain http to another machine/);
    } finally {
      delete process.env.AZURE_AUTHORITY_HOST;
    }
  });

  it('sends over http to loopback, and elsewhere when the account allows it', async () => {
    expect(await create({ access_token: TOKEN, host: server.url }).Runs_CancelRunWithUri(CANCEL)).toEqual({ runId: 'run_1' });
    // Allowed: the request is attempted (and stopped by this suite's no-internet guard, not by the account check).
    const error = (await create({ access_token: TOKEN, host: 'http://ml.example.com', allow_insecure_http: true }, { retry: { maxRetries: 0 } })
      .Runs_CancelRunWithUri(CANCEL)
      .catch((e: unknown) => e)) as Error;
    expect(error).not.toBeInstanceOf(AzureMLAccountError);
  });

  it('keeps user names and passwords of URLs out of errors', async () => {
    server.reply({ status: 400, body: { error: 'invalid_grant', error_description: 'AADSTS70008: expired' } });
    const account = {
      access_token: TOKEN,
      refresh_token: 'a-refresh-token-value',
      refresh_url: `${server.url.replace('http://', 'http://user:pa55w0rd-in-url@')}/token`,
      host: server.url,
      expires_at: '2000-01-01T00:00:00Z',
    };
    const error = (await create(account)
      .Runs_CancelRunWithUri(CANCEL)
      .catch((e: unknown) => e)) as AzureMLAuthError;
    expect(error).toBeInstanceOf(AzureMLAuthError);
    expect(error.tokenEndpoint).toBe(`${server.url}/token`);
    expectNoSecrets(error, ['pa55w0rd-in-url', 'a-refresh-token-value', TOKEN]);
    const bad = (await create({ access_token: TOKEN, host: 'user:pa55w0rd-in-url@ml.example.com' })
      .Runs_CancelRunWithUri(CANCEL)
      .catch((e: unknown) => e)) as Error;
    expect(bad).toBeInstanceOf(AzureMLAccountError);
    expectNoSecrets(bad, ['pa55w0rd-in-url']);
    server.reply({ status: 200, body: { runId: 'run_1' } });
  });
});

describe('secrets a server echoes back', () => {
  let server: RecordingServer;
  beforeAll(async () => {
    server = await startRecordingServer();
  });
  afterAll(() => server.close());
  afterEach(() => server.reply({ status: 200, body: { runId: 'run_1' } }));

  it('scrubs the bearer token from the message and the body of a service error', async () => {
    server.reply((req) => ({ status: 400, body: { error: { code: 'UserError', message: `bad request: ${req.headers.authorization}; encoded ${encodeURIComponent(TOKEN)}` } } }));
    const error = (await create({ access_token: TOKEN, host: server.url })
      .Runs_CancelRunWithUri(CANCEL)
      .catch((e: unknown) => e)) as AzureMLServiceError;
    expect(error.serviceMessage).toBe('bad request: Bearer [REDACTED]; encoded [REDACTED]');
    expect(error.message).toBe(
      'Action azure_machinelearningservices_execution/Runs_CancelRunWithUri failed with status code 400: UserError: bad request: Bearer [REDACTED]; encoded [REDACTED]',
    );
    expectNoSecrets(error, [TOKEN]);
  });

  it('scrubs a refresh token and a client secret echoed by the token endpoint', async () => {
    const refresh = 'refresh-token-echoed-back-42';
    const secret = 'client-secret-echoed-back-42';
    server.reply((req) => ({ status: 400, body: { error: 'invalid_grant', error_description: `cannot use ${req.body.toString()}` } }));
    const account = {
      access_token: TOKEN,
      refresh_token: refresh,
      client_id: 'app',
      client_secret: secret,
      refresh_url: `${server.url}/token`,
      host: server.url,
      expires_at: '2000-01-01T00:00:00Z',
    };
    const error = (await create(account)
      .Runs_CancelRunWithUri(CANCEL)
      .catch((e: unknown) => e)) as AzureMLAuthError;
    expect(error.errorDescription).toContain('refresh_token=[REDACTED]');
    expect(error.errorDescription).toContain('client_secret=[REDACTED]');
    expectNoSecrets(error, [refresh, secret]);
  });

  it('leaves text alone around a secret shorter than 8 characters', async () => {
    server.reply({ status: 400, body: { error: { code: 'UserError', message: 'abc is not a valid value for abcdef' } } });
    const error = (await create({ access_token: 'abc', host: server.url })
      .Runs_CancelRunWithUri(CANCEL)
      .catch((e: unknown) => e)) as AzureMLServiceError;
    expect(error.serviceMessage).toBe('abc is not a valid value for abcdef');
  });
});

describe('every error is an AzureMLError with its action', () => {
  it('a token with a line break is refused before sending, without showing it', async () => {
    const server = await startRecordingServer();
    try {
      const token = `${TOKEN}\r\nX-Injected: yes`;
      const error = (await create({ access_token: token, host: server.url })
        .Runs_CancelRunWithUri(CANCEL)
        .catch((e: unknown) => e)) as AzureMLError;
      expect(error).toBeInstanceOf(AzureMLError);
      expect(error.action).toBe('azure_machinelearningservices_execution/Runs_CancelRunWithUri');
      expect(error.message).toBe(
        'Action azure_machinelearningservices_execution/Runs_CancelRunWithUri could not send its request: Invalid character in header content ["authorization"]',
      );
      expectNoSecrets(error, [TOKEN]);
      expect(server.requests).toHaveLength(0);
    } finally {
      await server.close();
    }
  });
});

describe('run ids after an ambiguous failure', () => {
  const PROJECT = makeZip([{ name: 'ok.py', data: 'print("ok")' }]);
  it("takes a 409 on a retry as this call's own run only when this call made the id", async () => {
    const emulator = await startEmulator();
    try {
      const account = { access_token: 't', host: emulator.url };
      await create(account).Runs_StartRun({ ...WS, runId: 'taken_1', runDefinitionFile: { configuration: { script: 'ok.py' } }, projectZipFile: PROJECT });
      // The first attempt fails ambiguously (503); the retry meets the run that existed before this call.
      emulator.faults.set([{ operation: 'Runs_StartRun', status: 503, times: 1 }]);
      const error = (await create(account, { retry: noSleep })
        .Runs_StartRun({ ...WS, runId: 'taken_1', runDefinitionFile: { configuration: { script: 'ok.py' } }, projectZipFile: PROJECT })
        .catch((e: unknown) => e)) as AzureMLServiceError;
      expect(error).toBeInstanceOf(AzureMLServiceError);
      expect([error.statusCode, error.attempts, error.innerErrorCodes]).toEqual([409, 2, ['RunIdAlreadyExists']]);
      // The 409 rule alone (the lookup fails): a retry's 409 to a caller's id is not taken as success either.
      emulator.faults.set([
        { operation: 'Runs_StartRun', status: 503, times: 1 },
        { operation: 'Runs_Get', status: 500, times: 100 },
      ]);
      const again = (await create(account, { retry: noSleep })
        .Runs_StartRun({ ...WS, runId: 'taken_1', runDefinitionFile: { configuration: { script: 'ok.py' } }, projectZipFile: PROJECT })
        .catch((e: unknown) => e)) as AzureMLServiceError;
      expect([again.statusCode, again.attempts]).toEqual([409, 2]);
      // A generated id after a lost answer is recovered as before: one run, no error.
      const before = emulator.runCount();
      emulator.faults.set([{ operation: 'Runs_StartRun', reset: 'after-processing', times: 1 }]);
      const { runId } = await create(account, { retry: noSleep }).Runs_StartRun({ ...WS, runDefinitionFile: { configuration: { script: 'ok.py' } }, projectZipFile: PROJECT });
      expect(runId).toMatch(/^client_\d{10}_[0-9a-f]{8}$/);
      expect(emulator.runCount()).toBe(before + 1);
      expect((await runHistory.create(account).Runs_Get({ ...WS, runId })).runId).toBe(runId);
    } finally {
      await emulator.close();
    }
  });
});
