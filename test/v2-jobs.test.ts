/**
 * The v2 workflow's own steps alone (workflow/v2/jobs.ts), over scripted v2 actions and polls:
 * a v1 submission as a command job, a job's experiment read from Jobs_Get only when nobody says
 * it, and a cancel followed to its end only when the answer starts an operation.
 */
import { AzureMLOperationFailedError, AzureMLValidationError } from '../src';
import { cancelJob, resolveJobRun, submitRunAsJob } from '../src/workflow/v2/jobs';
import { failure } from './helpers/failure';
import { projectFolders } from './helpers/project-folders';
import { answering, v2Context } from './helpers/scripted-v2';

const WS = { subscriptionId: 'sub', resourceGroupName: 'rg', workspaceName: 'ws1' };
const WS_ID = '/subscriptions/sub/resourceGroups/rg/providers/Microsoft.MachineLearningServices/workspaces/ws1';

const context = v2Context;
const folders = projectFolders('v2-jobs-');
afterEach(() => folders.cleanup());

const created = (input: Record<string, unknown>) => ({ id: `${WS_ID}/jobs/${String(input.id)}`, properties: (input.body as { properties: unknown }).properties });
const noSleep = async () => undefined;

describe('submitRunAsJob', () => {
  it('makes the command job of a v1 script, arguments, target and environment variables, with the v1 defaults', async () => {
    const { ctx, calls } = context({ Jobs_CreateOrUpdate: created }, [], { ...WS, experimentName: 'exp' });
    const out = await submitRunAsJob(
      ctx,
      { script: 'train.py', arguments: ['--lr', '0.1'], target: 'cpu', environmentVariables: { A: '1' }, environmentId: 'azureml:env:1', jobName: 'j1' },
      { unknownFields: 'error' },
    );
    expect(calls).toHaveLength(1);
    expect(calls[0].input.body).toEqual({
      properties: {
        jobType: 'Command',
        command: 'python train.py --lr 0.1',
        environmentId: `${WS_ID}/environments/env/versions/1`,
        computeId: `${WS_ID}/computes/cpu`,
        experimentName: 'exp',
        environmentVariables: { A: '1' },
      },
    });
    expect([out.runId, out.dropped]).toEqual(['j1', []]);
  });

  it('passes a command job through as given, its environment variables included', async () => {
    const { ctx, calls } = context({ Jobs_CreateOrUpdate: created }, [], { ...WS, experimentName: 'exp' });
    await submitRunAsJob(ctx, { command: 'bash run.sh', environmentId: 'e', environmentVariables: { B: '2' }, jobName: 'j2' });
    expect(calls[0].input.body).toEqual({
      properties: { jobType: 'Command', command: 'bash run.sh', environmentId: 'e', experimentName: 'exp', environmentVariables: { B: '2' } },
    });
  });

  it('sends the project folder as the code of the job', async () => {
    const dir = folders.make({ 't.py': 'print(1)\n' });
    const { ctx, calls } = context({ CodeVersions_Get: () => ({ id: 'codes/x/versions/1' }), Jobs_CreateOrUpdate: created }, [], { ...WS, experimentName: 'exp' });
    const out = await submitRunAsJob(ctx, { project: dir, script: 't.py', environmentId: 'e', jobName: 'j3' });
    expect(calls.map((c) => c.op)).toEqual(['CodeVersions_Get', 'Jobs_CreateOrUpdate']);
    expect([out.code?.codeId, out.job.codeId]).toEqual(['codes/x/versions/1', 'codes/x/versions/1']);
  });

  it('refuses a project that is not a folder path (v2 sends files, not a zip) before anything is sent', async () => {
    const { ctx, calls } = context({});
    const error = await failure(submitRunAsJob(ctx, { script: 'x.py', environmentId: 'e', project: Buffer.from('PK') as never }, {}));
    expect(error).toBeInstanceOf(AzureMLValidationError);
    expect(error.message).toBe(
      'Action azureml-execution/submitJob was given invalid input: project must be the path of the project folder: v2 uploads the files of a folder, not a zip',
    );
    expect((await failure(submitRunAsJob(ctx, { environmentId: 'e' }, {}))).message).toBe(
      'Action azureml-execution/submitJob was given invalid input: script is required: the file of the project to run',
    );
    expect((await failure(submitRunAsJob(ctx, { definition: { configuration: { arguments: ['x'] } }, environmentId: 'e' }, {}))).message).toBe(
      'Action azureml-execution/submitJob was given invalid input: definition.configuration.script is required: the file of the project to run',
    );
    expect(calls).toEqual([]);
  });
});

