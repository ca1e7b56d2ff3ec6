/**
 * Run definitions as people and the Azure ML SDK write them (test/fixtures/definitions: nulls,
 * PascalCase, fields the 2019 swagger does not list) pass validation and reach the service
 * unchanged; unknown fields are reported only when the caller asks.
 */
import * as fs from 'fs';
import * as path from 'path';
import { AzureMLValidationError, create, startEmulator, type Emulator } from '../src';
import { prepareRunDefinition } from '../src/workflow/definition';
import { BASE_PATH, TOKEN, WORKSPACE, ZIP_BYTES, boundaryOf, multipartBody, multipartPart } from './helpers/fixtures';
import { startRecordingServer, type RecordingServer } from './helpers/recording-server';

const FIXTURES = path.join(__dirname, 'fixtures', 'definitions');
const NAMES = ['mlops-custom-image.json', 'mlops-tf-mnist.json', 'sdk-automl-2024.json'];
const bytesOf = (name: string) => fs.readFileSync(path.join(FIXTURES, name));
const objectOf = (name: string) => JSON.parse(bytesOf(name).toString('utf8')) as Record<string, unknown>;

let server: RecordingServer;
beforeEach(async () => {
  server = await startRecordingServer();
  server.reply({ status: 200, body: { runId: 'r1' } });
});
afterEach(() => server.close());

const client = (options: Parameters<typeof create>[1] = {}) => create({ access_token: TOKEN, host: server.url }, { retry: { maxRetries: 0 }, ...options });

describe.each(NAMES)('%s', (name) => {
  it('goes to Runs_StartRun byte for byte when given as its file bytes', async () => {
    await client().Runs_StartRun({ ...WORKSPACE, runId: 'r1', runDefinitionFile: bytesOf(name), projectZipFile: ZIP_BYTES });
    const [req] = server.requests;
    const boundary = boundaryOf(req.headers['content-type']);
    const expected = multipartBody(boundary, [
      multipartPart(boundary, 'runDefinitionFile', 'definition.json', 'application/json', bytesOf(name)),
      multipartPart(boundary, 'projectZipFile', 'project.zip', 'application/zip', ZIP_BYTES),
    ]);
    expect(req.body.equals(expected)).toBe(true);
  });

  it('goes to Runs_StartRun as the same JSON (nulls and unknown fields kept) when given as an object', async () => {
    await client().Runs_StartRun({ ...WORKSPACE, runId: 'r1', runDefinitionFile: objectOf(name) as never, projectZipFile: ZIP_BYTES });
    const [req] = server.requests;
    const boundary = boundaryOf(req.headers['content-type']);
    const expected = multipartBody(boundary, [
      multipartPart(boundary, 'runDefinitionFile', 'definition.json', 'application/json', Buffer.from(JSON.stringify(objectOf(name)))),
      multipartPart(boundary, 'projectZipFile', 'project.zip', 'application/zip', ZIP_BYTES),
    ]);
    expect(req.body.toString('latin1')).toBe(expected.toString('latin1'));
  });

  it('goes to Runs_StartSnapshotRun unchanged', async () => {
    const definition = { ...objectOf(name), snapshotId: '0b3f1f5e-52b2-4f38-8a4c-7a3d2d1e9f00' };
    await client().Runs_StartSnapshotRun({ ...WORKSPACE, runId: 'r1', definition: definition as never });
    const [req] = server.requests;
    expect([req.method, req.url]).toEqual(['POST', `${BASE_PATH}/snapshotrun?runId=r1`]);
    expect(JSON.parse(req.body.toString('utf8'))).toEqual(definition);
  });

  it('is prepared by the workflow in camelCase with its values, nulls and unknown fields as given', () => {
    const prepared = prepareRunDefinition({ definition: objectOf(name) }, 'x/submitRun') as unknown as { configuration: Record<string, unknown> };
    const given = objectOf(name);
    const configuration = (given.configuration ?? given.Configuration) as Record<string, unknown>;
    // The same fields, spelled as the service stores them: the given camelCase kept, PascalCase mapped.
    expect(Object.keys(prepared.configuration)).toEqual(expect.arrayContaining(Object.keys(configuration).map((key) => key[0].toLowerCase() + key.slice(1))));
    expect(Object.keys(prepared.configuration).length).toBe(
      new Set([...Object.keys(configuration).map((key) => key[0].toLowerCase() + key.slice(1)), 'framework', 'communicator', 'target']).size,
    );
    expect(prepared.configuration.script).toBe(configuration.script ?? configuration.Script);
  });
});

