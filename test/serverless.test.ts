/**
 * toHandler: the package's actions as AWS Lambda handlers, fed recorded API Gateway, SQS and
 * EventBridge events, against the emulator.
 */
import * as fs from 'fs';
import * as path from 'path';
import { action, create, startEmulator, toHandler, workflowAction, type Emulator, type HandlerResult } from '../src';
import { makeZip } from './helpers/make-zip';
import { expectNoSecrets } from './helpers/secrets';

const WS = { subscriptionId: '6a8bd9bb-1df3-4bca-9b24-27a7f3e5b9e7', resourceGroupName: 'rg', workspaceName: 'ws', experimentName: 'lambda' };
const TOKEN = 'lambda-secret-token-0123456789';

let emulator: Emulator;
let account: { access_token: string; host: string };
// This suite's handlers take zips over HTTP: a deployment must say so (allowProjectZipUploads).
const variables = { ...WS, allowProjectZipUploads: true };

function event(name: string, replace: Record<string, string> = {}): Record<string, unknown> {
  let text = fs.readFileSync(path.join(__dirname, 'fixtures', 'lambda', name), 'utf8');
  for (const [from, to] of Object.entries(replace)) text = text.split(from).join(to);
  return JSON.parse(text);
}

const json = (result: HandlerResult) => JSON.parse(result.body);

async function completedRun(script = 'print("Hello!")'): Promise<string> {
  const client = create(account, { workspace: WS });
  const run = await client.submitRun({ project: makeZip([{ name: 'hello.py', data: script }]), script: 'hello.py' });
  await client.waitForRun(run.runId, { initialIntervalMs: 30 });
  return run.runId;
}

beforeAll(async () => {
  emulator = await startEmulator({ maxConcurrentRuns: 4, killGraceMs: 300 });
  account = { access_token: TOKEN, host: emulator.url };
});
afterAll(() => emulator.close());

