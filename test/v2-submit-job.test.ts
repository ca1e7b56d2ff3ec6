/**
 * submitJob and commandJobOf alone, over scripted v2 actions: the command job each input makes,
 * field by field; each problem named before anything is sent; the job's name; the ids sent as
 * ARM ids; the code reused by its content hash; and what Jobs_CreateOrUpdate is given.
 */
import * as fs from 'fs';
import * as path from 'path';
import { commandJobOf, newJobName, submitJob } from '../src/workflow/v2/submit-job';
import { failure, validationError } from './helpers/failure';
import { projectFolders } from './helpers/project-folders';
import { scriptedV2 } from './helpers/scripted-v2';

const WS = { subscriptionId: 'sub', resourceGroupName: 'rg', workspaceName: 'ws1' };
const WS_ID = '/subscriptions/sub/resourceGroups/rg/providers/Microsoft.MachineLearningServices/workspaces/ws1';
const folders = projectFolders('submit-job-');
afterEach(() => folders.cleanup());

const problemsOf = (fn: () => unknown) => validationError(fn).message;

describe('newJobName', () => {
  afterEach(() => jest.restoreAllMocks());

  it('is {experiment}_{unix seconds}_{8 hex}, the experiment made a valid name', () => {
    jest.spyOn(Date, 'now').mockReturnValue(1_700_000_000_999);
    expect(newJobName('mnist-v2')).toMatch(/^mnist-v2_1700000000_[0-9a-f]{8}$/);
    expect(newJobName('my exp.1/x')).toMatch(/^my_exp_1_x_1700000000_[0-9a-f]{8}$/);
    expect(newJobName('_private')).toMatch(/^job_private_1700000000_[0-9a-f]{8}$/);
    expect(newJobName('-x')).toMatch(/^job-x_1700000000_[0-9a-f]{8}$/);
    expect(newJobName('e'.repeat(300))).toMatch(new RegExp(`^${'e'.repeat(200)}_1700000000_[0-9a-f]{8}$`));
    expect(newJobName('e')).not.toBe(newJobName('e'));
  });
});