describe('the SDK fixture, field by field', () => {
  it('keeps what the swagger does not list and the nulls the SDK writes', () => {
    const prepared = prepareRunDefinition({ definition: objectOf('sdk-automl-2024.json') }, 'x/submitRun') as unknown as { configuration: Record<string, any> };
    expect(prepared.configuration.identity).toBeNull();
    expect(prepared.configuration.maxRunDurationSeconds).toBeNull();
    expect(prepared.configuration.docker).toEqual({ useDocker: true, sharedVolumes: true, shmSize: '2g', arguments: [] });
    expect(prepared.configuration.history).toEqual({ outputCollection: true, directoriesToWatch: ['logs'], enableMLflowTracking: true });
    expect(prepared.configuration.environment.assetId).toBe('azureml://registries/azureml/environments/AzureML-AutoML/versions/156');
  });

  it('still checks what the swagger defines, under the nulls', async () => {
    const definition = objectOf('sdk-automl-2024.json');
    (definition.configuration as Record<string, unknown>).framework = 'python';
    (definition.configuration as Record<string, unknown>).nodeCount = null;
    await expect(client().Runs_StartRun({ ...WORKSPACE, runId: 'r1', runDefinitionFile: definition as never, projectZipFile: ZIP_BYTES })).rejects.toThrow(
      'Action azure_machinelearningservices_execution/Runs_StartRun was given invalid input: runDefinitionFile.configuration.framework must be one of Python, PySpark, Cntk, TensorFlow, PyTorch (got "python")',
    );
    expect(server.requests).toHaveLength(0);
  });
});

describe('unknownFields', () => {
  const typo = { configuration: { Scirpt: 'hello.py', script: 'hello.py', environment: { Pyhton: {} } } };

  it('says nothing by default (no process warning either)', async () => {
    const emitted = jest.spyOn(process, 'emitWarning').mockImplementation(() => undefined);
    try {
      await client().Runs_StartRun({ ...WORKSPACE, runId: 'r1', runDefinitionFile: typo as never, projectZipFile: ZIP_BYTES });
      expect(emitted).not.toHaveBeenCalled();
      expect(server.requests).toHaveLength(1);
    } finally {
      emitted.mockRestore();
    }
  });

  it("'warn' tells onWarning each field with its likely name, and sends the definition", async () => {
    const warnings: string[] = [];
    await client({ unknownFields: 'warn', onWarning: (message) => warnings.push(message) }).Runs_StartRun({
      ...WORKSPACE,
      runId: 'r1',
      runDefinitionFile: typo as never,
      projectZipFile: ZIP_BYTES,
    });
    expect(warnings).toEqual([
      'azure_machinelearningservices_execution/Runs_StartRun: sent as given, not in the swagger: runDefinitionFile.configuration.Scirpt (did you mean script?), runDefinitionFile.configuration.environment.Pyhton (did you mean python?)',
    ]);
    expect(server.requests).toHaveLength(1);
  });

  it("'warn' without onWarning emits a process warning with a code", async () => {
    const emitted = jest.spyOn(process, 'emitWarning').mockImplementation(() => undefined);
    try {
      await client().Runs_StartSnapshotRun({ ...WORKSPACE, runId: 'r1', definition: { configuration: { script: 'a.py', Tagz: 1 } } as never }, { unknownFields: 'warn' });
      expect(emitted.mock.calls).toEqual([
        ['azure_machinelearningservices_execution/Runs_StartSnapshotRun: sent as given, not in the swagger: definition.configuration.Tagz', { code: 'AZUREML_UNKNOWN_FIELD' }],
      ]);
    } finally {
      emitted.mockRestore();
    }
  });

  it("'error' refuses the call before anything is sent, naming each field", async () => {
    const call = client({ unknownFields: 'error' }).Runs_StartRun({ ...WORKSPACE, runId: 'r1', runDefinitionFile: typo as never, projectZipFile: ZIP_BYTES });
    await expect(call).rejects.toThrow(AzureMLValidationError);
    await expect(call).rejects.toThrow(
      'Action azure_machinelearningservices_execution/Runs_StartRun was given invalid input: runDefinitionFile.configuration.Scirpt is not a known field (did you mean script?); runDefinitionFile.configuration.environment.Pyhton is not a known field (did you mean python?)',
    );
    expect(server.requests).toHaveLength(0);
  });
});

