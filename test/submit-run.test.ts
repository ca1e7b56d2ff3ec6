/**
 * submitRun and ensureExperiment in-process, against a fake client that records each call: the
 * checks made before anything is sent (with their exact messages), what is sent, and what is kept.
 */
import * as fs from 'fs';
import * as path from 'path';
import { AzureMLAbortError, AzureMLProjectError, AzureMLServiceError, AzureMLValidationError, isAzureMLError } from '../src';
import type { ServiceActions, WorkflowContext } from '../src/workflow/context';
import { WORKFLOW_FIELDS, withoutWorkflowFields } from '../src/workflow/locator';
import { ensureExperiment, submitRun } from '../src/workflow/submit-run';
import { makeZip } from './helpers/make-zip';
import { projectFolders } from './helpers/project-folders';

const EXPERIMENT = { subscriptionId: '6a8bd9bb-1df3-4bca-9b24-27a7f3e5b9e7', resourceGroupName: 'rg', workspaceName: 'ws', experimentName: 'exp' };
const SUBMIT = 'Action azureml-execution/submitRun was given invalid input: ';
const folders = projectFolders('azureml-submit-');
afterEach(() => folders.cleanup());

const serviceError = (statusCode: number, action = 'Experiments_Get') =>
  new AzureMLServiceError({ action, statusCode, body: JSON.stringify({ error: { code: 'UserError', message: `status ${statusCode}` } }), headers: {} });

interface Recorded {
  calls: Array<{ name: string; input: Record<string, unknown>; options: Record<string, unknown> }>;
  /** The zip file's bytes as Runs_StartRun saw them (a folder's zip is removed after the call). */
  zips: Buffer[];
}

/** A client whose Experiments_Get / Experiments_Create answer as told, and whose Runs_StartRun answers runId. */
function fakeContext(answers: { get?: () => unknown; create?: () => unknown } = {}): WorkflowContext & Recorded {
  const calls: Recorded['calls'] = [];
  const zips: Buffer[] = [];
  const record =
    (name: string) =>
    async (input: Record<string, unknown>, options: Record<string, unknown> = {}) => {
      calls.push({ name, input, options });
      if (name === 'Experiments_Get') return answers.get?.() ?? { name: 'exp' };
      if (name === 'Experiments_Create') return answers.create?.() ?? { name: 'exp' };
      const zip = input.projectZipFile as { path?: string } | Buffer;
      zips.push(Buffer.isBuffer(zip) || zip instanceof Uint8Array ? Buffer.from(zip) : fs.readFileSync(zip.path!));
      return { runId: (input.runId as string | undefined) ?? 'made-by-startrun' };
    };
  const client = { Experiments_Get: record('Experiments_Get'), Experiments_Create: record('Experiments_Create'), Runs_StartRun: record('Runs_StartRun') };
  return { client: client as unknown as ServiceActions, defaults: EXPERIMENT, calls, zips };
}

