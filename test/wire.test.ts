/**
 * The exact request every action puts on the wire (method, path, query, headers, body byte for
 * byte) and the value it returns, against a loopback server that records what it gets.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { Readable } from 'stream';
import { create } from '../src';
import { ALL_BYTES, BASE_PATH, DEFINITION, TOKEN, WORKSPACE, ZIP_BYTES, boundaryOf, multipartBody, multipartPart, startRunInput } from './helpers/fixtures';
import { startRecordingServer, type RecordedRequest, type RecordingServer } from './helpers/recording-server';

const pkg = JSON.parse(fs.readFileSync(path.join(__dirname, '..', 'package.json'), 'utf8'));
const USER_AGENT = `azureml-execution/${pkg.version} Node.js/${process.version} (${process.platform}; ${process.arch})`;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

let server: RecordingServer;
beforeEach(async () => {
  server = await startRecordingServer();
});
afterEach(() => server.close());

function client() {
  return create({ access_token: TOKEN, host: server.url });
}

/**
 * Every header the request carried, with the per-call ones checked by shape. `connection` is left
 * out: nock's pass-through (which keeps these tests off the internet) rewrites it to `close`;
 * keep-alive is checked without nock in transport.test.ts.
 */
function expectHeaders(req: RecordedRequest, expected: Record<string, string>) {
  const { 'x-ms-client-request-id': requestId, connection: _connection, ...rest } = req.headers;
  expect(requestId).toMatch(UUID);
  expect(rest).toEqual({
    host: server.url.replace('http://', ''),
    'user-agent': USER_AGENT,
    authorization: `Bearer ${TOKEN}`,
    'accept-encoding': 'gzip, deflate, br',
    ...expected,
  });
}

describe('Runs_StartRun', () => {
  async function sendAndCheck(projectZipFile: unknown, runDefinitionFile: unknown, definitionBytes: Buffer, options: { chunked?: boolean } = {}) {
    server.reply({ status: 200, body: { runId: 'my-exp_1700000000_0a1b2c3d' } });
    const result = await client().Runs_StartRun(startRunInput({ projectZipFile, runDefinitionFile } as never));
    expect(result).toEqual({ runId: 'my-exp_1700000000_0a1b2c3d' });
    expect(server.requests).toHaveLength(1);
    const [req] = server.requests;
    expect(req.method).toBe('POST');
    // No runId given: the client makes one as the SDK does, so that a retry cannot start a second run.
    expect(req.url).toMatch(new RegExp(`^${BASE_PATH}/startrun\\?runId=my-exp_\\d{10}_[0-9a-f]{8}$`));
    const boundary = boundaryOf(req.headers['content-type']);
    expect(boundary).toMatch(/^-{26}[0-9a-f]{24}$/);
    const expected = multipartBody(boundary, [
      multipartPart(boundary, 'runDefinitionFile', 'definition.json', 'application/json', definitionBytes),
      multipartPart(boundary, 'projectZipFile', 'project.zip', 'application/zip', ZIP_BYTES),
    ]);
    expect(req.body.equals(expected)).toBe(true);
    const length: Record<string, string> = options.chunked ? { 'transfer-encoding': 'chunked' } : { 'content-length': String(expected.length) };
    expectHeaders(req, { accept: 'application/json', 'content-type': `multipart/form-data; boundary=${boundary}`, ...length });
  }

  const definitionText = JSON.stringify(DEFINITION);

  it('sends a Buffer zip and a JSON string definition as two parts', async () => {
    await sendAndCheck(ZIP_BYTES, definitionText, Buffer.from(definitionText));
  });

  it('sends a DataFire file object with base64 content, decoded to the original bytes', async () => {
    await sendAndCheck({ content: ZIP_BYTES.toString('base64'), encoding: 'base64' }, { content: definitionText }, Buffer.from(definitionText));
  });

  it('sends a DataFire file object with hex and binary (latin1) content', async () => {
    await sendAndCheck({ content: ZIP_BYTES.toString('hex'), encoding: 'hex' }, definitionText, Buffer.from(definitionText));
    server.requests.length = 0;
    await sendAndCheck({ content: ZIP_BYTES.toString('latin1'), encoding: 'binary' }, definitionText, Buffer.from(definitionText));
  });

  it('sends a Uint8Array', async () => {
    const copy = new Uint8Array(ZIP_BYTES.length + 8).subarray(4, 4 + ZIP_BYTES.length);
    copy.set(ZIP_BYTES);
    await sendAndCheck(copy, definitionText, Buffer.from(definitionText));
  });

  it('streams a file given as {path}, with its length from stat', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'azureml-wire-'));
    try {
      fs.writeFileSync(path.join(dir, 'project.zip'), ZIP_BYTES);
      fs.writeFileSync(path.join(dir, 'definition.json'), definitionText);
      await sendAndCheck({ path: path.join(dir, 'project.zip') }, { path: path.join(dir, 'definition.json') }, Buffer.from(definitionText));
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('streams a Readable of unknown length chunked', async () => {
    const chunks = [ZIP_BYTES.subarray(0, 100), ZIP_BYTES.subarray(100, 300), ZIP_BYTES.subarray(300)];
    await sendAndCheck(Readable.from(chunks), definitionText, Buffer.from(definitionText), { chunked: true });
  });

  it('serializes a RunDefinition object as definition.json', async () => {
    await sendAndCheck(ZIP_BYTES, DEFINITION, Buffer.from(JSON.stringify(DEFINITION)));
  });

  it('uses the filename and content type a file object gives', async () => {
    server.reply({ body: { runId: 'r' } });
    await client().Runs_StartRun(
      startRunInput({
        runDefinitionFile: { content: definitionText, filename: 'run.json', contentType: 'text/json' },
        projectZipFile: { content: ZIP_BYTES.toString('base64'), encoding: 'base64', filename: 'code.zip', contentType: 'application/x-zip-compressed' },
      }),
    );
    const [req] = server.requests;
    const boundary = boundaryOf(req.headers['content-type']);
    expect(
      req.body.equals(
        multipartBody(boundary, [
          multipartPart(boundary, 'runDefinitionFile', 'run.json', 'text/json', Buffer.from(definitionText)),
          multipartPart(boundary, 'projectZipFile', 'code.zip', 'application/x-zip-compressed', ZIP_BYTES),
        ]),
      ),
    ).toBe(true);
  });

  it('puts runId in the query, URL-encoded path segments in the path', async () => {
    server.reply({ body: { runId: 'my-exp_1' } });
    await client().Runs_StartRun(startRunInput({ experimentName: 'exp with spaces&ü', runId: 'my-exp_1' }));
    expect(server.requests[0].url).toBe(
      `/execution/v1.0/subscriptions/${WORKSPACE.subscriptionId}/resourceGroups/my-rg/providers/Microsoft.MachineLearningServices/workspaces/my-ws/experiments/exp%20with%20spaces%26%C3%BC/startrun?runId=my-exp_1`,
    );
  });
});

