/**
 * The fault matrix: what is retried and how, that a dropped answer never starts a second run,
 * timeouts, deadlines, aborts, and a bad-input matrix over every field of every action.
 */
import { Readable } from 'stream';
import {
  AzureMLAbortError,
  AzureMLNetworkError,
  AzureMLResponseFormatError,
  AzureMLServiceError,
  AzureMLTimeoutError,
  AzureMLValidationError,
  create,
  createTransport,
  runHistory,
  startEmulator,
  type Emulator,
} from '../src';
import { executionSpec } from '../src/spec/execution/spec';
import { makeZip } from './helpers/make-zip';
import { startRecordingServer } from './helpers/recording-server';
import { ManualTimers } from './helpers/manual-timers';
import { failure } from './helpers/failure';

const WS = { subscriptionId: '6a8bd9bb-1df3-4bca-9b24-27a7f3e5b9e7', resourceGroupName: 'rg', workspaceName: 'ws', experimentName: 'faults' };
const PROJECT = makeZip([{ name: 'ok.py', data: 'print("ok")' }]);
const DEFINITION = { configuration: { script: 'ok.py' } };

let emulator: Emulator;
beforeAll(async () => {
  emulator = await startEmulator({ maxConcurrentRuns: 2 });
});
afterAll(() => emulator.close());
afterEach(() => emulator.faults.clear());

/** A client whose retry waits are recorded, not slept. */
function client(extra: Record<string, unknown> = {}) {
  const delays: number[] = [];
  const c = create({ access_token: 't', host: emulator.url }, { retry: { sleep: async (ms: number) => void delays.push(ms) }, ...extra });
  return { c, delays };
}