describe('submitRun: what is refused before anything is sent', () => {
  it.each([
    [null, 'input must be an object with project and script (or definition)'],
    ['train.py', 'input must be an object with project and script (or definition)'],
  ])('refuses %p as input', async (input, reason) => {
    const ctx = fakeContext();
    await expect(submitRun(ctx, input as never)).rejects.toThrow(`${SUBMIT}${reason}`);
    expect(ctx.calls).toEqual([]);
  });

  it.each([undefined, null])('refuses a project of %p', async (project) => {
    const ctx = fakeContext();
    await expect(submitRun(ctx, { project: project as never, script: 'a.py' })).rejects.toThrow(`${SUBMIT}project is required: a folder, the path of a zip, or the zip itself`);
    expect(ctx.calls).toEqual([]);
  });

  it('refuses a project path that does not exist', async () => {
    const ctx = fakeContext();
    const missing = path.join(folders.make({}), 'nowhere');
    await expect(submitRun(ctx, { project: missing, script: 'a.py' })).rejects.toThrow(`${SUBMIT}project is neither a folder nor a zip file: ${missing} does not exist`);
    expect(ctx.calls).toEqual([]);
  });

  it('names the files of a folder that lacks the script: none, one, or the first ten of more', async () => {
    const ctx = fakeContext();
    const empty = folders.make({});
    await expect(submitRun(ctx, { project: empty, script: 'train.py' })).rejects.toThrow(`The script train.py is not in the project ${empty} (it has 0 files)`);
    const one = folders.make({ 'other.py': '' });
    await expect(submitRun(ctx, { project: one, script: 'train.py' })).rejects.toThrow(`The script train.py is not in the project ${one} (it has 1 file: other.py)`);
    const ten = folders.make(Object.fromEntries(Array.from({ length: 10 }, (_, i) => [`f${i}.py`, ''])));
    await expect(submitRun(ctx, { project: ten, script: 'train.py' })).rejects.toThrow(
      `The script train.py is not in the project ${ten} (it has 10 files: f0.py, f1.py, f2.py, f3.py, f4.py, f5.py, f6.py, f7.py, f8.py, f9.py)`,
    );
    const eleven = folders.make(Object.fromEntries(Array.from({ length: 11 }, (_, i) => [`f${String(i).padStart(2, '0')}.py`, ''])));
    const error = await submitRun(ctx, { project: eleven, script: 'train.py' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AzureMLProjectError);
    expect((error as AzureMLProjectError).message).toBe(
      `The script train.py is not in the project ${eleven} (it has 11 files: f00.py, f01.py, f02.py, f03.py, f04.py, f05.py, f06.py, f07.py, f08.py, f09.py, ...)`,
    );
    expect((error as AzureMLProjectError).project).toBe(eleven);
    expect(ctx.calls).toEqual([]);
  });

  it('says when the script is there but an ignore file leaves it out', async () => {
    const ctx = fakeContext();
    const folder = folders.make({ 'train.py': 'print(1)', '.amlignore': 'train.py\n' });
    await expect(submitRun(ctx, { project: folder, script: 'train.py' })).rejects.toThrow(
      `The script train.py is in ${folder}, but .amlignore (or .gitignore) leaves it out of the project`,
    );
  });

  it('finds a script written as ./name, and only at the front', async () => {
    const ctx = fakeContext();
    const folder = folders.make({ 'train.py': 'print(1)' });
    await expect(submitRun(ctx, { project: folder, script: './train.py' })).resolves.toMatchObject({ runId: 'made-by-startrun' });
    // "a./train.py" is not "./train.py": nothing is stripped from the middle.
    await expect(submitRun(ctx, { project: folders.make({ 'atrain.py': '' }), script: 'a./train.py' })).rejects.toThrow('The script a./train.py is not in the project');
  });

  it('stops before the service when the signal is aborted while zipping', async () => {
    const ctx = fakeContext();
    const controller = new AbortController();
    const folder = folders.make({ 'train.py': 'print(1)' });
    const error = await submitRun(ctx, { project: folder, script: 'train.py' }, { signal: controller.signal, onZipped: () => controller.abort(new Error('user left')) }).catch(
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(AzureMLAbortError);
    expect((error as Error).message).toBe('Action azureml-execution/submitRun was aborted: user left');
    expect(ctx.calls).toEqual([]);
  });
});

describe('submitRun: what is sent and what comes back', () => {
  it('zips a folder, reports it, sends it with unknownFields pass, and removes the zip afterwards', async () => {
    const ctx = fakeContext();
    const folder = folders.make({ 'train.py': 'print(1)', 'data/x.csv': 'a,b\n' });
    const zipped: Array<{ files: string[]; bytes: number }> = [];
    const run = await submitRun(
      ctx,
      { project: folder, script: 'train.py', runId: 'mine' },
      { onZipped: (z: { files: string[]; bytes: number }) => zipped.push(z), timeoutMs: 1234 },
    );
    expect(zipped).toEqual([{ files: ['data/x.csv', 'train.py'], bytes: ctx.zips[0].length }]);
    expect(ctx.calls.map((c) => c.name)).toEqual(['Experiments_Get', 'Runs_StartRun']);
    const start = ctx.calls[1];
    expect(start.options).toEqual({ timeoutMs: 1234, unknownFields: 'pass' });
    expect(start.input).toMatchObject({ ...EXPERIMENT, runId: 'mine', runDefinitionFile: { configuration: { script: 'train.py' } } });
    const zipPath = (start.input.projectZipFile as { path: string }).path;
    expect(path.isAbsolute(zipPath) && !zipPath.startsWith(folder)).toBe(true);
    expect(fs.existsSync(zipPath)).toBe(false);
    expect(ctx.zips[0].subarray(0, 4).toString('latin1')).toBe('PK\x03\x04');
    expect(run).toEqual({
      ...EXPERIMENT,
      runId: 'mine',
      definition: start.input.runDefinitionFile,
      project: { files: ['data/x.csv', 'train.py'], bytes: ctx.zips[0].length },
      [WORKFLOW_FIELDS]: ['definition', 'project'],
    });
  });

  it('sends bytes as they are and reports their size, for a Buffer and for a plain Uint8Array', async () => {
    const zip = makeZip([{ name: 'a.py', data: 'print(1)' }]);
    for (const project of [zip, new Uint8Array(zip)]) {
      const ctx = fakeContext();
      const run = await submitRun(ctx, { project, script: 'a.py' });
      expect(ctx.calls[1].input.projectZipFile).toBe(project);
      expect(run.project).toEqual({ bytes: zip.length });
      expect(run.runId).toBe('made-by-startrun');
    }
  });

  it("sends a zip file by path and reports the file's size; a { path } object is sent as given, with no size", async () => {
    const dir = folders.make({});
    const file = path.join(dir, 'project.zip');
    fs.writeFileSync(file, makeZip([{ name: 'a.py', data: 'print(1)' }]));
    const ctx = fakeContext();
    const byPath = await submitRun(ctx, { project: file, script: 'a.py' });
    expect(byPath.project).toEqual({ bytes: fs.statSync(file).size });
    expect(ctx.calls[1].input.projectZipFile).toEqual({ path: file });
    expect(fs.existsSync(file)).toBe(true);
    const byObject = await submitRun(ctx, { project: { path: file }, script: 'a.py' });
    expect(byObject.project).toEqual({});
  });

  it('marks definition and project as workflow fields, so that the raw actions take the run as it is', async () => {
    const run = await submitRun(fakeContext(), { project: makeZip([{ name: 'a.py', data: '' }]), script: 'a.py' });
    expect(withoutWorkflowFields(run, () => false)).toEqual({ ...EXPERIMENT, runId: 'made-by-startrun', [WORKFLOW_FIELDS]: ['definition', 'project'] });
    expect(withoutWorkflowFields({ ...run }, (name) => name === 'project')).toMatchObject({ project: { bytes: run.project.bytes } });
    expect(Object.keys(run)).toEqual([...Object.keys(EXPERIMENT), 'runId', 'definition', 'project']);
  });
});

describe('ensureExperiment', () => {
  const names = (ctx: Recorded) => ctx.calls.map((c) => c.name);

  it('creates nothing when the experiment exists', async () => {
    const ctx = fakeContext();
    await ensureExperiment(ctx.client, EXPERIMENT, { timeoutMs: 99 });
    expect(ctx.calls).toEqual([{ name: 'Experiments_Get', input: EXPERIMENT, options: { timeoutMs: 99 } }]);
  });

  it('creates it on a 404, with the same call options', async () => {
    const ctx = fakeContext({
      get: () => {
        throw serviceError(404);
      },
    });
    await ensureExperiment(ctx.client, EXPERIMENT, { timeoutMs: 99 });
    expect(ctx.calls).toEqual([
      { name: 'Experiments_Get', input: EXPERIMENT, options: { timeoutMs: 99 } },
      { name: 'Experiments_Create', input: EXPERIMENT, options: { timeoutMs: 99 } },
    ]);
  });

  it('takes a 409 from create as someone else having just made it', async () => {
    const ctx = fakeContext({
      get: () => {
        throw serviceError(404);
      },
      create: () => {
        throw serviceError(409, 'Experiments_Create');
      },
    });
    await expect(ensureExperiment(ctx.client, EXPERIMENT)).resolves.toBeUndefined();
    expect(names(ctx)).toEqual(['Experiments_Get', 'Experiments_Create']);
  });

  it('passes on any other failure of create', async () => {
    const ctx = fakeContext({
      get: () => {
        throw serviceError(404);
      },
      create: () => {
        throw serviceError(403, 'Experiments_Create');
      },
    });
    const error = await ensureExperiment(ctx.client, EXPERIMENT).catch((e: unknown) => e);
    expect(isAzureMLError(error, 'AzureMLServiceError') && error.statusCode).toBe(403);
  });

  it('passes on a failure of get that is not a 404, and creates nothing', async () => {
    for (const thrown of [serviceError(500), Object.assign(new Error('socket hang up'), { statusCode: 404 })]) {
      const ctx = fakeContext({
        get: () => {
          throw thrown;
        },
      });
      await expect(ensureExperiment(ctx.client, EXPERIMENT)).rejects.toBe(thrown);
      expect(names(ctx)).toEqual(['Experiments_Get']);
    }
  });

  it('is what submitRun does before it starts the run', async () => {
    const ctx = fakeContext({
      get: () => {
        throw serviceError(404);
      },
    });
    await submitRun(ctx, { project: makeZip([{ name: 'a.py', data: '' }]), script: 'a.py' });
    expect(names(ctx)).toEqual(['Experiments_Get', 'Experiments_Create', 'Runs_StartRun']);
  });
});

it('a validation error is typed and names its field', async () => {
  const error = await submitRun(fakeContext(), { project: makeZip([]), script: '' }).catch((e: unknown) => e);
  expect(error).toBeInstanceOf(AzureMLValidationError);
  expect((error as AzureMLValidationError).problems).toEqual([{ path: 'script', message: 'is required: the file of the project to run' }]);
});