describe('commandJobOf', () => {
  it('makes the job of a command, with literal inputs from plain values, outputs from the command, and every setting', () => {
    const { job, dropped } = commandJobOf(
      {
        command:
          'python train.py --lr ${{ inputs.lr }} --epochs ${{inputs.epochs}} --fast ${{inputs.fast}} --data ${{inputs.data}} --out ${{outputs.model}} --log ${{outputs.logs}}',
        environmentId: 'azureml:env:1',
        computeId: 'cpu',
        inputs: { lr: '0.1', epochs: 3, fast: false, data: { jobInputType: 'uri_folder', uri: 'azureml://datastores/d/paths/p' } },
        outputs: { logs: { jobOutputType: 'uri_file', mode: 'Upload' } },
        environmentVariables: { A: '1' },
        timeout: 90,
        displayName: 'Train',
        description: 'what it does',
        tags: { team: 'ml' },
        instanceCount: 2,
        distribution: { distributionType: 'PyTorch', processCountPerInstance: 2 },
      },
      'exp',
    );
    expect(job).toEqual({
      jobType: 'Command',
      command: 'python train.py --lr ${{ inputs.lr }} --epochs ${{inputs.epochs}} --fast ${{inputs.fast}} --data ${{inputs.data}} --out ${{outputs.model}} --log ${{outputs.logs}}',
      environmentId: 'azureml:env:1',
      computeId: 'cpu',
      experimentName: 'exp',
      inputs: {
        lr: { jobInputType: 'literal', value: '0.1' },
        epochs: { jobInputType: 'literal', value: '3' },
        fast: { jobInputType: 'literal', value: 'false' },
        data: { jobInputType: 'uri_folder', uri: 'azureml://datastores/d/paths/p' },
      },
      outputs: { logs: { jobOutputType: 'uri_file', mode: 'Upload' }, model: { jobOutputType: 'uri_folder' } },
      environmentVariables: { A: '1' },
      limits: { jobLimitsType: 'Command', timeout: 'PT90S' },
      displayName: 'Train',
      description: 'what it does',
      tags: { team: 'ml' },
      resources: { instanceCount: 2 },
      distribution: { distributionType: 'PyTorch', processCountPerInstance: 2 },
    });
    expect(dropped).toEqual([]);
  });

  it('leaves out what is not given: no inputs, outputs, limits or compute fields of its own', () => {
    expect(commandJobOf({ command: 'echo hi', environmentId: 'e', displayName: '', description: '', computeId: '' }, 'x').job).toStrictEqual({
      jobType: 'Command',
      command: 'echo hi',
      environmentId: 'e',
      experimentName: 'x',
    });
    expect(commandJobOf({ command: 'echo', environmentId: 'e', timeout: 'PT30M', instanceCount: 0 }, 'x').job).toStrictEqual({
      jobType: 'Command',
      command: 'echo',
      environmentId: 'e',
      experimentName: 'x',
      limits: { jobLimitsType: 'Command', timeout: 'PT30M' },
      resources: { instanceCount: 0 },
    });
  });

  it('converts a v1 definition, adds to what it has, and says what it dropped', () => {
    const { job, dropped } = commandJobOf(
      {
        definition: { configuration: { script: 'train.py', target: 'local', environment: { name: 'env', version: '2', environmentVariables: { A: '1' } } } },
        computeId: 'gpu',
        environmentVariables: { B: '2' },
        inputs: { extra: 'x' },
      },
      'exp',
    );
    expect(job).toEqual({
      jobType: 'Command',
      command: 'python train.py',
      environmentId: 'azureml:env:2',
      computeId: 'gpu',
      experimentName: 'exp',
      environmentVariables: { A: '1', B: '2' },
      inputs: { extra: { jobInputType: 'literal', value: 'x' } },
    });
    expect(dropped).toEqual([]);
    // The inputs of the definition's data references, and those given, together.
    const withData = commandJobOf(
      { definition: { configuration: { script: 't.py', dataReferences: { raw: { dataStoreName: 's', pathOnDataStore: 'p' } } } }, environmentId: 'e', inputs: { lr: 1 } },
      'x',
    );
    expect(withData.job.inputs).toStrictEqual({
      raw: { jobInputType: 'uri_folder', uri: 'azureml://datastores/s/paths/p', mode: 'ReadOnlyMount' },
      lr: { jobInputType: 'literal', value: '1' },
    });
    expect(commandJobOf({ definition: { configuration: { script: 't.py', target: 'local' } }, environmentId: 'e' }, 'x').dropped).toEqual([
      { field: 'configuration.target', reason: 'v2 has no local target: the job runs on the compute given, else serverless compute' },
    ]);
  });

  it('names every problem of the input at once', () => {
    expect(problemsOf(() => commandJobOf({ command: ' ', inputs: { bad: null as never, list: [1] as never }, timeout: 0 }, 'x'))).toBe(
      'Action azureml-execution/submitJob was given invalid input: ' +
        'command is required (or a v1 definition): what the job runs; ' +
        'environmentId is required: the environment the job runs in, e.g. azureml:my-env:1; ' +
        'inputs.bad must be a value (a literal input) or a JobInput object; ' +
        'inputs.list must be a value (a literal input) or a JobInput object; ' +
        'timeout must be a whole number of seconds above 0, or an ISO 8601 duration such as PT30M (got 0)',
    );
    expect(problemsOf(() => commandJobOf({ command: 'python x.py --a ${{inputs.a}}', environmentId: '' }, 'x'))).toBe(
      'Action azureml-execution/submitJob was given invalid input: ' +
        'environmentId is required: the environment the job runs in, e.g. azureml:my-env:1; ' +
        'inputs.a is used by the command (${{inputs.a}}) and not given',
    );
    expect(problemsOf(() => commandJobOf({ definition: { configuration: { script: 't.py' } }, command: 'x', environmentId: 'e' }, 'x'))).toBe(
      'Action azureml-execution/submitJob was given invalid input: command cannot be given with a definition: give one or the other',
    );
    expect(problemsOf(() => commandJobOf({ environmentId: 'e' }, 'x'))).toContain('command is required (or a v1 definition)');
    expect(problemsOf(() => commandJobOf({ command: 'x', environmentId: 5 as never }, 'x'))).toBe(
      'Action azureml-execution/submitJob was given invalid input: environmentId is required: the environment the job runs in, e.g. azureml:my-env:1',
    );
  });

  it.each([
    [1.5, 'timeout must be a whole number of seconds above 0, or an ISO 8601 duration such as PT30M (got 1.5)'],
    [-60, 'timeout must be a whole number of seconds above 0, or an ISO 8601 duration such as PT30M (got -60)'],
    ['30m', 'timeout must be an ISO 8601 duration such as PT30M, or seconds (got "30m")'],
    ['', 'timeout must be an ISO 8601 duration such as PT30M, or seconds (got "")'],
  ])('refuses the timeout %j', (timeout, message) => {
    expect(problemsOf(() => commandJobOf({ command: 'x', environmentId: 'e', timeout }, 'x'))).toBe(`Action azureml-execution/submitJob was given invalid input: ${message}`);
  });
});

