/**
 * The workflow of seed 003 in one call, and what AZTK users expect around it (seed 004): submit a
 * folder, wait, follow and tail the log, list, cancel. End to end against the emulator, which
 * runs the scripts for real, through the public client.
 */
import * as fs from 'fs';
import * as http from 'http';
import * as path from 'path';
import {
  AzureMLProjectError,
  AzureMLRunFailedError,
  AzureMLServiceError,
  AzureMLValidationError,
  create,
  startEmulator,
  submitRun,
  waitForRun,
  type AzureMLClient,
  type Emulator,
  type UploadProgress,
} from '../src';
import { prepareRunDefinition } from '../src/workflow/definition';
import { completeUtf8Length } from '../src/workflow/run-log';
import { WORKFLOW_FIELDS } from '../src/workflow/locator';
import { projectFolders } from './helpers/project-folders';

const WORKSPACE = { subscriptionId: '6a8bd9bb-1df3-4bca-9b24-27a7f3e5b9e7', resourceGroupName: 'rg', workspaceName: 'ws' };
const FAST = { initialIntervalMs: 30, maxIntervalMs: 150 };
const SUBMIT = 'Action azureml-execution/submitRun was given invalid input: ';

let emulator: Emulator;
let client: AzureMLClient;
const folders = projectFolders('azureml-workflow-');
const project = folders.make;

beforeAll(async () => {
  emulator = await startEmulator({ maxConcurrentRuns: 4, killGraceMs: 300, pageSize: 2 });
  client = create({ access_token: 'workflow-token', host: emulator.url }, { workspace: { ...WORKSPACE, experimentName: 'workflow' } });
});
afterAll(async () => {
  await emulator.close();
  folders.cleanup();
});

describe('run definitions, as people write them', () => {
  const action = 'azureml-execution/submitRun';

  it("takes seed 003's PascalCase definition.json and gives the swagger's camelCase, free-form values untouched", () => {
    const seed = {
      Configuration: {
        Script: 'hello.py',
        Arguments: ['234'],
        SourceDirectoryDataStore: null,
        Framework: 'Python',
        Communicator: 'None',
        Target: 'cpu-cluster',
        MaxRunDurationSeconds: 1200,
        NodeCount: 1,
        Environment: {
          Python: {
            InterpreterPath: 'python',
            UserManagedDependencies: false,
            CondaDependencies: { name: 'project_environment', dependencies: ['python=3.6.2', { pip: ['azureml-defaults'] }] },
          },
          Docker: { BaseImage: 'mcr.microsoft.com/azureml/base:intelmpi2018.3-ubuntu16.04' },
          EnvironmentVariables: { MY_Var: '1' },
        },
        History: { OutputCollection: true },
      },
    };
    expect(prepareRunDefinition({ definition: JSON.stringify(seed) }, action)).toEqual({
      configuration: {
        script: 'hello.py',
        arguments: ['234'],
        sourceDirectoryDataStore: null,
        framework: 'Python',
        communicator: 'None',
        target: 'cpu-cluster',
        maxRunDurationSeconds: 1200,
        nodeCount: 1,
        environment: {
          python: {
            interpreterPath: 'python',
            userManagedDependencies: false,
            condaDependencies: { name: 'project_environment', dependencies: ['python=3.6.2', { pip: ['azureml-defaults'] }] },
          },
          docker: { baseImage: 'mcr.microsoft.com/azureml/base:intelmpi2018.3-ubuntu16.04' },
          environmentVariables: { MY_Var: '1' },
        },
        history: { outputCollection: true },
      },
    });
  });

  it('lays script, arguments, target and environment variables over the definition, with defaults for the rest', () => {
    const definition = { configuration: { script: 'old.py', environment: { environmentVariables: { A: '1', B: '2' } } } };
    expect(prepareRunDefinition({ definition, script: 'train.py', arguments: ['--epochs', '3'], target: 'gpu', environmentVariables: { B: 'two' } }, action)).toEqual({
      configuration: {
        framework: 'Python',
        communicator: 'None',
        target: 'gpu',
        script: 'train.py',
        arguments: ['--epochs', '3'],
        environment: { environmentVariables: { A: '1', B: 'two' } },
      },
    });
    expect(prepareRunDefinition({ script: 'a.py' }, action)).toEqual({ configuration: { framework: 'Python', communicator: 'None', target: 'local', script: 'a.py' } });
  });

  it("with unknownFields 'error', names an unknown key at any depth, with the name it was probably meant to be", () => {
    const given = { definition: { Configuration: { Scirpt: 'hello.py', Environment: { Pyhton: {}, Frobnicate: 1 } } } };
    const typo = () => prepareRunDefinition(given, action, 'definition', { unknownFields: 'error' });
    expect(typo).toThrow(AzureMLValidationError);
    expect(typo).toThrow(
      `${SUBMIT}definition.configuration.Scirpt is not a known field (did you mean script?); ` +
        'definition.configuration.environment.Pyhton is not a known field (did you mean python?); ' +
        'definition.configuration.environment.Frobnicate is not a known field (known fields here: name, version, python, environmentVariables, docker, spark, inferencingStackVersion, assetId, autoRebuild); ' +
        'definition.configuration.script is required: the file of the project to run',
    );
    // By default they are sent as given: only the missing script is an error.
    expect(() => prepareRunDefinition(given, action)).toThrow(`${SUBMIT}definition.configuration.script is required: the file of the project to run`);
  });

  it('checks the schema (enums at any depth) and JSON text', () => {
    expect(() => prepareRunDefinition({ script: 'a.py', definition: { configuration: { framework: 'python', mpi: { processCountPerNode: 'x' } } } }, action)).toThrow(
      `${SUBMIT}definition.configuration.framework must be one of Python, PySpark, Cntk, TensorFlow, PyTorch (got "python"); definition.configuration.mpi.processCountPerNode must be an integer (got string)`,
    );
    expect(() => prepareRunDefinition({ definition: '{"Configuration": ' }, action)).toThrow(
      /^Action azureml-execution\/submitRun was given invalid input: definition is not JSON: /,
    );
    expect(() => prepareRunDefinition({ definition: '[1]' }, action)).toThrow(`${SUBMIT}definition must be a RunDefinition object (or its JSON text)`);
    expect(() => prepareRunDefinition({}, action)).toThrow(`${SUBMIT}script is required: the file of the project to run`);
  });
});