describe('Runs_StartSnapshotRun', () => {
  it('posts the definition as JSON with runId in the query', async () => {
    server.reply({ body: { runId: 'snap_1' } });
    const definition = { snapshotId: '0b7c36f9-5e2b-4f1a-9d3e-1c2b3a4d5e6f', configuration: { script: 'train.py' } };
    const result = await client().Runs_StartSnapshotRun({ ...WORKSPACE, definition, runId: 'snap_1' });
    expect(result).toEqual({ runId: 'snap_1' });
    const [req] = server.requests;
    expect(req.method).toBe('POST');
    expect(req.url).toBe(`${BASE_PATH}/snapshotrun?runId=snap_1`);
    expect(req.body.toString('utf8')).toBe(JSON.stringify(definition));
    expectHeaders(req, { accept: 'application/json', 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(JSON.stringify(definition))) });
  });

  it('makes a run id as the Python SDK does when none is given: {experiment}_{unix seconds}_{8 hex}', async () => {
    server.reply({ body: { runId: 'answered' } });
    const before = Math.floor(Date.now() / 1000);
    expect(await client().Runs_StartSnapshotRun({ ...WORKSPACE, definition: {} })).toEqual({ runId: 'answered' });
    const [, seconds] = /^.*\/snapshotrun\?runId=my-exp_(\d{10})_[0-9a-f]{8}$/.exec(server.requests[0].url) ?? [];
    expect(Number(seconds)).toBeGreaterThanOrEqual(before);
    expect(Number(seconds)).toBeLessThanOrEqual(Math.ceil(Date.now() / 1000));
    expect(server.requests[0].body.toString()).toBe('{}');
  });

  it('makes run ids that fit the pattern from any experiment name', async () => {
    server.reply({ body: { runId: 'answered' } });
    await client().Runs_StartSnapshotRun({ ...WORKSPACE, experimentName: '.my exp.v2', definition: {} });
    expect(server.requests[0].url).toMatch(/\/snapshotrun\?runId=run_my_exp_v2_\d{10}_[0-9a-f]{8}$/);
  });
});