describe('API Gateway proxy events', () => {
  it('answers GET /runs/{runId}/log (REST API v1) with the log from the query offset', async () => {
    const runId = await completedRun();
    const result = await toHandler(workflowAction('getRunLog'), { account, variables })(event('apigateway-v1-get-log.json', { RUN_ID: runId }));
    expect(result).toEqual({
      statusCode: 200,
      headers: { 'content-type': 'application/json; charset=utf-8' },
      body: JSON.stringify({ runId, name: 'azureml-logs/70_driver_log.txt', log: 'llo!\n', fromByte: 2, nextByte: 7, totalBytes: 7, status: 'Completed' }),
    });
  });

  it('answers POST /runs with a base64 body holding the project zip: the run is submitted and runs', async () => {
    const zip = makeZip([{ name: 'job.py', data: 'print("from lambda")' }]);
    const body = Buffer.from(JSON.stringify({ projectZip: zip.toString('base64'), script: 'job.py', arguments: ['1'] })).toString('base64');
    const result = await toHandler(workflowAction('submitRun'), { account, variables })(event('apigateway-v1-post-runs.json', { BODY: body }));
    expect(result.statusCode).toBe(200);
    const run = json(result);
    expect(run).toEqual({
      ...WS,
      runId: expect.stringMatching(/^lambda_\d{10}_[0-9a-f]{8}$/),
      definition: { configuration: { framework: 'Python', communicator: 'None', target: 'local', script: 'job.py', arguments: ['1'] } },
      project: { bytes: zip.length },
    });
    const log = await create(account, { workspace: WS }).waitForRun(run.runId, { initialIntervalMs: 30, onLog: () => undefined });
    expect(log.status).toBe('Completed');
  });

  it('answers GET /runs/{runId} (HTTP API v2) with the status', async () => {
    const runId = await completedRun();
    const result = await toHandler(workflowAction('getRun'), { account, variables })(event('apigateway-v2-get-run.json', { RUN_ID: runId }));
    expect(result.statusCode).toBe(200);
    expect(json(result)).toEqual({
      runId,
      experimentName: 'lambda',
      status: 'Completed',
      target: 'local',
      startTimeUtc: expect.any(String),
      endTimeUtc: expect.any(String),
      durationSeconds: expect.any(Number),
    });
  });

  it("answers bad input 400, the service's 404 as 404, and never shows the token", async () => {
    const handler = toHandler(workflowAction('getRun'), { account, variables });
    const missing = await handler(event('apigateway-v2-get-run.json', { RUN_ID: 'no_such_run' }));
    expect(missing.statusCode).toBe(404);
    expect(json(missing)).toEqual({
      error: {
        name: 'AzureMLServiceError',
        message: 'Action azure_machinelearningservices_runhistory/Runs_GetDetails failed with status code 404: UserError: Run no_such_run was not found in experiment lambda',
        statusCode: 404,
        code: 'UserError',
        target: 'runId',
      },
    });
    const notJson = await toHandler(workflowAction('submitRun'), { account, variables })(
      event('apigateway-v1-post-runs.json', { BODY: Buffer.from('{"script":').toString('base64') }),
    );
    expect(notJson.statusCode).toBe(400);
    expect(json(notJson).error.message).toMatch(/^Action azureml-execution\/toHandler was given invalid input: body is not JSON: /);
    const bad = await toHandler(workflowAction('submitRun'), { account, variables })(
      event('apigateway-v1-post-runs.json', { BODY: Buffer.from('{"projectZip":"bm90IGEgemlw","script":"a.py"}').toString('base64') }),
    );
    expect([bad.statusCode, json(bad).error.problems]).toEqual([
      400,
      [{ path: 'projectZipFile', message: 'is not a zip archive (it does not start with the zip signature PK\\x03\\x04)' }],
    ]);
    expectNoSecrets([missing, notJson, bad], [TOKEN]);
  });

  it('refuses { path } file objects in raw actions over HTTP, unless inside localFilesDir', async () => {
    const { actions } = await import('../src');
    const dir = fs.mkdtempSync(path.join(require('os').tmpdir(), 'azureml-local-files-'));
    try {
      fs.writeFileSync(path.join(dir, 'p.zip'), makeZip([{ name: 'a.py', data: 'print(1)' }]));
      const input = (file: string) => ({ ...WS, runDefinitionFile: { configuration: { script: 'a.py' } }, projectZipFile: { path: file } });
      const http = (vars: Record<string, unknown>) => ({ type: 'http', accounts: { azure_machinelearningservices_execution: account }, variables: vars });
      const refused = (await actions.Runs_StartRun(input('/etc/passwd'), http({})).catch((e: unknown) => e)) as { problems: unknown };
      expect(refused.problems).toEqual([
        {
          path: 'projectZipFile.path',
          message: 'names a file on this server, which a remote caller may not do (send the content instead, or set the variable localFilesDir to a folder such files must be in)',
        },
      ]);
      const outside = (await actions.Runs_StartRun(input('../../etc/passwd'), http({ localFilesDir: dir })).catch((e: unknown) => e)) as { problems: unknown };
      expect(outside.problems).toEqual([{ path: 'projectZipFile.path', message: `must be inside ${fs.realpathSync(dir)} (set the variable localFilesDir to change it)` }]);
      const inside = (await actions.Runs_StartRun(input('p.zip'), http({ localFilesDir: dir }))) as { runId: string };
      expect(inside.runId).toMatch(/^lambda_\d{10}_[0-9a-f]{8}$/);
      // A local flow (no HTTP caller) names files as before.
      expect(
        ((await actions.Runs_StartRun(input(path.join(dir, 'p.zip')), { accounts: { azure_machinelearningservices_execution: account } })) as { runId: string }).runId,
      ).toBeDefined();
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('refuses zips, and files named by path, from HTTP unless the deployment allows them', async () => {
    const zipBody = Buffer.from(JSON.stringify({ projectZip: makeZip([{ name: 'a.py', data: '' }]).toString('base64'), script: 'a.py' })).toString('base64');
    const off = await toHandler(workflowAction('submitRun'), { account, variables: WS })(event('apigateway-v1-post-runs.json', { BODY: zipBody }));
    expect([off.statusCode, json(off).error.problems]).toEqual([
      400,
      [{ path: 'projectZip', message: 'uploads over HTTP are off: a remote caller could run any code (set the variable allowProjectZipUploads to true to take them)' }],
    ]);
    const folderBody = Buffer.from(JSON.stringify({ project: '/etc', script: 'passwd' })).toString('base64');
    const folder = await toHandler(workflowAction('submitRun'), { account, variables: WS })(event('apigateway-v1-post-runs.json', { BODY: folderBody }));
    expect([folder.statusCode, json(folder).error.problems]).toEqual([
      400,
      [{ path: 'project', message: `cannot be used: the folder it must be in, ${path.join(process.cwd(), 'projects')} (variable projectsDir), does not exist` }],
    ]);
    const pathBody = Buffer.from(JSON.stringify({ projectZip: { path: '/etc/passwd' }, script: 'a.py' })).toString('base64');
    const byPath = await toHandler(workflowAction('submitRun'), { account, variables })(event('apigateway-v1-post-runs.json', { BODY: pathBody }));
    expect([byPath.statusCode, json(byPath).error.problems]).toEqual([
      400,
      [{ path: 'projectZip.path', message: 'names a file on this server, which a remote caller may not do (send the content)' }],
    ]);
  });

  it("gives a file answer (Runs_StartLocalRun's zip) as base64", async () => {
    const result = await toHandler(action('Runs_StartLocalRun'), { account })({ ...WS, definition: { configuration: { script: 'hello.py' } } });
    expect(result.statusCode).toBe(200);
    expect(result.isBase64Encoded).toBe(true);
    expect(result.headers).toEqual({ 'content-type': 'application/octet-stream' });
    expect(Buffer.from(result.body, 'base64').subarray(0, 4).toString('latin1')).toBe('PK\x03\x04');
  });
});

describe('queue and timer events', () => {
  it('runs each SQS message, and reports only the failed ones for redelivery', async () => {
    const runId = await completedRun();
    const handler = toHandler(workflowAction('getRun'), { account, variables });
    const result = await handler(
      event('sqs-two-messages.json', { '"BODY_1"': JSON.stringify(JSON.stringify({ runId })), '"BODY_2"': JSON.stringify(JSON.stringify({ runId: 'gone' })) }),
    );
    expect(result.statusCode).toBe(207);
    expect(result.batchItemFailures).toEqual([{ itemIdentifier: '2e1424d4-f796-459a-8184-9c92662be6da' }]);
    const { results } = json(result);
    expect(results.map((r: { messageId: string; ok: boolean }) => [r.messageId, r.ok])).toEqual([
      ['059f36b4-87a3-44ab-83d2-661975830a7d', true],
      ['2e1424d4-f796-459a-8184-9c92662be6da', false],
    ]);
    expect(results[0].output.status).toBe('Completed');
    expect(results[1].error.statusCode).toBe(404);
  });

  it('runs a scheduled event with the handler input: the monitor of ended runs', async () => {
    const runId = await completedRun();
    const result = await toHandler(workflowAction('endedRuns'), { account, variables, input: { top: 50 } })(event('eventbridge-scheduled.json'));
    expect(result.statusCode).toBe(200);
    expect(json(result).runs.map((r: { runId: string }) => r.runId)).toContain(runId);
  });

  it("stops before Lambda's time limit with a 504 that says so", async () => {
    const client = create(account, { workspace: WS });
    const run = await client.submitRun({ project: makeZip([{ name: 'slow.py', data: 'import time\ntime.sleep(30)' }]), script: 'slow.py' });
    // The run sleeps 30 s, past the test's own timeout: only the margin can end the wait in time.
    const result = await toHandler(workflowAction('waitForRun'), { account, variables, marginMs: 1000 })(
      { runId: run.runId, pollSeconds: 0.05 },
      { getRemainingTimeInMillis: () => 1400 },
    );
    expect(result.statusCode).toBe(504);
    expect(json(result).error).toEqual({ name: 'AbortError', message: 'Action azureml-execution/waitForRun was aborted: less than 1000 ms of the Lambda invocation were left' });
    await client.cancelRun(run.runId);
  });

  it('refuses what is not an action', () => {
    expect(() => toHandler({} as never)).toThrow('toHandler needs an action (an object with run(input, context)) or a function');
  });
});