describe('submitRun', () => {
  it('creates the experiment, zips the folder honouring .amlignore, streams it to Runs_StartRun, and the run sees exactly those files', async () => {
    const dir = project({
      '.amlignore': 'data/\n*.log\n!keep.log\n',
      '.gitignore': 'src/\n', // not read: .amlignore comes first
      'train.py': 'import os\nfor root, dirs, files in sorted(os.walk(".")):\n    for f in sorted(files):\n        print(os.path.relpath(os.path.join(root, f)))',
      'src/model.py': 'x = 1',
      'data/big.csv': 'a,b\n',
      'debug.log': 'noise',
      'keep.log': 'kept',
    });
    const experiment = { ...WORKSPACE, experimentName: 'fresh_experiment' };
    const missing = (await client.Experiments_Get(experiment).catch((e: unknown) => e)) as AzureMLServiceError;
    expect(missing.statusCode).toBe(404);

    const progress: UploadProgress[] = [];
    const zipped: Array<{ files: string[]; bytes: number }> = [];
    const run = await client.submitRun({ ...experiment, project: dir, script: 'train.py' }, { onZipped: (z) => zipped.push(z), onUploadProgress: (p) => progress.push(p) });

    expect(run.runId).toMatch(/^fresh_experiment_\d{10}_[0-9a-f]{8}$/);
    expect(Math.abs(Number(run.runId.split('_')[2]) - Date.now() / 1000)).toBeLessThan(30);
    expect(run).toEqual({
      ...experiment,
      [WORKFLOW_FIELDS]: ['definition', 'project'],
      runId: run.runId,
      definition: { configuration: { framework: 'Python', communicator: 'None', target: 'local', script: 'train.py' } },
      project: { files: ['.amlignore', '.gitignore', 'keep.log', 'src/model.py', 'train.py'], bytes: zipped[0].bytes },
    });
    expect(zipped).toEqual([{ files: run.project.files, bytes: run.project.bytes }]);
    expect((await client.Experiments_Get(experiment)).name).toBe('fresh_experiment');

    // The upload's progress ends at its Content-Length: the zip plus the multipart framing.
    const last = progress[progress.length - 1];
    expect(last.sentBytes).toBe(last.totalBytes);
    expect(last.totalBytes).toBeGreaterThan(run.project.bytes!);
    expect(progress.every((p) => p.attempt === 1)).toBe(true);

    let log = '';
    const final = await client.waitForRun({ ...experiment, runId: run.runId }, { ...FAST, onLog: (text) => (log += text) });
    expect(final.status).toBe('Completed');
    // What the run's folder holds: the zip's files (the driver log, written there too, aside).
    expect(log.split('\n').filter((l) => !l.startsWith('azureml-logs/'))).toEqual(['.amlignore', '.gitignore', 'keep.log', 'train.py', 'src/model.py', '']);
  });

  it("runs seed 003's PascalCase definition.json as it is, with its arguments", async () => {
    const dir = project({ 'hello.py': 'import sys\nprint("Hello!", sys.argv[1:])' });
    const definition = fs.readFileSync(path.join(__dirname, 'fixtures', 'seed-003-definition.json'), 'utf8');
    const run = await client.submitRun({ project: dir, definition, target: 'local' });
    expect(run.definition.configuration?.arguments).toEqual(['234']);
    let log = '';
    await client.waitForRun(run.runId, { ...FAST, onLog: (text) => (log += text) });
    expect(log).toBe("Hello! ['234']\n");
  });

  it('takes a zip as bytes, or by path, as well as a folder', async () => {
    const dir = project({ 'z.py': 'print("from a zip")' });
    const zipPath = path.join(dir, 'project.zip');
    const { zipProject } = await import('../src/project/zip-project');
    const zipped = await zipProject(dir);
    fs.copyFileSync(zipped.path, zipPath);
    zipped.remove();
    const byPath = await client.submitRun({ project: zipPath, script: 'z.py' });
    expect(byPath.project).toEqual({ bytes: fs.statSync(zipPath).size });
    const byBytes = await client.submitRun({ project: fs.readFileSync(zipPath), script: 'z.py' });
    for (const run of [byPath, byBytes]) expect((await client.waitForRun(run.runId, FAST)).status).toBe('Completed');
  });

  it('refuses before sending anything: a missing script, a script left out by .amlignore, a folder over the limits, a bad runId', async () => {
    const runsBefore = emulator.runCount();
    const experiment = { ...WORKSPACE, experimentName: 'never_created' };
    const dir = project({ 'a.py': '', 'b.py': '', 'secret.py': '', '.amlignore': 'secret.py\n' });
    const err = async (input: Parameters<AzureMLClient['submitRun']>[0]) => (await client.submitRun({ ...experiment, ...input }).catch((e: unknown) => e)) as Error;

    const missing = await err({ project: dir, script: 'train.py' });
    expect(missing).toBeInstanceOf(AzureMLProjectError);
    expect(missing.message).toBe(`The script train.py is not in the project ${dir} (it has 3 files: .amlignore, a.py, b.py)`);
    expect((await err({ project: dir, script: 'secret.py' })).message).toBe(`The script secret.py is in ${dir}, but .amlignore (or .gitignore) leaves it out of the project`);
    expect((await err({ project: dir, script: 'a.py', maxFiles: 2 })).message).toBe(
      `The project ${dir} has 3 files, more than the 2 allowed (raise maxFiles, or exclude files in .amlignore)`,
    );
    expect((await err({ project: dir, script: 'a.py', runId: 'bad id!' })).message).toBe(`${SUBMIT}runId must match the pattern ^[a-zA-Z0-9][\\w-]{0,255}$ (got "bad id!")`);
    expect((await err({ project: path.join(dir, 'nope'), script: 'a.py' })).message).toBe(
      `${SUBMIT}project is neither a folder nor a zip file: ${path.join(dir, 'nope')} does not exist`,
    );
    expect((await err({ project: Buffer.from('not a zip'), script: 'a.py' })).message).toBe(
      `${SUBMIT}projectZipFile is not a zip archive (it does not start with the zip signature PK\\x03\\x04)`,
    );
    const noWorkspace = (await create({ access_token: 't', host: emulator.url })
      .submitRun({ project: dir, script: 'a.py' })
      .catch((e: unknown) => e)) as Error;
    expect(noWorkspace.message).toBe(
      `${SUBMIT}subscriptionId is required (give it in the call, or in create(account, { workspace })); resourceGroupName is required (give it in the call, or in create(account, { workspace })); workspaceName is required (give it in the call, or in create(account, { workspace })); experimentName is required (give it in the call, or in create(account, { workspace }))`,
    );

    expect(emulator.runCount()).toBe(runsBefore);
    expect(((await client.Experiments_Get(experiment).catch((e: unknown) => e)) as AzureMLServiceError).statusCode).toBe(404);
  });

  it('is also a function of an account: the run is started, and waitForRun of the account follows it', async () => {
    const dir = project({ 'f.py': 'print(1)' });
    const account = { access_token: 't', host: emulator.url };
    const run = await submitRun(account, { ...WORKSPACE, experimentName: 'by_function', project: dir, script: 'f.py' });
    expect(run.runId).toMatch(/^by_function_\d{10}_[0-9a-f]{8}$/);
    let log = '';
    const final = await waitForRun(account, run, { ...FAST, onLog: (text) => (log += text) });
    expect([final.runId, final.status, log]).toEqual([run.runId, 'Completed', '1\n']);
  });

  it('gives a run that the raw actions take as it is or spread, while other unknown fields stay errors', async () => {
    const dir = project({ 'g.py': 'print(2)' });
    const run = await client.submitRun({ project: dir, script: 'g.py' });
    expect(Object.keys(run)).toEqual(['subscriptionId', 'resourceGroupName', 'workspaceName', 'experimentName', 'runId', 'definition', 'project']);
    expect(JSON.parse(JSON.stringify(run)).definition.configuration.script).toBe('g.py');
    await client.waitForRun(run, FAST);
    expect((await client.Runs_GetDetails(run)).status).toBe('Completed');
    expect((await client.Runs_Get({ ...run })).runId).toBe(run.runId);
    expect(await client.Runs_CancelRunWithUri({ ...run })).toEqual({ runId: run.runId });
    // The same fields on a plain object (JSON of the run, say) are unknown fields, as any others.
    await expect(client.Runs_GetDetails(JSON.parse(JSON.stringify(run)))).rejects.toThrow(
      /^Action azure_machinelearningservices_runhistory\/Runs_GetDetails was given invalid input: definition is not a known field .*; project is not a known field/,
    );
  });
});