describe('retries', () => {
  it('survives a 503, with one backoff of about a second', async () => {
    emulator.faults.set([{ operation: 'Runs_StartSnapshotRun', status: 503, times: 1 }]);
    const first = await create({ access_token: 't', host: emulator.url }).Runs_StartRun({ ...WS, runDefinitionFile: DEFINITION, projectZipFile: PROJECT });
    const { c, delays } = client();
    const details = await runHistory.create({ access_token: 't', host: emulator.url }).Runs_GetDetails({ ...WS, runId: first.runId });
    const snapshotId = (details.properties as Record<string, string>)['ContentSnapshotId'];
    const result = await c.Runs_StartSnapshotRun({ ...WS, definition: { snapshotId, configuration: { script: 'ok.py' } } });
    expect(result.runId).toMatch(/^faults_\d{10}_[0-9a-f]{8}$/);
    expect(delays).toHaveLength(1);
    expect(delays[0]).toBeGreaterThanOrEqual(800);
    expect(delays[0]).toBeLessThanOrEqual(1000);
  });

  it('honours Retry-After in seconds, retry-after-ms, and an HTTP date, within the cap', async () => {
    const { c, delays } = client({ retry: { maxRetryDelayMs: 5000, sleep: async (ms: number) => void delays.push(ms) } });
    const cancel = () => c.Runs_CancelRunWithUri({ ...WS, runId: 'nope' }).catch(() => undefined);
    emulator.faults.set([{ operation: 'Runs_CancelRunWithUri', status: 429, retryAfter: '1', times: 1 }]);
    await cancel();
    emulator.faults.set([{ operation: 'Runs_CancelRunWithUri', status: 503, retryAfterMs: 250, times: 1 }]);
    await cancel();
    emulator.faults.set([{ operation: 'Runs_CancelRunWithUri', status: 429, retryAfter: '120', times: 1 }]);
    await cancel();
    emulator.faults.set([{ operation: 'Runs_CancelRunWithUri', status: 503, retryAfter: new Date(Date.now() + 3000).toUTCString(), times: 1 }]);
    await cancel();
    expect(delays.slice(0, 3)).toEqual([1000, 250, 5000]);
    expect(delays[3]).toBeGreaterThan(1000);
    expect(delays[3]).toBeLessThanOrEqual(3000);
  });

  it('gives up after the budget and says how many attempts were made', async () => {
    emulator.faults.set([{ operation: 'Runs_CancelRunWithUri', status: 503 }]);
    const { c, delays } = client();
    const error = (await failure(c.Runs_CancelRunWithUri({ ...WS, runId: 'r' }))) as AzureMLServiceError;
    expect(error.message).toBe(
      'Action azure_machinelearningservices_execution/Runs_CancelRunWithUri failed with status code 503: TransientError: Injected fault: 503; gave up after 4 attempts (503, 503, 503, 503)',
    );
    expect(error.attempts).toBe(4);
    expect(delays.map((d, i) => d >= 0.8 * 1000 * 2 ** i && d <= 1000 * 2 ** i)).toEqual([true, true, true]);
  });

  it('keeps one x-ms-client-request-id across the attempts of a call', async () => {
    const server = await startRecordingServer();
    try {
      server.reply({ status: 503, body: '' }, { status: 200, body: { runId: 'r' } });
      await create({ access_token: 't', host: server.url }, { retry: { sleep: async () => undefined } }).Runs_CancelRunWithUri({ ...WS, runId: 'r' });
      expect(server.requests).toHaveLength(2);
      expect(server.requests[0].headers['x-ms-client-request-id']).toBe(server.requests[1].headers['x-ms-client-request-id']);
    } finally {
      await server.close();
    }
  });

  it('does not retry 501, 505 or 401', async () => {
    for (const status of [501, 505, 401]) {
      emulator.faults.set([{ operation: 'Runs_CancelRunWithUri', status }]);
      const error = (await failure(client().c.Runs_CancelRunWithUri({ ...WS, runId: 'r' }))) as AzureMLServiceError;
      expect([status, error.statusCode, error.attempts]).toEqual([status, status, 1]);
    }
  });

  it('retries a refused connection, then names it', async () => {
    const { c: refused, delays } = (() => {
      const d: number[] = [];
      return { c: create({ access_token: 't', host: 'http://127.0.0.1:9' }, { retry: { maxRetries: 2, sleep: async (ms: number) => void d.push(ms) } }), delays: d };
    })();
    const error = (await failure(refused.Runs_CancelRunWithUri({ ...WS, runId: 'r' }))) as AzureMLNetworkError;
    expect(error.message).toBe(
      'Action azure_machinelearningservices_execution/Runs_CancelRunWithUri failed: no answer from http://127.0.0.1:9 (connect ECONNREFUSED 127.0.0.1:9); gave up after 3 attempts (ECONNREFUSED, ECONNREFUSED, ECONNREFUSED)',
    );
    expect(delays).toHaveLength(2);
  });

  it('does not resend a one-shot stream, and says why', async () => {
    emulator.faults.set([{ operation: 'Runs_StartRun', status: 503, times: 1 }]);
    const error = (await failure(client().c.Runs_StartRun({ ...WS, runDefinitionFile: DEFINITION, projectZipFile: Readable.from([PROJECT]) }))) as AzureMLServiceError;
    expect(error.message).toBe(
      'Action azure_machinelearningservices_execution/Runs_StartRun failed with status code 503: TransientError: Injected fault: 503; not retried: projectZipFile is a stream that can be read only once; give a Buffer or {path} to allow resending',
    );
  });
});

describe('submissions are never doubled', () => {
  it.each(['after-processing', 'after-read'] as const)('a connection reset %s gives one run, with the client-made id', async (reset) => {
    const before = emulator.runCount();
    emulator.faults.set([{ operation: 'Runs_StartRun', reset, times: 1 }]);
    const { c } = client();
    const { runId } = await c.Runs_StartRun({ ...WS, runDefinitionFile: DEFINITION, projectZipFile: PROJECT });
    expect(runId).toMatch(/^faults_\d{10}_[0-9a-f]{8}$/);
    expect(emulator.runCount()).toBe(before + 1);
  });

  it('a 503 after the run was started (answer lost behind a proxy) still gives one run', async () => {
    const before = emulator.runCount();
    // The first attempt is processed but its answer dropped; the retry finds the run by id.
    emulator.faults.set([
      { operation: 'Runs_StartRun', reset: 'after-processing', times: 1 },
      { operation: 'Runs_Get', status: 503, times: 1 },
    ]);
    const { runId } = await client().c.Runs_StartRun({ ...WS, runDefinitionFile: DEFINITION, projectZipFile: PROJECT });
    expect(emulator.runCount()).toBe(before + 1);
    expect(runId).toMatch(/^faults_/);
  });
});

