/**
 * One test per safeguard that a mutation pass found untested: each fails when its safeguard
 * alone is removed (the others left in place).
 */
import * as fs from 'fs';
import nock from 'nock';
import * as path from 'path';
import { Readable } from 'stream';
import { AzureMLAuthError, AzureMLError, AzureMLNetworkError, AzureMLServiceError, AzureMLTimeoutError, create, startEmulator, type Emulator } from '../src';
import { workflowAction } from '../src/datafire/workflow-actions';
import { accountExpiry } from '../src/auth/expiry';
import { waitForRun } from '../src/workflow/wait-for-run';
import { BASE_PATH, TOKEN, WORKSPACE, ZIP_BYTES, startRunInput } from './helpers/fixtures';
import { startRecordingServer, type RecordedRequest, type RecordingServer } from './helpers/recording-server';
import { projectFolders } from './helpers/project-folders';

let server: RecordingServer;
beforeEach(async () => {
  server = await startRecordingServer();
});
afterEach(() => server.close());

const isStartRun = (req: RecordedRequest) => req.method === 'POST' && req.url.startsWith(`${BASE_PATH}/startrun`);
const isRunLookup = (req: RecordedRequest) => req.method === 'GET' && req.url.startsWith('/history/v1.0/');
/** A 503 after the work was done (a proxy lost the answer); no wait before the retry. */
const LOST_ANSWER = { status: 503, headers: { 'retry-after-ms': '0' }, body: { error: { code: 'ServiceUnavailable', message: 'answer lost' } } };

describe('a retried StartRun starts one run', () => {
  it('by the Run History lookup alone: the run it finds is the answer, and StartRun is not sent again', async () => {
    let started: string | undefined;
    server.reply((req) => {
      if (isStartRun(req)) {
        started = new URL(req.url, server.url).searchParams.get('runId') ?? undefined;
        return LOST_ANSWER;
      }
      if (isRunLookup(req) && started && req.url.includes(`/runs/${started}`)) return { status: 200, body: { runId: started, status: 'Queued' } };
      return { status: 404, body: { error: { code: 'UserError', message: 'not found' } } };
    });
    const result = await create({ access_token: TOKEN, host: server.url }).Runs_StartRun(startRunInput());
    expect(result).toEqual({ runId: started });
    expect(server.requests.filter(isStartRun)).toHaveLength(1);
    expect(server.requests.filter(isRunLookup)).toHaveLength(1);
  });

  it("by the 409 rule alone: when the lookup cannot tell, the retry's 409 to the call's own run id is the answer", async () => {
    let started: string | undefined;
    server.reply((req) => {
      if (isStartRun(req)) {
        const runId = new URL(req.url, server.url).searchParams.get('runId') ?? undefined;
        if (started === runId) return { status: 409, body: { error: { code: 'UserError', message: 'run exists', innerError: { code: 'RunIdAlreadyExists' } } } };
        started = runId;
        return LOST_ANSWER;
      }
      // Run History lags behind: the run is not there yet.
      return { status: 404, body: { error: { code: 'UserError', message: 'not found' } } };
    });
    const result = await create({ access_token: TOKEN, host: server.url }).Runs_StartRun(startRunInput());
    expect(result).toEqual({ runId: started });
    expect(server.requests.filter(isStartRun)).toHaveLength(2);
  });

  it("a run id of the caller is not the call's own: its 409 on a retry is the error, as the service says", async () => {
    server.reply((req) =>
      server.requests.filter(isStartRun).length === 1 && isStartRun(req)
        ? LOST_ANSWER
        : isStartRun(req)
          ? { status: 409, body: { error: { code: 'UserError', message: 'run exists' } } }
          : { status: 404, body: {} },
    );
    const error = (await create({ access_token: TOKEN, host: server.url })
      .Runs_StartRun(startRunInput({ runId: 'mine_1' }))
      .catch((e: unknown) => e)) as AzureMLServiceError;
    expect([error.statusCode, error.attempts]).toEqual([409, 2]);
    expect(server.requests.filter(isRunLookup)).toHaveLength(0);
  });
});