describe('waitForRun, getRunLog, cancelRun', () => {
  const growing = 'import time\nfor i in range(5):\n    print("line", i, "é€😀", flush=True)\n    time.sleep(0.15)';

  it('follows a log that grows while the run goes: every piece once, in order, as the run prints it', async () => {
    const run = await client.submitRun({ project: project({ 'grow.py': growing }), script: 'grow.py' });
    const pieces: string[] = [];
    const statuses: string[] = [];
    const final = await client.waitForRun(run.runId, { ...FAST, onLog: (t) => pieces.push(t), onStatus: (s) => statuses.push(s) });
    expect(final.status).toBe('Completed');
    expect(pieces.join('')).toBe([0, 1, 2, 3, 4].map((i) => `line ${i} é€😀\n`).join(''));
    expect(pieces.length).toBeGreaterThan(1);
    expect(statuses[statuses.length - 1]).toBe('Completed');
    expect(statuses).toContain('Running');
  });

  it('reports a new status before the log read in the same poll, and the final status after it', async () => {
    let log = '';
    const server = http.createServer((req, res) => {
      const from = Number(/^bytes=(\d+)-$/.exec(req.headers.range ?? '')?.[1] ?? 0);
      if (from >= Buffer.byteLength(log)) {
        res.writeHead(416, { 'content-range': `bytes */${Buffer.byteLength(log)}` });
        return res.end();
      }
      const data = Buffer.from(log).subarray(from);
      res.writeHead(from ? 206 : 200, from ? { 'content-range': `bytes ${from}-${Buffer.byteLength(log) - 1}/${Buffer.byteLength(log)}` } : {});
      res.end(data);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const url = `http://127.0.0.1:${(server.address() as { port: number }).port}/log`;
      // Each poll: the status, and what the log holds by then.
      const polls: Array<[string, string]> = [
        ['Preparing', ''],
        ['Running', 'a\n'],
        ['Running', 'a\nb\n'],
        ['Completed', 'a\nb\nc\n'],
      ];
      const fake = {
        Runs_GetDetails: async () => {
          const [status, text] = polls.shift()!;
          log = text;
          return { runId: 'r', status, logFiles: { 'azureml-logs/70_driver_log.txt': url } };
        },
      };
      const events: string[] = [];
      const { waitForRun } = await import('../src/workflow/wait-for-run');
      const final = await waitForRun({ client: fake as never, defaults: { ...WORKSPACE, experimentName: 'e' } }, 'r', {
        initialIntervalMs: 1,
        settleMs: 0,
        onStatus: (status) => events.push(`status ${status}`),
        onLog: (text) => events.push(`log ${text}`),
      });
      expect(final.status).toBe('Completed');
      expect(events).toEqual(['status Preparing', 'status Running', 'log a\n', 'log b\n', 'log c\n', 'status Completed']);
    } finally {
      server.close();
    }
  });

  it("tails a log from a byte offset, as AZTK's current_bytes", async () => {
    const run = await client.submitRun({ project: project({ 't.py': 'print("first")\nprint("second ünïcode")' }), script: 't.py' });
    await client.waitForRun(run.runId, FAST);
    const whole = await client.getRunLog(run.runId);
    expect(whole).toEqual({
      runId: run.runId,
      name: 'azureml-logs/70_driver_log.txt',
      log: 'first\nsecond ünïcode\n',
      fromByte: 0,
      nextByte: Buffer.byteLength('first\nsecond ünïcode\n'),
      totalBytes: Buffer.byteLength('first\nsecond ünïcode\n'),
      status: 'Completed',
    });
    const tail = await client.getRunLog({ runId: run.runId }, { fromByte: 6 });
    expect([tail.log, tail.fromByte, tail.nextByte]).toEqual(['second ünïcode\n', 6, whole.totalBytes]);
    const nothing = await client.getRunLog(run.runId, { fromByte: whole.nextByte });
    expect([nothing.log, nothing.nextByte, nothing.totalBytes]).toEqual(['', whole.nextByte, whole.totalBytes]);
    await expect(client.getRunLog(run.runId, { fromByte: -1 })).rejects.toThrow(
      'Action azureml-execution/getRunLog was given invalid input: fromByte must be a whole number of bytes, 0 or more (got -1)',
    );
  });

  it('keeps a character cut by the end of a read for the next read', () => {
    const text = Buffer.from('a€', 'utf8'); // € is 3 bytes
    expect(completeUtf8Length(text)).toBe(4);
    expect(completeUtf8Length(text.subarray(0, 3))).toBe(1);
    expect(completeUtf8Length(text.subarray(0, 2))).toBe(1);
    expect(completeUtf8Length(Buffer.from('😀', 'utf8').subarray(0, 3))).toBe(0);
    expect(completeUtf8Length(Buffer.alloc(0))).toBe(0);
  });

  it('rejects a Failed run with its error', async () => {
    const failed = await client.submitRun({ project: project({ 'fail.py': 'import sys\nprint("bad", file=sys.stderr)\nsys.exit(3)' }), script: 'fail.py' });
    const error = (await client.waitForRun(failed.runId, FAST).catch((e: unknown) => e)) as AzureMLRunFailedError;
    expect(error).toBeInstanceOf(AzureMLRunFailedError);
    expect(error.message).toBe(`Run ${failed.runId} failed: UserError: The script fail.py exited with code 3. Last lines of stderr:\nbad`);
    expect(error.runId).toBe(failed.runId);
    expect(error.runError?.error?.innerError).toEqual({ code: 'ScriptFailed' });
    expect(error.details.status).toBe('Failed');
  });

  it('stops waiting on abort, with an AbortError naming waitForRun, and the run goes on until cancelled', async () => {
    const run = await client.submitRun({ project: project({ 'sleep.py': 'import time\nprint("up", flush=True)\ntime.sleep(30)' }), script: 'sleep.py' });
    const controller = new AbortController();
    const waiting = client.waitForRun(run.runId, { ...FAST, signal: controller.signal, onStatus: (s) => s === 'Running' && controller.abort() });
    const aborted = (await waiting.catch((e: unknown) => e)) as Error;
    expect(aborted.name).toBe('AbortError');
    expect(aborted.message).toBe('Action azureml-execution/waitForRun was aborted');
    expect((await client.Runs_Get({ ...WORKSPACE, experimentName: 'workflow', runId: run.runId })).status).toBe('Running');

    expect(await client.cancelRun(run.runId)).toEqual({ runId: run.runId });
    const final = await client.waitForRun(run.runId, FAST);
    expect(final.status).toBe('Canceled');
  });
});

describe('listRuns and iterateRuns', () => {
  it('lists the newest runs first, by status and top, and iterates every page', async () => {
    const local = create({ access_token: 't', host: emulator.url }, { workspace: { ...WORKSPACE, experimentName: 'listing' } });
    const ids: string[] = [];
    for (const [i, code] of [0, 1, 0, 0, 1].entries()) {
      const run = await local.submitRun({ project: project({ 'x.py': `import sys\nsys.exit(${code})` }), script: 'x.py', runId: `listing_${i}` });
      ids.push(run.runId);
      await local.waitForRun(run.runId, FAST).catch(() => undefined);
    }
    expect((await local.listRuns()).map((r) => r.runId)).toEqual([...ids].reverse());
    expect((await local.listRuns({ status: 'Completed' })).map((r) => r.runId)).toEqual(['listing_3', 'listing_2', 'listing_0']);
    expect((await local.listRuns({ status: 'failed', top: 1 })).map((r) => r.runId)).toEqual(['listing_4']);

    // pageSize 2: three pages, followed by their continuation tokens.
    const pages = jest.spyOn(local, 'Runs_GetByQuery');
    const all: string[] = [];
    for await (const run of local.iterateRuns({ queryParams: { orderBy: 'RunNumber asc' } })) all.push(run.runId!);
    expect(all).toEqual(ids);
    const tokens = pages.mock.calls.map(([input]) => input.queryParams?.continuationToken);
    expect(tokens).toHaveLength(3);
    expect(tokens[0]).toBeUndefined();
    expect(new Set(tokens.slice(1)).size).toBe(2);
    pages.mockRestore();
    await expect(local.listRuns({ status: 'Complete' })).rejects.toThrow(
      'Action azureml-execution/listRuns was given invalid input: status must be a run status (did you mean Completed?): NotStarted, Queued, Preparing, Provisioning, Starting, Running, CancelRequested, Canceled, Finalizing, Completed, Failed, Unapproved, NotResponding, Pausing, Paused (got "Complete")',
    );
    await expect(local.listRuns({ top: 0 })).rejects.toThrow('Action azureml-execution/listRuns was given invalid input: top must be a whole number, 1 or more (got 0)');
  });

  it('stops with an error when a service repeats a continuation token, instead of paging forever', async () => {
    let calls = 0;
    const server = http.createServer((req, res) => {
      calls++;
      req.resume();
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify({ value: [{ runId: `r${calls}` }], continuationToken: 'same' }));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const { port } = server.address() as { port: number };
      const looping = create({ access_token: 't', host: `http://127.0.0.1:${port}` }, { workspace: { ...WORKSPACE, experimentName: 'loop' } });
      const seen: string[] = [];
      const error = await (async () => {
        for await (const run of looping.iterateRuns()) seen.push(run.runId!);
      })().catch((e: unknown) => e);
      expect((error as Error).message).toBe('Action azureml-execution/iterateRuns got the same continuation token twice; stopped paging');
      expect(seen).toEqual(['r1', 'r2']);
      expect(calls).toBe(2);
    } finally {
      server.close();
    }
  });
});