describe('cancel is idempotent', () => {
  /** A client that counts the requests it puts on the wire. */
  function counting() {
    const sent: string[] = [];
    const c = create({ access_token: 't', host: emulator.url }, { policies: [{ name: 'count', sendRequest: (request, next) => (sent.push(request.method), next(request)) }] });
    return { c, sent };
  }

  it('cancelling a Completed or an already Canceled run answers what the service answers, once, and changes nothing', async () => {
    const { c, sent } = counting();
    const done = await c.submitRun({ ...WS, project: PROJECT, script: 'ok.py' });
    await c.waitForRun(done, { initialIntervalMs: 20 });
    sent.length = 0;
    expect(await c.cancelRun(done)).toEqual({ runId: done.runId });
    expect(sent).toEqual(['post']);
    expect((await c.Runs_Get({ ...WS, runId: done.runId })).status).toBe('Completed');

    const long = await c.submitRun({ ...WS, project: makeZip([{ name: 'long.py', data: 'import time\ntime.sleep(30)' }]), script: 'long.py' });
    await c.cancelRun(long);
    await c.waitForRun(long, { initialIntervalMs: 20 });
    sent.length = 0;
    expect(await c.cancelRun(long)).toEqual({ runId: long.runId });
    expect(await c.cancelRun(long)).toEqual({ runId: long.runId });
    expect(sent).toEqual(['post', 'post']);
    expect((await c.Runs_Get({ ...WS, runId: long.runId })).status).toBe('Canceled');
  });

  it('a service that refuses to cancel an ended run gives its 4xx at once: one request, no retries', async () => {
    const server = await startRecordingServer();
    try {
      server.reply({ status: 400, body: { error: { code: 'UserError', message: 'Run r is already in a terminal state.' } } });
      const error = (await create({ access_token: 't', host: server.url })
        .cancelRun({ ...WS, runId: 'r' })
        .catch((e: unknown) => e)) as AzureMLServiceError;
      expect(error.message).toBe(
        'Action azure_machinelearningservices_execution/Runs_CancelRunWithUri failed with status code 400: UserError: Run r is already in a terminal state.',
      );
      expect(server.requests).toHaveLength(1);
    } finally {
      await server.close();
    }
  });
});