describe('submitJob', () => {
  const created = (input: Record<string, unknown>) => ({ id: `${WS_ID}/jobs/${String(input.id)}`, properties: (input.body as { properties: unknown }).properties });

  it('creates the job under its name, with ARM ids for its compute and environment, and only the call options the request takes', async () => {
    const { v2, calls } = scriptedV2({ Jobs_CreateOrUpdate: created });
    const signal = new AbortController().signal;
    const retry = { maxRetries: 1 };
    const out = await submitJob(
      v2,
      { command: 'python t.py', environmentId: 'azureml:env:3', computeId: 'cpu', jobName: 'job-7' },
      { ...WS, experimentName: 'from-defaults' },
      { signal, retry, timeoutMs: 5, deadlineMs: 6, concurrency: 2, onUploadProgressBytes: () => undefined },
    );
    const job = {
      jobType: 'Command',
      command: 'python t.py',
      environmentId: `${WS_ID}/environments/env/versions/3`,
      computeId: `${WS_ID}/computes/cpu`,
      experimentName: 'from-defaults',
    };
    expect(calls).toEqual([{ op: 'Jobs_CreateOrUpdate', input: { ...WS, id: 'job-7', body: { properties: job } }, call: { signal, retry, timeoutMs: 5, deadlineMs: 6 } }]);
    expect({ ...out }).toEqual({ ...WS, experimentName: 'from-defaults', runId: 'job-7', job, dropped: [], [Object.getOwnPropertySymbols(out)[0]]: ['job', 'code', 'dropped'] });
    expect(out).not.toHaveProperty('code');
  });

  it('names the job after its experiment (Default when none is given anywhere)', async () => {
    const { v2, calls } = scriptedV2({ Jobs_CreateOrUpdate: created });
    const out = await submitJob(v2, { ...WS, command: 'x', environmentId: 'e' }, undefined);
    expect(out.experimentName).toBe('Default');
    expect(out.runId).toMatch(/^Default_\d+_[0-9a-f]{8}$/);
    expect(calls[0].input.id).toBe(out.runId);
    const given = await submitJob(v2, { command: 'x', environmentId: 'e', experimentName: 'mine' }, { ...WS, experimentName: 'other' });
    expect([given.experimentName, given.job.experimentName]).toEqual(['mine', 'mine']);
  });

  it('refuses input that is not an object, a bad project, and a missing workspace, sending nothing', async () => {
    const { v2, calls } = scriptedV2();
    for (const input of [undefined, null, 'python x.py', ['x']]) {
      expect((await failure(submitJob(v2, input as never, WS))).message).toBe(
        'Action azureml-execution/submitJob was given invalid input: input must be an object with command (or definition) and environmentId',
      );
    }
    expect((await failure(submitJob(v2, { command: 'x', environmentId: 'e', project: '' }, WS))).message).toBe(
      'Action azureml-execution/submitJob was given invalid input: project must be the path of the project folder',
    );
    expect((await failure(submitJob(v2, { command: 'x', environmentId: 'e', project: 3 as never }, WS))).message).toBe(
      'Action azureml-execution/submitJob was given invalid input: project must be the path of the project folder',
    );
    expect((await failure(submitJob(v2, { command: 'x', environmentId: 'e' }, { workspaceName: 'ws1' }))).message).toBe(
      'Action azureml-execution/submitJob was given invalid input: subscriptionId is required (give it in the call, or in create(account, { workspace })); resourceGroupName is required (give it in the call, or in create(account, { workspace }))',
    );
    // A job the service would refuse is refused before its code is looked up.
    const dir = folders.make({ 'train.py': 'print(1)\n' });
    await failure(submitJob(v2, { command: 'python train.py ${{inputs.x}}', environmentId: 'e', project: dir }, WS));
    expect(calls).toEqual([]);
  });

  it('uses the code version that has the content hash of the project, and names it after the folder', async () => {
    const dir = folders.make({ 'train.py': 'print(1)\n' });
    const project = path.join(dir, 'My Project!');
    fs.mkdirSync(project);
    fs.writeFileSync(path.join(project, 'train.py'), 'print(2)\n');
    const { v2, calls } = scriptedV2({
      CodeVersions_Get: (input) => ({ id: `${WS_ID}/codes/${String(input.name)}/versions/${String(input.version)}` }),
      Jobs_CreateOrUpdate: created,
    });
    const progress: unknown[] = [];
    const out = await submitJob(
      v2,
      { command: 'python train.py', environmentId: 'e', project, jobName: 'j1' },
      { ...WS, experimentName: 'x' },
      {
        onUploadProgressBytes: (p) => progress.push(p),
      },
    );
    const version = String(calls[0].input.version);
    expect(version).toMatch(/^[0-9a-f]{64}$/);
    expect(calls.map((c) => [c.op, c.input.name])).toEqual([
      ['CodeVersions_Get', 'My_Project_'],
      ['Jobs_CreateOrUpdate', undefined],
    ]);
    expect(out.code).toEqual({
      codeId: `${WS_ID}/codes/My_Project_/versions/${version}`,
      name: 'My_Project_',
      version,
      files: 1,
      totalBytes: 9,
      uploadedBytes: 0,
      reused: true,
      uploadMs: 0,
    });
    expect(out.job.codeId).toBe(out.code!.codeId);
    expect((calls[1].input.body as { properties: { codeId: string } }).properties.codeId).toBe(out.code!.codeId);
    expect(progress).toEqual([{ uploadedBytes: 0, totalBytes: 9 }]);
    // A code name given wins over the folder's.
    await submitJob(v2, { command: 'python train.py', environmentId: 'e', project, codeName: 'mine' }, WS);
    expect(calls[2].input.name).toBe('mine');
  });
});