describe('resolveJobRun', () => {
  it("reads the job's experiment from Jobs_Get when neither the call nor the defaults say it", async () => {
    const signal = new AbortController().signal;
    const { ctx, calls } = context({ Jobs_Get: () => ({ properties: { experimentName: 'found' } }) }, [], WS);
    expect(await resolveJobRun(ctx, 'job-1', 'a', { signal })).toEqual({ ...WS, experimentName: 'found', runId: 'job-1' });
    expect(calls).toEqual([{ op: 'Jobs_Get', input: { ...WS, id: 'job-1' }, call: { signal } }]);
    expect(await resolveJobRun(ctx, { runId: 'job-2', workspaceName: 'other' }, 'a')).toEqual({ ...WS, workspaceName: 'other', experimentName: 'found', runId: 'job-2' });
    expect(calls[1].input).toEqual({ ...WS, workspaceName: 'other', id: 'job-2' });
  });

  it('reads the experiment of a job whose locator is whole but for it, with no defaults at all', async () => {
    const { ctx, calls } = context({ Jobs_Get: () => ({ properties: { experimentName: 'found' } }) });
    expect(await resolveJobRun(ctx, { ...WS, runId: 'job-1' }, 'a')).toEqual({ ...WS, experimentName: 'found', runId: 'job-1' });
    expect(calls.map((c) => c.op)).toEqual(['Jobs_Get']);
  });

  it('says Default for a job that names no experiment', async () => {
    const { ctx } = context({ Jobs_Get: () => ({ properties: {} }) }, [], WS);
    expect((await resolveJobRun(ctx, 'job-1', 'a')).experimentName).toBe('Default');
  });

  it('asks nothing when the call or the defaults name the experiment', async () => {
    const { ctx, calls } = context({}, [], { ...WS, experimentName: 'dflt' });
    expect(await resolveJobRun(ctx, 'job-1', 'a')).toEqual({ ...WS, experimentName: 'dflt', runId: 'job-1' });
    const bare = context({}, [], WS);
    expect(await resolveJobRun(bare.ctx, { runId: 'job-1', experimentName: 'given' }, 'a')).toEqual({ ...WS, experimentName: 'given', runId: 'job-1' });
    expect([calls, bare.calls]).toEqual([[], []]);
  });

  it('refuses a reference without a run id, naming it, and asks nothing', async () => {
    const { ctx, calls } = context({}, [], WS);
    for (const ref of ['', { runId: '' }, { runId: 7 }, null]) {
      const error = await failure(resolveJobRun(ctx, ref as never, 'azureml-execution/cancelJob'));
      expect(error).toBeInstanceOf(AzureMLValidationError);
      expect(error.message).toMatch(/^Action azureml-execution\/cancelJob was given invalid input: runId is required/);
    }
    expect(calls).toEqual([]);
  });
});

describe('cancelJob', () => {
  it("follows the cancel's operation to its end, then reads the job's status", async () => {
    const signal = new AbortController().signal;
    const { ctx, calls, polled } = context(
      {
        Jobs_Cancel: answering({ status: 202, headers: { location: 'https://arm/op/1' } }),
        Jobs_Get: () => ({ properties: { status: 'Canceled' } }),
      },
      [
        { status: 202, body: undefined },
        { status: 200, body: {} },
      ],
      { ...WS, experimentName: 'exp' },
    );
    expect(await cancelJob(ctx, 'job-1', { sleep: noSleep, signal })).toEqual({ runId: 'job-1', status: 'Canceled' });
    expect(polled).toEqual(['https://arm/op/1', 'https://arm/op/1']);
    expect(calls.map((c) => [c.op, c.input])).toEqual([
      ['Jobs_Cancel', { ...WS, id: 'job-1' }],
      ['Jobs_Get', { ...WS, id: 'job-1' }],
    ]);
    expect(calls[0].call.signal).toBe(signal);
    expect(calls[1].call).toEqual({ signal });
  });

  it('polls nothing when the cancel ends at once, and gives an empty status when the job has none', async () => {
    const { ctx, calls, polled } = context({ Jobs_Cancel: answering({ status: 200, headers: { location: 'https://arm/op/1' } }), Jobs_Get: () => ({ properties: {} }) }, [], {
      ...WS,
      experimentName: 'exp',
    });
    expect(await cancelJob(ctx, { runId: 'job-1' }, { sleep: noSleep })).toEqual({ runId: 'job-1', status: '' });
    expect(polled).toEqual([]);
    expect(calls.map((c) => c.op)).toEqual(['Jobs_Cancel', 'Jobs_Get']);
  });

  it('rejects with the operation error when the cancel ends Failed, and reads no status', async () => {
    const { ctx, calls } = context(
      { Jobs_Cancel: answering({ status: 202, headers: { 'azure-asyncoperation': 'https://arm/op/2' } }), Jobs_Get: () => ({ properties: { status: 'Completed' } }) },
      [{ status: 200, body: { status: 'Failed', error: { code: 'JobTerminal', message: 'the job has ended' } } }],
      { ...WS, experimentName: 'exp' },
    );
    const error = await failure(cancelJob(ctx, 'job-1', { sleep: noSleep }));
    expect(error).toBeInstanceOf(AzureMLOperationFailedError);
    expect(error.message).toBe('Action azureml-execution/cancelJob ended Failed: JobTerminal: the job has ended');
    expect(calls.map((c) => c.op)).toEqual(['Jobs_Cancel']);
  });
});