describe('request bodies', () => {
  it('a stream that fails while it is sent is reported as a body error, not a network error, and not retried', async () => {
    server.reply({ status: 200, body: { runId: 'r' } });
    let reads = 0;
    const broken = new Readable({
      read() {
        if (reads++ === 0) this.push(Buffer.from('PK\x03\x04', 'latin1'));
        else this.destroy(new Error('disk read failed'));
      },
    });
    const error = (await create({ access_token: TOKEN, host: server.url })
      .Runs_StartRun(startRunInput({ projectZipFile: broken }))
      .catch((e: unknown) => e)) as AzureMLError;
    expect(error).toBeInstanceOf(AzureMLError);
    expect(error).not.toBeInstanceOf(AzureMLNetworkError);
    expect(error.message).toBe('Action azure_machinelearningservices_execution/Runs_StartRun could not read its request body: disk read failed');
  });

  it('a 401 to a one-shot stream is the answer: the token is refreshed for later calls, the stream is never sent again', async () => {
    const LOGIN = 'https://login.microsoftonline.com';
    nock(LOGIN).post('/t/oauth2/v2.0/token').reply(200, { access_token: 'fresh-token', expires_in: 3600 });
    server.reply({ status: 401, headers: { 'www-authenticate': 'Bearer error="invalid_token"' }, body: { error: { code: 'UserError', message: 'expired' } } });
    const account = { access_token: 'stale-token', refresh_token: 'refresh-0123456789', client_id: 'c', tenant_id: 't', host: server.url };
    const error = (await create(account)
      .Runs_StartRun(startRunInput({ projectZipFile: Readable.from([ZIP_BYTES]) }))
      .catch((e: unknown) => e)) as AzureMLServiceError;
    expect(error.statusCode).toBe(401);
    expect(server.requests.filter(isStartRun)).toHaveLength(1);
    expect(account.access_token).toBe('fresh-token');
  });
});

describe('tokens', () => {
  it('a token endpoint that answers 200 without access_token is an auth error, and nothing is sent', async () => {
    nock('https://login.microsoftonline.com').post('/t/oauth2/v2.0/token').reply(200, { token_type: 'Bearer', expires_in: 3600 });
    server.reply({ status: 401, body: {} });
    const account = { access_token: 'stale-token', refresh_token: 'refresh-0123456789', client_id: 'c', tenant_id: 't', host: server.url, expires_at: '2000-01-01T00:00:00Z' };
    const error = (await create(account)
      .Runs_CancelRunWithUri({ ...WORKSPACE, runId: 'r' })
      .catch((e: unknown) => e)) as AzureMLAuthError;
    expect(error).toBeInstanceOf(AzureMLAuthError);
    expect(error.message).toBe(
      'Action azure_machinelearningservices_execution/Runs_CancelRunWithUri could not refresh the access token: the token endpoint https://login.microsoftonline.com/t/oauth2/v2.0/token answered 200: the answer has no access_token',
    );
    expect(server.requests).toHaveLength(0);
    expect(account.access_token).toBe('stale-token');
  });

  it('reads an expiry in epoch milliseconds as milliseconds, and in seconds as seconds', () => {
    const at = Date.UTC(2026, 10, 25, 12, 0, 0);
    expect(accountExpiry({ expires_at: at }, 'x')).toBe(at);
    expect(accountExpiry({ expires_at: String(at) }, 'x')).toBe(at);
    expect(accountExpiry({ expiration: at / 1000 }, 'x')).toBe(at);
    expect(accountExpiry({ expires_at: '2026-11-25T12:00:00Z' }, 'x')).toBe(at);
  });
});

describe('the wire', () => {
  it('percent-encodes query values (RFC 3986: quotes too): spaces, quotes, & and = in an OData filter reach the server as given', async () => {
    server.reply({ status: 200, body: { value: [] } });
    const filter = "Status eq 'Running' and Target eq 'a&b=c+d'";
    await create({ access_token: TOKEN, host: server.url }).Runs_GetChild({ ...WORKSPACE, runId: 'r', $filter: filter, $top: 5 });
    const [req] = server.requests;
    expect(req.url).toBe(
      `/history/v1.0/subscriptions/${WORKSPACE.subscriptionId}/resourceGroups/my-rg/providers/Microsoft.MachineLearningServices/workspaces/my-ws/experiments/my-exp/runs/r/children?%24filter=Status%20eq%20%27Running%27%20and%20Target%20eq%20%27a%26b%3Dc%2Bd%27&%24top=5`,
    );
    expect(new URL(req.url, server.url).searchParams.get('$filter')).toBe(filter);
  });
});

