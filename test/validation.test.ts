/**
 * Bad input: one test per kind. Each asserts the exact message, the problems named, and that the
 * loopback server (which would record any request) got nothing.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { AzureMLValidationError, create } from '../src';
import { TOKEN, WORKSPACE, ZIP_BYTES } from './helpers/fixtures';
import { startRecordingServer, type RecordingServer } from './helpers/recording-server';

let server: RecordingServer;
beforeAll(async () => {
  server = await startRecordingServer();
});
afterAll(() => server.close());

const CANCEL = 'Action azure_machinelearningservices_execution/Runs_CancelRunWithUri was given invalid input: ';
const SNAPSHOT = 'Action azure_machinelearningservices_execution/Runs_StartSnapshotRun was given invalid input: ';
const START = 'Action azure_machinelearningservices_execution/Runs_StartRun was given invalid input: ';
const ZIP = { projectZipFile: ZIP_BYTES };

async function expectRejected(call: (c: ReturnType<typeof create>) => Promise<unknown>, message: string): Promise<AzureMLValidationError> {
  const before = server.requests.length;
  const error = await call(create({ access_token: TOKEN, host: server.url })).then(
    () => {
      throw new Error('the call was expected to fail');
    },
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(AzureMLValidationError);
  expect((error as Error).message).toBe(message);
  expect((error as AzureMLValidationError).statusCode).toBe(400);
  expect(server.requests.length).toBe(before);
  return error as AzureMLValidationError;
}

const anyInput = (value: unknown) => value as never;

describe('schema checks', () => {
  it('names every missing required field', async () => {
    const error = await expectRejected(
      (c) => c.Runs_CancelRunWithUri(anyInput({ subscriptionId: WORKSPACE.subscriptionId })),
      `${CANCEL}resourceGroupName is required; workspaceName is required; experimentName is required; runId is required`,
    );
    expect(error.problems).toEqual([
      { path: 'resourceGroupName', message: 'is required' },
      { path: 'workspaceName', message: 'is required' },
      { path: 'experimentName', message: 'is required' },
      { path: 'runId', message: 'is required' },
    ]);
  });

  it('requires subscriptionId to be a UUID', async () => {
    await expectRejected(
      (c) => c.Runs_CancelRunWithUri({ ...WORKSPACE, subscriptionId: 'not-a-uuid', runId: 'r' }),
      `${CANCEL}subscriptionId must be a UUID (e.g. 00000000-0000-0000-0000-000000000000) (got "not-a-uuid")`,
    );
  });

  it("requires runId to match the swagger's pattern, in the path and in the query", async () => {
    await expectRejected((c) => c.Runs_CancelRunWithUri({ ...WORKSPACE, runId: '-bad id' }), `${CANCEL}runId must match the pattern ^[a-zA-Z0-9][\\w-]{0,255}$ (got "-bad id")`);
    await expectRejected(
      (c) => c.Runs_StartSnapshotRun({ ...WORKSPACE, definition: {}, runId: `r${'x'.repeat(256)}` }),
      `${SNAPSHOT}runId must match the pattern ^[a-zA-Z0-9][\\w-]{0,255}$ (got "r${'x'.repeat(78)}...)`,
    );
  });

  it('refuses unknown top-level fields and names the one meant, else lists the known ones', async () => {
    await expectRejected((c) => c.Runs_CancelRunWithUri(anyInput({ ...WORKSPACE, runId: 'r', runID: 'x' })), `${CANCEL}runID is not a known field (did you mean runId?)`);
    await expectRejected(
      (c) => c.Runs_CancelRunWithUri(anyInput({ ...WORKSPACE, runId: 'r', zzz: 'x' })),
      `${CANCEL}zzz is not a known field (known fields: subscriptionId, resourceGroupName, workspaceName, experimentName, runId)`,
    );
  });

  it('enforces enums at any depth: framework, communicator, data reference mode, yarnDeployMode', async () => {
    await expectRejected(
      (c) =>
        c.Runs_StartSnapshotRun(
          anyInput({
            ...WORKSPACE,
            definition: { configuration: { framework: 'python', communicator: 'OpenMpi', hdi: { yarnDeployMode: 'cluster' }, dataReferences: { d1: { mode: 'mount' } } } },
          }),
        ),
      `${SNAPSHOT}definition.configuration.framework must be one of Python, PySpark, Cntk, TensorFlow, PyTorch (got "python"); ` +
        'definition.configuration.communicator must be one of None, ParameterServer, Gloo, Mpi, Nccl (got "OpenMpi"); ' +
        'definition.configuration.dataReferences.d1.mode must be one of Mount, Download, Upload (got "mount"); ' +
        'definition.configuration.hdi.yarnDeployMode must be one of None, Client, Cluster (got "cluster")',
    );
  });

  it('checks types inside the definition', async () => {
    await expectRejected(
      (c) => c.Runs_StartSnapshotRun(anyInput({ ...WORKSPACE, definition: { configuration: { arguments: '234', nodeCount: '1' } } })),
      `${SNAPSHOT}definition.configuration.arguments must be an array (got string); definition.configuration.nodeCount must be an integer (got string)`,
    );
  });

  it('never quotes a password back', async () => {
    const error = await expectRejected(
      (c) =>
        c.Runs_StartSnapshotRun(
          anyInput({ ...WORKSPACE, definition: { configuration: { environment: { docker: { baseImageRegistry: { password: ['hunter2-registry-secret'] } } } } } }),
        ),
      `${SNAPSHOT}definition.configuration.environment.docker.baseImageRegistry.password must be a string (got array)`,
    );
    expect(JSON.stringify(error)).not.toContain('hunter2');
  });

  it('needs an object as input', async () => {
    await expectRejected((c) => c.Runs_CancelRunWithUri(anyInput('run')), `${CANCEL}input must be an object (got a string)`);
    await expectRejected(
      (c) => c.Runs_CancelRunWithUri(anyInput(null)),
      `${CANCEL}input must be an object with subscriptionId, resourceGroupName, workspaceName, experimentName, runId`,
    );
  });
});

describe('path segments', () => {
  it('refuses / and \\ in a path parameter', async () => {
    await expectRejected(
      (c) => c.Runs_CancelRunWithUri({ ...WORKSPACE, experimentName: 'a/b', runId: 'r' }),
      `${CANCEL}experimentName must not contain / or \\ (it is one segment of the URL path)`,
    );
  });

  it('refuses . and ..', async () => {
    await expectRejected((c) => c.Runs_CancelRunWithUri({ ...WORKSPACE, workspaceName: '..', runId: 'r' }), `${CANCEL}workspaceName must not be ".."`);
  });

  it('refuses an empty segment', async () => {
    await expectRejected((c) => c.Runs_CancelRunWithUri({ ...WORKSPACE, resourceGroupName: '', runId: 'r' }), `${CANCEL}resourceGroupName must not be empty`);
  });
});

describe('file parts', () => {
  const definition = '{}';

  it('refuses a value that is no file form', async () => {
    await expectRejected(
      (c) => c.Runs_StartRun(anyInput({ ...WORKSPACE, runDefinitionFile: definition, projectZipFile: 42 })),
      `${START}projectZipFile must be a string, a Buffer or Uint8Array, a Readable stream, a file object {content, encoding, contentType, filename}, or {path} (got a number)`,
    );
    await expectRejected(
      (c) => c.Runs_StartRun(anyInput({ ...WORKSPACE, ...ZIP, runDefinitionFile: [1] })),
      `${START}runDefinitionFile must be a string, a Buffer or Uint8Array, a Readable stream, a file object {content, encoding, contentType, filename}, or {path}, or a RunDefinition object (got an array)`,
    );
  });

  it('refuses content that is not what its encoding says', async () => {
    await expectRejected(
      (c) => c.Runs_StartRun({ ...WORKSPACE, runDefinitionFile: definition, projectZipFile: { content: 'UEsDBA%%', encoding: 'base64' } }),
      `${START}projectZipFile.content is not valid base64`,
    );
    await expectRejected(
      (c) => c.Runs_StartRun({ ...WORKSPACE, runDefinitionFile: definition, projectZipFile: { content: '504b030', encoding: 'hex' } }),
      `${START}projectZipFile.content is not valid hex (an even number of 0-9, a-f characters)`,
    );
  });

  it('refuses an unknown encoding and unknown file object fields', async () => {
    await expectRejected(
      (c) => c.Runs_StartRun(anyInput({ ...WORKSPACE, runDefinitionFile: definition, projectZipFile: { content: 'abc', encoding: 'latin2' } })),
      `${START}projectZipFile.encoding must be one of ascii, utf8, utf16le, base64, binary, hex`,
    );
    await expectRejected(
      (c) => c.Runs_StartRun(anyInput({ ...WORKSPACE, runDefinitionFile: definition, projectZipFile: { content: 'UEsDBA==', encodng: 'base64' } })),
      `${START}projectZipFile.encodng is not a field of a file object (content, encoding, contentType, filename, or path)`,
    );
  });

  it('refuses content and path together', async () => {
    await expectRejected(
      (c) => c.Runs_StartRun(anyInput({ ...WORKSPACE, runDefinitionFile: definition, projectZipFile: { content: 'abc', path: '/tmp/x.zip' } })),
      `${START}projectZipFile must have either content or path, not both`,
    );
  });

  it('refuses a path that does not exist, or is a folder', async () => {
    const missing = path.join(os.tmpdir(), 'azureml-no-such-dir', 'project.zip');
    await expectRejected(
      (c) => c.Runs_StartRun({ ...WORKSPACE, runDefinitionFile: definition, projectZipFile: { path: missing } }),
      `${START}projectZipFile.path names a file that does not exist: ${missing}`,
    );
    await expectRejected(
      (c) => c.Runs_StartRun({ ...WORKSPACE, runDefinitionFile: definition, projectZipFile: { path: os.tmpdir() } }),
      `${START}projectZipFile.path is not a regular file: ${os.tmpdir()}`,
    );
  });

  it('refuses a project that is not a zip, in memory or on disk', async () => {
    await expectRejected(
      (c) => c.Runs_StartRun({ ...WORKSPACE, runDefinitionFile: definition, projectZipFile: Buffer.from('print("Hello!")') }),
      `${START}projectZipFile is not a zip archive (it does not start with the zip signature PK\\x03\\x04)`,
    );
    const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'azureml-val-')), 'project.zip');
    fs.writeFileSync(file, 'not a zip');
    try {
      await expectRejected(
        (c) => c.Runs_StartRun({ ...WORKSPACE, runDefinitionFile: definition, projectZipFile: { path: file } }),
        `${START}projectZipFile.path is not a zip archive (it does not start with the zip signature PK\\x03\\x04): ${file}`,
      );
    } finally {
      fs.rmSync(path.dirname(file), { recursive: true, force: true });
    }
  });

  it('refuses a definition that is not JSON, not an object, or not a RunDefinition', async () => {
    await expectRejected(
      (c) => c.Runs_StartRun({ ...WORKSPACE, ...ZIP, runDefinitionFile: '{"configuration":' }),
      `${START}runDefinitionFile is not JSON: Unexpected end of JSON input`,
    );
    await expectRejected(
      (c) => c.Runs_StartRun({ ...WORKSPACE, ...ZIP, runDefinitionFile: { content: '[1]' } }),
      `${START}runDefinitionFile must hold a JSON object (a RunDefinition), not an array`,
    );
    await expectRejected(
      (c) => c.Runs_StartRun(anyInput({ ...WORKSPACE, ...ZIP, runDefinitionFile: { configuration: { framework: 'Java' } } })),
      `${START}runDefinitionFile.configuration.framework must be one of Python, PySpark, Cntk, TensorFlow, PyTorch (got "Java")`,
    );
    await expectRejected(
      (c) => c.Runs_StartRun({ ...WORKSPACE, ...ZIP, runDefinitionFile: Buffer.from('{"configuration": {"nodeCount": 1.5}}') }),
      `${START}runDefinitionFile.configuration.nodeCount must be an integer (got number)`,
    );
  });

  it('reports problems of several fields at once', async () => {
    const error = await expectRejected(
      (c) => c.Runs_StartRun(anyInput({ ...WORKSPACE, subscriptionId: 'x', runDefinitionFile: 'nope', projectZipFile: Buffer.from('nope') })),
      `${START}subscriptionId must be a UUID (e.g. 00000000-0000-0000-0000-000000000000) (got "x"); ` +
        'runDefinitionFile is not JSON: Unexpected token \'o\', "nope" is not valid JSON; ' +
        'projectZipFile is not a zip archive (it does not start with the zip signature PK\\x03\\x04)',
    );
    expect(error.problems.map((p) => p.path)).toEqual(['subscriptionId', 'runDefinitionFile', 'projectZipFile']);
  });
});

describe('schema compilation', () => {
  it('compiles a definition schema once, however many runs are submitted (it compiled on every call before)', async () => {
    const { validateInput } = await import('../src/http/validate-input');
    const { executionSpec } = await import('../src/spec/execution/spec');
    const { compiledSchemaCount } = await import('../src/spec/validate');
    const op = executionSpec.operations.find((o) => o.operationId === 'Runs_StartSnapshotRun')!;
    const input = () => ({ ...WORKSPACE, runId: 'r1', definition: { configuration: { script: 'train.py', maxRunDurationSeconds: null } } });
    await validateInput(executionSpec, op, input(), 'test');
    const after = compiledSchemaCount();
    for (let i = 0; i < 20; i++) await validateInput(executionSpec, op, input(), 'test');
    expect(compiledSchemaCount()).toBe(after);
  });
});