describe('answers that cannot be read, slow servers, deadlines and aborts', () => {
  it('gives a clear parse error for truncated JSON, without retrying', async () => {
    emulator.faults.set([{ operation: 'Runs_CancelRunWithUri', truncateJson: true }]);
    await create({ access_token: 't', host: emulator.url }).Runs_StartRun({ ...WS, runId: 'trunc_1', runDefinitionFile: DEFINITION, projectZipFile: PROJECT });
    const error = (await failure(client().c.Runs_CancelRunWithUri({ ...WS, runId: 'trunc_1' }))) as AzureMLResponseFormatError;
    expect(error).toBeInstanceOf(AzureMLResponseFormatError);
    expect(error.message).toMatch(
      /^Action azure_machinelearningservices_execution\/Runs_CancelRunWithUri got an answer it cannot read \(status code 200\): the body is not JSON \(/,
    );
    expect(error.body).toBe('{"runId":'); // the first half of {"runId":"trunc_1"}
  });

  it('times out an attempt that gets no data, and retries it', async () => {
    // The idle timers run on a clock this test moves: the server never answers, and each attempt
    // ends when 150 ms pass on that clock without a byte, however slow the machine is.
    const timers = new ManualTimers();
    const { createServer } = await import('http');
    let attempts = 0;
    let onRequest = () => undefined as void;
    let arrived: Promise<void>;
    const server = createServer((req) => {
      req.resume();
      req.on('end', () => {
        attempts++;
        onRequest();
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const host = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
    try {
      const silent = create(
        { access_token: 't', host },
        { transport: createTransport({ idleTimers: timers.idleTimers }), timeoutMs: 150, retry: { maxRetries: 1, sleep: async () => undefined } },
      );
      const call = failure(silent.Runs_CancelRunWithUri({ ...WS, runId: 'r' }));
      // Each attempt: once the server has the whole request (the client has nothing left to send), 150 ms pass on the clock.
      for (const attempt of [1, 2]) {
        arrived = new Promise<void>((resolve) => (onRequest = resolve));
        if (attempts < attempt) await arrived;
        timers.advance(150);
      }
      const error = (await call) as AzureMLNetworkError;
      expect(error.message).toBe(
        `Action azure_machinelearningservices_execution/Runs_CancelRunWithUri failed: no answer from ${host} (no data for 150 ms (the per-attempt timeout)); gave up after 2 attempts (ETIMEDOUT, ETIMEDOUT)`,
      );
      expect(attempts).toBe(2);
    } finally {
      server.closeAllConnections();
      server.close();
    }
  });

  it('the per-attempt timeout is idle time: an answer and an upload that trickle, each piece in time, succeed; a stall mid-answer does not', async () => {
    // The transport's idle timers run on a clock this test moves: 150 ms between pieces, 200 ms allowed.
    const timers = new ManualTimers();
    const transport = createTransport({ idleTimers: timers.idleTimers });
    let respond: ((res: import('http').ServerResponse) => Promise<void>) | undefined;
    const { createServer } = await import('http');
    const server = createServer((req, res) => {
      req.resume();
      req.on('end', () => void respond?.(res));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const host = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
    const trickled = create({ access_token: 't', host }, { transport, timeoutMs: 200, retry: { maxRetries: 0 } });
    try {
      // The answer, one byte at a time: 20 pieces, 3 s on the clock in all, never 200 ms without a byte.
      const answer = Buffer.from(JSON.stringify({ runId: 'trickled_answer' }));
      respond = async (res) => {
        res.writeHead(200, { 'content-type': 'application/json', 'content-length': String(answer.length) });
        for (const byte of answer) {
          const seen = timers.activity;
          res.write(Buffer.from([byte]));
          await timers.activitySince(seen);
          timers.advance(150);
        }
        res.end();
      };
      expect(await trickled.Runs_CancelRunWithUri({ ...WS, runId: 'r' })).toEqual({ runId: 'trickled_answer' });
      expect(timers.now).toBe(150 * answer.length);

      // The upload: the project in 8 pieces, each sent 150 ms after the last on the clock.
      const pieces = Array.from({ length: 8 }, (_, i) => PROJECT.subarray(Math.floor((i * PROJECT.length) / 8), Math.floor(((i + 1) * PROJECT.length) / 8)));
      const upload = new Readable({ read() {} });
      respond = async (res) => void res.end(JSON.stringify({ runId: 'trickled_upload' }));
      const started = trickled.Runs_StartRun({ ...WS, runId: 'trickled_upload', runDefinitionFile: DEFINITION, projectZipFile: upload });
      const before = timers.now;
      for (const piece of pieces) {
        const seen = timers.activity;
        upload.push(piece);
        await timers.activitySince(seen);
        timers.advance(150);
      }
      upload.push(null);
      expect(await started).toEqual({ runId: 'trickled_upload' });
      expect(timers.now - before).toBe(1200);

      // Part of an answer, then nothing: 200 ms on the clock end the attempt.
      respond = async (res) => {
        res.writeHead(200, { 'content-type': 'application/json', 'content-length': '20' });
        const seen = timers.activity;
        res.write('{"runId":');
        await timers.activitySince(seen);
        timers.advance(199);
        timers.advance(1);
      };
      const error = await failure(trickled.Runs_CancelRunWithUri({ ...WS, runId: 'r' }));
      expect(error.message).toBe(
        `Action azure_machinelearningservices_execution/Runs_CancelRunWithUri failed: no answer from ${host} (no data for 200 ms (the per-attempt timeout))`,
      );
    } finally {
      server.closeAllConnections();
      server.close();
    }
  });

  it('stops at the overall deadline', async () => {
    // An answer 25 s away: without the deadline the call would end with it (and this test fail), not with a timeout.
    emulator.faults.set([{ operation: 'Runs_CancelRunWithUri', delayMs: 25000 }]);
    const error = await failure(client().c.Runs_CancelRunWithUri({ ...WS, runId: 'r' }, { deadlineMs: 200 }));
    expect(error).toBeInstanceOf(AzureMLTimeoutError);
    expect(error.message).toBe('Action azure_machinelearningservices_execution/Runs_CancelRunWithUri did not finish within its deadline of 200 ms');
  });

  it('aborts during an upload at once, with an AbortError naming the action', async () => {
    // Aborted when the server has the first bytes, and the upload then has nothing more to send.
    const controller = new AbortController();
    const { createServer } = await import('http');
    const server = createServer((req) => req.once('data', () => controller.abort()));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const host = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
    let sent = 0;
    const slow = new Readable({
      read() {
        if (sent++ === 0) this.push(PROJECT);
        // then nothing more: the upload hangs until aborted
      },
    });
    try {
      const error = await failure(create({ access_token: 't', host }).Runs_StartRun({ ...WS, runDefinitionFile: DEFINITION, projectZipFile: slow }, { signal: controller.signal }));
      expect(error).toBeInstanceOf(AzureMLAbortError);
      expect(error.name).toBe('AbortError');
      expect(error.message).toBe('Action azure_machinelearningservices_execution/Runs_StartRun was aborted');
    } finally {
      server.closeAllConnections();
      server.close();
    }
  });

  it('rejects at once when the signal is already aborted, sending nothing', async () => {
    const server = await startRecordingServer();
    try {
      const error = await failure(create({ access_token: 't', host: server.url }).Runs_CancelRunWithUri({ ...WS, runId: 'r' }, { signal: AbortSignal.abort() }));
      expect(error).toBeInstanceOf(AzureMLAbortError);
      expect(server.requests).toHaveLength(0);
    } finally {
      await server.close();
    }
  });
});

describe('the bad-input matrix: every field of every action', () => {
  const goodInputs: Record<string, Record<string, unknown>> = {
    Runs_StartLocalRun: { ...WS, definition: DEFINITION, runId: 'r1' },
    Runs_StartRun: { ...WS, runDefinitionFile: DEFINITION, projectZipFile: PROJECT, runId: 'r1' },
    Runs_StartSnapshotRun: { ...WS, definition: DEFINITION, runId: 'r1' },
    Runs_CancelRunWithUri: { ...WS, runId: 'r1' },
  };
  const cases: Array<[string, string, string, unknown, string]> = [];
  for (const op of executionSpec.operations) {
    for (const param of op.parameters) {
      const schema = op.inputSchema.properties![param.name];
      const wrong = param.file
        ? `must be a string, a Buffer or Uint8Array, a Readable stream, a file object {content, encoding, contentType, filename}, or {path}${param.file.jsonDefinition ? `, or a ${param.file.jsonDefinition} object` : ''} (got a number)`
        : schema.$ref
          ? 'must be an object (got integer)'
          : 'must be a string (got integer)';
      cases.push([op.operationId, param.name, 'a wrong type', 42, `${param.name} ${wrong}`]);
      if (param.required) cases.push([op.operationId, param.name, 'missing', undefined, `${param.name} is required`]);
      if (param.in === 'path' && param.name !== 'subscriptionId') {
        const slash =
          param.name === 'runId'
            ? 'runId must match the pattern ^[a-zA-Z0-9][\\w-]{0,255}$ (got "a/b")'
            : `${param.name} must not contain / or \\ (it is one segment of the URL path)`;
        cases.push([op.operationId, param.name, 'a /', 'a/b', slash]);
        cases.push([
          op.operationId,
          param.name,
          '..',
          '..',
          param.name === 'runId' ? 'runId must match the pattern ^[a-zA-Z0-9][\\w-]{0,255}$ (got "..")' : `${param.name} must not be ".."`,
        ]);
      }
      if (param.name === 'runId')
        cases.push([op.operationId, param.name, 'too long', `r${'x'.repeat(256)}`, `runId must match the pattern ^[a-zA-Z0-9][\\w-]{0,255}$ (got "r${'x'.repeat(78)}...)`]);
    }
  }
  cases.push([
    'Runs_StartRun',
    'runDefinitionFile',
    'not JSON',
    'configuration: {}',
    'runDefinitionFile is not JSON: Unexpected token \'c\', "configuration: {}" is not valid JSON',
  ]);
  cases.push([
    'Runs_StartRun',
    'projectZipFile',
    'not a zip',
    Buffer.from('plain text'),
    'projectZipFile is not a zip archive (it does not start with the zip signature PK\\x03\\x04)',
  ]);
  cases.push([
    'Runs_StartRun',
    'projectZipFile',
    'a missing file',
    { path: '/nonexistent/project.zip' },
    'projectZipFile.path names a file that does not exist: /nonexistent/project.zip',
  ]);

  it.each(cases)('%s: %s as %s', async (operationId, field, _what, value, message) => {
    const server = await startRecordingServer();
    try {
      const input = { ...goodInputs[operationId], [field]: value };
      if (value === undefined) delete input[field];
      const c = create({ access_token: 't', host: server.url }) as unknown as Record<string, (i: unknown) => Promise<unknown>>;
      const error = await failure(c[operationId](input));
      expect(error).toBeInstanceOf(AzureMLValidationError);
      expect(error.message).toBe(`Action azure_machinelearningservices_execution/${operationId} was given invalid input: ${message}`);
      expect(server.requests).toHaveLength(0);
    } finally {
      await server.close();
    }
  });
});