describe('waitForRun, with an injected sleep and clock', () => {
  function fakeClient(statuses: string[]) {
    return {
      Runs_GetDetails: async () => {
        const status = statuses.length > 1 ? statuses.shift()! : statuses[0];
        return { runId: 'r', status };
      },
    };
  }

  it('grows the wait by half up to the cap, and starts again from the first wait when the status changes', async () => {
    const slept: number[] = [];
    const statuses = ['Queued', 'Queued', 'Queued', 'Queued', 'Queued', 'Running', 'Running', 'Running', 'Completed'];
    const final = await waitForRun({ client: fakeClient(statuses) as never, defaults: WORKSPACE }, 'r', {
      initialIntervalMs: 1000,
      maxIntervalMs: 3000,
      sleep: async (ms) => void slept.push(ms),
      settleMs: 0,
    });
    expect(final.status).toBe('Completed');
    expect(slept).toEqual([1000, 1500, 2250, 3000, 3000, 1000, 1500, 2250]);
  });

  it('stops waiting at timeoutMs, seeing the status at the deadline first', async () => {
    let clock = 0;
    const slept: number[] = [];
    const polls: number[] = [];
    const client = { Runs_GetDetails: async () => (polls.push(clock), { runId: 'r', status: 'Running' }) };
    const error = (await waitForRun({ client: client as never, defaults: WORKSPACE }, 'r', {
      initialIntervalMs: 1000,
      maxIntervalMs: 4000,
      timeoutMs: 5000,
      now: () => clock,
      sleep: async (ms) => {
        slept.push(ms);
        clock += ms;
      },
    }).catch((e: unknown) => e)) as AzureMLTimeoutError;
    expect(error).toBeInstanceOf(AzureMLTimeoutError);
    expect(error.message).toBe('Action azureml-execution/waitForRun did not finish within its deadline of 5000 ms');
    expect(slept).toEqual([1000, 1500, 2250, 250]);
    expect(polls).toEqual([0, 1000, 2500, 4750, 5000]);
  });
});

describe('the emulator and the DataFire workflow actions', () => {
  let emulator: Emulator;
  const folders = projectFolders('azureml-safeguards-');
  beforeAll(async () => {
    emulator = await startEmulator({ maxConcurrentRuns: 1, killGraceMs: 200 });
  });
  afterAll(async () => {
    await emulator.close();
    folders.cleanup();
  });
  const ws = { ...WORKSPACE, experimentName: 'safeguards' };

  it('a queued run that is cancelled stays Canceled and never starts, even when a slot frees', async () => {
    const client = create({ access_token: 't', host: emulator.url }, { workspace: ws });
    const dir = folders.make({ 'long.py': 'import time\nprint("long", flush=True)\ntime.sleep(30)', 'never.py': 'print("must not run")' });
    const busy = await client.submitRun({ project: dir, script: 'long.py' });
    // One slot: the first run holds it from its start, so the next one waits in the queue.
    expect((await client.Runs_Get({ ...ws, runId: busy.runId })).status).not.toBe('Queued');
    const queued = await client.submitRun({ project: dir, script: 'never.py' });
    expect((await client.Runs_Get({ ...ws, runId: queued.runId })).status).toBe('Queued');
    await client.cancelRun(queued.runId);
    expect((await client.Runs_Get({ ...ws, runId: queued.runId })).status).toBe('Canceled');
    // The slot frees: the queue moves on, and the canceled run is not in it.
    await client.cancelRun(busy.runId);
    expect((await client.waitForRun(busy.runId, { initialIntervalMs: 20 })).status).toBe('Canceled');
    const details = await client.Runs_GetDetails({ ...ws, runId: queued.runId });
    expect([details.status, details.startTimeUtc, details.logFiles]).toEqual(['Canceled', undefined, {}]);
  });

  it("the waitForRun action answers a Failed run's status (an answer in a flow), it does not throw", async () => {
    const client = create({ access_token: 't', host: emulator.url }, { workspace: ws });
    const dir = folders.make({ 'fail.py': 'raise SystemExit(4)' });
    const run = await client.submitRun({ project: dir, script: 'fail.py' });
    const context = { accounts: { azure_machinelearningservices_execution: { access_token: 't', host: emulator.url } } };
    const status = (await workflowAction('waitForRun').run({ ...ws, runId: run.runId, pollSeconds: 0.02 }, context)) as Record<string, unknown>;
    expect(status).toMatchObject({ runId: run.runId, experimentName: 'safeguards', status: 'Failed', error: { code: 'UserError' } });
  });
});