describe('Runs_StartLocalRun', () => {
  it('returns the answered file as a Buffer with all 256 byte values intact', async () => {
    server.reply({ status: 200, headers: { 'content-type': 'application/octet-stream' }, body: ALL_BYTES });
    const result = await client().Runs_StartLocalRun({ ...WORKSPACE, definition: DEFINITION });
    expect(Buffer.isBuffer(result)).toBe(true);
    expect(result.equals(ALL_BYTES)).toBe(true);
    const [req] = server.requests;
    expect(req.url).toMatch(new RegExp(`^${BASE_PATH}/startlocalrun\\?runId=my-exp_\\d{10}_[0-9a-f]{8}$`));
    expect(req.body.toString()).toBe(JSON.stringify(DEFINITION));
    expectHeaders(req, {
      accept: 'application/json, application/octet-stream',
      'content-type': 'application/json',
      'content-length': String(Buffer.byteLength(JSON.stringify(DEFINITION))),
    });
  });

  it('returns bytes intact when the answer is gzip-encoded', async () => {
    const zlib = await import('zlib');
    server.reply({ headers: { 'content-type': 'application/octet-stream', 'content-encoding': 'gzip' }, body: zlib.gzipSync(ALL_BYTES) });
    const result = await client().Runs_StartLocalRun({ ...WORKSPACE, definition: {} });
    expect(result.equals(ALL_BYTES)).toBe(true);
  });
});

describe('Runs_CancelRunWithUri', () => {
  it('posts an empty body to the run URL, with Content-Length 0 and no Content-Type', async () => {
    server.reply({ body: { runId: 'my-exp_1700000000_0a1b2c3d' } });
    const result = await client().Runs_CancelRunWithUri({ ...WORKSPACE, runId: 'my-exp_1700000000_0a1b2c3d' });
    expect(result).toEqual({ runId: 'my-exp_1700000000_0a1b2c3d' });
    const [req] = server.requests;
    expect(req.method).toBe('POST');
    expect(req.url).toBe(`${BASE_PATH}/runId/my-exp_1700000000_0a1b2c3d/cancel`);
    expect(req.body.length).toBe(0);
    expectHeaders(req, { accept: 'application/json', 'content-length': '0' });
  });

  it("fills the locator fields a call leaves out from the client's workspace defaults; the call's own win", async () => {
    server.reply({ body: { runId: 'r1' } });
    const withDefaults = create({ access_token: TOKEN, host: server.url }, { workspace: WORKSPACE });
    await withDefaults.Runs_CancelRunWithUri({ runId: 'r1' } as never);
    await withDefaults.Runs_CancelRunWithUri({ ...WORKSPACE, experimentName: 'other', runId: 'r2' });
    await withDefaults.cancelRun('r3');
    expect(server.requests.map((r) => r.url)).toEqual([
      `${BASE_PATH}/runId/r1/cancel`,
      `${BASE_PATH.replace('/experiments/my-exp', '/experiments/other')}/runId/r2/cancel`,
      `${BASE_PATH}/runId/r3/cancel`,
    ]);
    await expect(client().Runs_CancelRunWithUri({ runId: 'r1' } as never)).rejects.toThrow(
      'Action azure_machinelearningservices_execution/Runs_CancelRunWithUri was given invalid input: subscriptionId is required; resourceGroupName is required; workspaceName is required; experimentName is required',
    );
    expect(server.requests).toHaveLength(3);
  });

  it('follows a change of the account host between calls (the base URL is cached per host, not per account)', async () => {
    const other = await startRecordingServer();
    try {
      const account = { access_token: TOKEN, host: server.url };
      const c = create(account);
      await c.Runs_CancelRunWithUri({ ...WORKSPACE, runId: 'r1' });
      account.host = other.url;
      await c.Runs_CancelRunWithUri({ ...WORKSPACE, runId: 'r2' });
      expect([server.requests.length, other.requests.map((r) => r.url)]).toEqual([1, [`${BASE_PATH}/runId/r2/cancel`]]);
    } finally {
      await other.close();
    }
  });

  it('keeps one x-ms-client-request-id per call, a new one for each call', async () => {
    server.reply({ body: { runId: 'r1' } });
    await client().Runs_CancelRunWithUri({ ...WORKSPACE, runId: 'r1' });
    await client().Runs_CancelRunWithUri({ ...WORKSPACE, runId: 'r1' });
    expect(server.requests[0].headers['x-ms-client-request-id']).not.toBe(server.requests[1].headers['x-ms-client-request-id']);
  });
});

describe('base URL', () => {
  it('keeps a path prefix of the host (a gateway in front of the service)', async () => {
    server.reply({ body: { runId: 'r1' } });
    await create({ access_token: TOKEN, host: `${server.url}/gateway/` }).Runs_CancelRunWithUri({ ...WORKSPACE, runId: 'r1' });
    expect(server.requests[0].url).toBe(`/gateway${BASE_PATH}/runId/r1/cancel`);
  });
});