describe('the emulator', () => {
  let emulator: Emulator;
  beforeAll(async () => {
    emulator = await startEmulator();
  });
  afterAll(() => emulator.close());

  it('runs an SDK definition (nulls, unknown fields) submitted by the workflow, warning once with the setting', async () => {
    const project = fs.mkdtempSync(path.join(require('os').tmpdir(), 'azureml-conformance-'));
    try {
      fs.writeFileSync(path.join(project, 'automl_driver.py'), 'print("driver ran")\n');
      const warnings: string[] = [];
      const definition = objectOf('sdk-automl-2024.json');
      (definition.configuration as Record<string, unknown>).target = 'local';
      ((definition.configuration as Record<string, any>).environment as Record<string, unknown>).Pyhton = {};
      const emulated = create(
        { access_token: 't', host: emulator.url },
        { workspace: { ...WORKSPACE, experimentName: 'conformance' }, unknownFields: 'warn', onWarning: (m) => warnings.push(m) },
      );
      const submitted = await emulated.submitRun({ project, definition });
      const final = await emulated.waitForRun(submitted.runId, { initialIntervalMs: 30, maxIntervalMs: 100 });
      expect(final.status).toBe('Completed');
      expect(warnings).toHaveLength(1);
      // Every field of the SDK's file is one the service is known to read, but the one this test adds.
      expect(warnings).toEqual(['azureml-execution/submitRun: sent as given, not in the swagger: definition.configuration.environment.Pyhton (did you mean python?)']);
      expect((await emulated.getRunLog(submitted.runId)).log).toContain('driver ran');
    } finally {
      fs.rmSync(project, { recursive: true, force: true });
    }
  });
});

describe('a file answer under datafire run', () => {
  const { outputFileOf, commandFileResult } = require('../src/datafire/command-output') as typeof import('../src/datafire/command-output');

  it('reads --outputFile in each form yargs takes', () => {
    expect(outputFileOf(['node', 'datafire', 'run', 'x', '--outputFile', 'a.zip'])).toBe('a.zip');
    expect(outputFileOf(['run', '--outputFile=b.zip'])).toBe('b.zip');
    expect(outputFileOf(['run', '-o', 'c.zip'])).toBe('c.zip');
    expect(outputFileOf(['run', '--input.x=1'])).toBeUndefined();
  });

  it('leaves a .json or .yml output file to DataFire (a summary), and saves nothing', () => {
    const exitListeners = process.listenerCount('exit');
    for (const name of ['out.json', 'out.YAML', 'out.yml']) {
      expect(commandFileResult(Buffer.from('not a zip'), 'application/octet-stream', ['run', '--outputFile', name], '/tmp')).toEqual({
        contentType: 'application/octet-stream',
        bytes: 9,
        hint: 'add --outputFile <name>.zip to save the file',
      });
    }
    expect(process.listenerCount('exit')).toBe(exitListeners);
  });
});