describe('the downloadOutputs action, called over HTTP', () => {
  let emulator: Emulator;
  const folders = projectFolders('azureml-downloads-');
  beforeAll(async () => {
    emulator = await startEmulator();
  });
  afterAll(async () => {
    await emulator.close();
    folders.cleanup();
  });

  it('writes only under downloadsDir (links followed), and anywhere from a local flow', async () => {
    const ws = { ...WORKSPACE, experimentName: 'downloads' };
    const client = create({ access_token: 't', host: emulator.url }, { workspace: ws });
    const run = await client.submitRun({ project: folders.make({ 'w.py': 'import os\nos.makedirs("outputs")\nopen("outputs/a.txt", "w").write("A")' }), script: 'w.py' });
    await client.waitForRun(run.runId, { initialIntervalMs: 20 });
    const root = folders.make({});
    const outside = folders.make({});
    fs.symlinkSync(outside, path.join(root, 'link'));
    const accounts = { azure_machinelearningservices_execution: { access_token: 't', host: emulator.url } };
    const http = { type: 'http', accounts, variables: { downloadsDir: root } };
    const action = workflowAction('downloadOutputs');
    const done = (await action.run({ ...ws, runId: run.runId, to: 'run1' }, http)) as { files: Array<{ file: string }> };
    expect(done.files.map((f) => f.file)).toEqual([path.join(fs.realpathSync(root), 'run1', 'outputs', 'a.txt')]);
    expect(fs.readFileSync(path.join(root, 'run1', 'outputs', 'a.txt'), 'utf8')).toBe('A');
    for (const to of ['../escape', '/tmp/elsewhere', 'link/inside-a-link']) {
      await expect(action.run({ ...ws, runId: run.runId, to }, http)).rejects.toThrow(
        `Action azureml-execution/downloadOutputs was given invalid input: to must be inside ${fs.realpathSync(root)} (set the variable downloadsDir to change it)`,
      );
    }
    expect(fs.readdirSync(outside)).toEqual([]);
    const local = (await action.run({ ...ws, runId: run.runId, to: path.join(outside, 'mine') }, { accounts })) as { files: Array<{ file: string }> };
    expect(local.files.map((f) => f.file)).toEqual([path.join(outside, 'mine', 'outputs', 'a.txt')]);
  });
});

describe('listRunsPage', () => {
  const { listRunsPage } = require('../src/workflow/list-runs') as typeof import('../src/workflow/list-runs');
  const runs = (n: number) => Array.from({ length: n }, (_, i) => ({ runId: `r${i}`, status: 'Running' }));

  it('asks for one page with the status filter, newest first, and gives the token of the next page', async () => {
    const asked: unknown[] = [];
    const client = { Runs_GetByQuery: async (input: unknown) => (asked.push(input), { value: runs(2), continuationToken: 'next-1' }) };
    const page = await listRunsPage({ client: client as never, defaults: WORKSPACE }, { status: 'running', continuationToken: 'prev-0' });
    expect(page).toEqual({ runs: runs(2), continuationToken: 'next-1' });
    expect(asked).toEqual([{ ...WORKSPACE, queryParams: { orderBy: 'CreatedUtc desc', filter: "Status eq 'Running'", continuationToken: 'prev-0' } }]);
  });

  it('cuts a page to top, and then gives no token (the next page would skip the runs cut off)', async () => {
    const client = { Runs_GetByQuery: async () => ({ value: runs(3), continuationToken: 'next-1' }) };
    expect(await listRunsPage({ client: client as never, defaults: WORKSPACE }, { top: 2 })).toEqual({ runs: runs(2) });
    const last = { Runs_GetByQuery: async () => ({ value: runs(1) }) };
    expect(await listRunsPage({ client: last as never, defaults: WORKSPACE })).toEqual({ runs: runs(1) });
  });
});
