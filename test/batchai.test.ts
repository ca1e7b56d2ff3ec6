/**
 * Batch AI jobs here: fromBatchAIJob's conversion (exact definitions, command jobs, warnings and
 * errors), and every example job of examples/batchai run against the emulator on the v2 API
 * (and on v1 where v1 can do it), with their outputs checked.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { startEmulator, create, fromBatchAIJob, type Emulator } from '../src';
import { splitShellWords } from '../src/workflow/batchai/shell-words';
import { validationError } from './helpers/failure';

const EXAMPLES = path.join(__dirname, '..', 'examples', 'batchai');
const example = (name: string): Record<string, unknown> => JSON.parse(fs.readFileSync(path.join(EXAMPLES, `${name}.json`), 'utf8'));
const WS = { subscriptionId: '00000000-1111-2222-3333-444444444444', resourceGroupName: 'rg', workspaceName: 'batchai-ws' };
const MOUNT_VARS = { AZ_BATCHAI_MOUNT_ROOT: 'mounts', AZ_BATCHAI_JOB_MOUNT_ROOT: 'mounts/job' };

const problemsOf = (job: unknown) => validationError(() => fromBatchAIJob(job)).problems;

describe('fromBatchAIJob', () => {
  it('converts the PyTorch example: nodes x processes, the directories as variables, the time limit and the cluster, with what changed', () => {
    const converted = fromBatchAIJob(example('pytorch'));
    const variables = { LEARNING_RATE: '0.01', ...MOUNT_VARS, AZ_BATCHAI_INPUT_DATA: 'mounts/data', AZ_BATCHAI_OUTPUT_MODEL: 'outputs/MODEL/models' };
    expect(converted).toEqual({
      definition: {
        configuration: {
          script: 'pytorch_train.py',
          arguments: ['--epochs', '2', '--data', 'mounts/data', '--model-dir', 'outputs/MODEL/models'],
          framework: 'PyTorch',
          communicator: 'Gloo',
          nodeCount: 2,
          target: 'gpu-cluster',
          environment: { environmentVariables: variables },
          mpi: { processCountPerNode: 2 },
          maxRunDurationSeconds: 600,
        },
      },
      v1Blockers: [],
      commandJob: {
        jobType: 'Command',
        command: 'mkdir -p outputs/MODEL/models && python pytorch_train.py --epochs 2 --data mounts/data --model-dir outputs/MODEL/models',
        environmentVariables: variables,
        computeId: 'gpu-cluster',
        resources: { instanceCount: 2 },
        distribution: { distributionType: 'PyTorch', processCountPerInstance: 2 },
        limits: { jobLimitsType: 'Command', timeout: 'PT600S' },
      },
      experimentName: 'batchai-pytorch',
      warnings: [
        'properties.stdOutErrPathPrefix: Azure ML keeps stdout and stderr as the run logs (azureml-logs/, user_logs/): stdOutErrPathPrefix is not used',
        'properties.inputDirectories[0] (DATA): $AZ_BATCHAI_MOUNT_ROOT/data is read from mounts/data in the project folder; for large data, register a data asset and pass it as a v2 input',
        'properties.outputDirectories[0] (MODEL): written to outputs/MODEL/models instead of $AZ_BATCHAI_MOUNT_ROOT/output, so that it becomes an artifact of the run',
        'properties.cluster: runs on the Azure ML compute cluster gpu-cluster; create it first (azureml-exec compute create gpu-cluster --vm-size <size> --max-nodes 2)',
        'v1: the script creates its output directories (outputs/MODEL/models) itself; v2 creates them before the command',
      ],
    });
  });

  it('gives TensorFlow roles their own arguments through TF_CONFIG on v2, and says v1 cannot', () => {
    const converted = fromBatchAIJob(example('tensorflow'));
    expect(converted.definition).toBeUndefined();
    expect(converted.v1Blockers).toEqual(['TensorFlow roles with their own arguments: a v1 run gives every process the same arguments; submit with the v2 API (--api v2)']);
    expect(converted.commandJob.command).toBe(
      `mkdir -p outputs/MODEL && case "$(python -c 'import json,os;t=json.loads(os.environ["TF_CONFIG"])["task"];print(t["type"]+str(t["index"]))')" in ` +
        'ps*) python tf_train.py --role ps ;; *) python tf_train.py --role worker --model-dir outputs/MODEL ;; esac',
    );
    expect(converted.commandJob.distribution).toEqual({ distributionType: 'TensorFlow', workerCount: 2, parameterServerCount: 1 });
    // The same arguments for every role: v1 can run it (communicator ParameterServer).
    const same = fromBatchAIJob({ nodeCount: 2, tensorFlowSettings: { pythonScriptFilePath: 't.py', workerCommandLineArgs: '--x 1', parameterServerCommandLineArgs: '--x 1' } });
    expect(same.definition?.configuration).toMatchObject({
      framework: 'TensorFlow',
      communicator: 'ParameterServer',
      tensorflow: { workerCount: 2, parameterServerCount: 1 },
      arguments: ['--x', '1'],
    });
  });

  it('runs jobPreparation first on v2, custom command lines as they are, and a python command line as a v1 script', () => {
    const custom = fromBatchAIJob(example('custom-toolkit'));
    expect(custom.commandJob.command).toBe(
      '(mkdir -p mounts/job/cache && echo prepared > mounts/job/cache/ready.txt) && mkdir -p outputs/RESULT && echo starting && python custom.py --data mounts/data --out outputs/RESULT',
    );
    expect(custom.v1Blockers).toEqual([
      'jobPreparation: a v1 run runs one script and has no step before it; submit with the v2 API (--api v2), whose command runs it first',
      'the command line is not a python script with arguments: a v1 run runs a script; submit with the v2 API (--api v2)',
    ]);
    const mpi = fromBatchAIJob(example('custom-mpi'));
    expect(mpi.definition?.configuration).toMatchObject({
      script: 'mpi_hello.py',
      arguments: ['--out', 'outputs/RANKS'],
      communicator: 'Mpi',
      nodeCount: 2,
      mpi: { processCountPerNode: 2 },
    });
    expect(mpi.commandJob).toMatchObject({
      command: 'mkdir -p outputs/RANKS && python mpi_hello.py --out outputs/RANKS',
      distribution: { distributionType: 'Mpi', processCountPerInstance: 2 },
    });
    const interpreter = fromBatchAIJob({ customToolkitSettings: { commandLine: '/opt/py/bin/python3 ./train.py "two words" \'$HOME\'' } });
    expect(interpreter.definition?.configuration).toMatchObject({
      script: 'train.py',
      arguments: ['two words', '$HOME'],
      environment: { python: { interpreterPath: '/opt/py/bin/python3', userManagedDependencies: true } },
    });
    expect(interpreter.commandJob.command).toBe("/opt/py/bin/python3 train.py 'two words' '$HOME'");
  });

  it('refuses what Azure ML has no place for, naming the field and what to use instead, all at once, without a secret value', () => {
    const problems = problemsOf({
      properties: {
        cntkSettings: { languageType: 'Python', pythonScriptFilePath: 'cntk.py' },
        mountVolumes: { azureFileShares: [] },
        secrets: [{ name: 'DB_PASSWORD', valueSecretReference: { secretUrl: 'https://kv.vault.azure.net/secrets/db', sourceVault: { id: '/x' } } }],
        containerSettings: { imageSourceRegistry: { image: 'me/img', credentials: { username: 'me', password: 'Registry-Pa55' } } },
        constraints: { maxWallClockTime: '1 day' },
        nodeCount: 0,
        colour: 'blue',
      },
    });
    expect(problems).toEqual([
      {
        path: 'properties.cntkSettings',
        message: 'has no Azure ML counterpart: run CNTK with customToolkitSettings.commandLine (e.g. "python train.py ...") in an environment that has CNTK',
      },
      {
        path: 'properties.mountVolumes',
        message:
          'has no Azure ML counterpart: jobs read data from inputs (a uri_folder on a datastore), not mounted file systems; put small data under mounts/ in the project folder, or register a data asset and pass it as an input',
      },
      { path: 'properties.colour', message: 'is not a field of a Batch AI job (2018-03-01 or 2018-05-01)' },
      { path: 'properties.nodeCount', message: 'must be a whole number, 1 or more (got 0)' },
      {
        path: 'properties.secrets[0].valueSecretReference',
        message: 'is a Key Vault reference, which Azure ML does not put into a job environment: give the value, or read the secret from the workspace Key Vault in the script',
      },
      { path: 'properties.constraints.maxWallClockTime', message: 'must be an ISO 8601 duration such as PT6H (got "1 day")' },
      {
        path: 'properties.containerSettings.imageSourceRegistry.credentials',
        message:
          "would travel in the run definition, which the service shows back: push the image to the workspace's container registry (or let the workspace identity pull it), and leave the credentials out",
      },
    ]);
    expect(JSON.stringify(problems)).not.toContain('Registry-Pa55');
    expect(problemsOf({ nodeCount: 2, pyTorchSettings: { pythonScriptFilePath: 'a.py', processCount: 3 } })).toEqual([
      { path: 'pyTorchSettings.processCount', message: 'must be a multiple of nodeCount (3 processes on 2 nodes)' },
    ]);
    expect(problemsOf({ pyTorchSettings: { pythonScriptFilePath: 'a.py' }, customToolkitSettings: { commandLine: 'x' } })).toEqual([
      { path: 'customToolkitSettings', message: 'a job has one toolkit: pyTorchSettings and customToolkitSettings are both given' },
    ]);
    expect(problemsOf({ nodeCount: 1 })).toEqual([
      { path: 'pyTorchSettings', message: 'the job names no toolkit: give one of pyTorchSettings, tensorFlowSettings, horovodSettings, customMpiSettings, customToolkitSettings' },
    ]);
    expect(problemsOf({ customToolkitSettings: { commandLine: 'python "train.py' } })).toEqual([
      { path: 'customToolkitSettings.commandLine', message: 'cannot be read as a command line: an unterminated " at character 8' },
    ]);
  });

  it('keeps a secret value out of every warning', () => {
    const converted = fromBatchAIJob(example('horovod'));
    expect(JSON.stringify(converted.warnings)).not.toContain('not-a-real-key');
    expect(converted.warnings).toContain(
      "properties.secrets[0] (API_KEY): its value becomes an environment variable of the run, which Azure ML shows with the run's definition; keep secrets in the workspace Key Vault instead",
    );
  });

  it('splits command lines as a POSIX shell does', () => {
    expect(splitShellWords(`a 'b c' "d \\"e\\" $F" g\\ h  ''`)).toEqual(['a', 'b c', 'd "e" $F', 'g h', '']);
  });
});

describe('the examples run against the emulator', () => {
  let emulator: Emulator;
  let scratch: string;
  const client = (api: 'v1' | 'v2', experimentName?: string) =>
    create(
      { access_token: 't', host: emulator.url, management_host: emulator.url },
      { retry: { maxRetries: 0 }, api, workspace: { ...WS, ...(experimentName ? { experimentName } : {}) } },
    );

  beforeAll(async () => {
    scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'azureml-batchai-'));
    emulator = await startEmulator({ dataDir: path.join(scratch, 'data'), computeProvisioningMs: 0 });
    // The PyTorch example names its Batch AI cluster: an Azure ML cluster of that name takes it.
    await client('v2').createCompute('gpu-cluster', { vmSize: 'STANDARD_NC6', maxNodes: 2 });
  });
  afterAll(async () => {
    await emulator.close();
    fs.rmSync(scratch, { recursive: true, force: true });
  });

  async function outputOf(api: 'v1' | 'v2', run: { runId: string; experimentName: string }, file: string): Promise<string> {
    const to = fs.mkdtempSync(path.join(scratch, 'out-'));
    await client(api, run.experimentName).downloadOutputs(run.runId, { to, prefix: file });
    return fs.readFileSync(path.join(to, file), 'utf8');
  }

  for (const api of ['v1', 'v2'] as const) {
    it(`${api}: PyTorch on the gpu-cluster, 2 nodes x 2 processes, reads its input and writes its model`, async () => {
      const run = await client(api).submitBatchAIJob({ project: EXAMPLES, job: example('pytorch'), environmentId: 'azureml:batchai:1' });
      expect(run.experimentName).toBe('batchai-pytorch');
      const details = await client(api, 'batchai-pytorch').waitForRun(run.runId, { initialIntervalMs: 50 });
      expect([details.status, details.target]).toEqual(['Completed', 'gpu-cluster']);
      expect(JSON.parse(await outputOf(api, run, 'outputs/MODEL/models/model.json'))).toEqual({ total: 20, epochs: 2, world_size: 4 });
    });

    it(`${api}: Horovod over MPI, with its secret as a variable`, async () => {
      const run = await client(api).submitBatchAIJob({ project: EXAMPLES, job: example('horovod'), environmentId: 'azureml:batchai:1' });
      const details = await client(api, 'batchai-horovod').waitForRun(run.runId, { initialIntervalMs: 50 });
      expect(details.status).toBe('Completed');
      expect(await outputOf(api, run, 'outputs/MODEL/checkpoint.txt')).toBe('3 steps on 2 processes\n');
    });

    it(`${api}: custom MPI, every rank writing its file`, async () => {
      const run = await client(api).submitBatchAIJob({ project: EXAMPLES, job: example('custom-mpi'), environmentId: 'azureml:batchai:1' });
      await client(api, 'batchai-mpi').waitForRun(run.runId, { initialIntervalMs: 50 });
      for (const rank of [0, 1, 2, 3]) {
        expect(await outputOf(api, run, `outputs/RANKS/rank-${rank}.txt`)).toBe(`rank ${rank} of 4, local rank ${rank % 2}\n`);
      }
    });
  }

  it('v2: TensorFlow workers reach their parameter server, which is stopped when they are done', async () => {
    const run = await client('v2').submitBatchAIJob({ project: EXAMPLES, job: example('tensorflow'), environmentId: 'azureml:batchai:1' });
    const details = await client('v2', 'batchai-tensorflow').waitForRun(run.runId, { initialIntervalMs: 50 });
    expect(details.status).toBe('Completed');
    expect(await outputOf('v2', run, 'outputs/MODEL/weights.txt')).toBe('weights=42\n');
  });

  it('v2: a custom toolkit after its job preparation', async () => {
    const run = await client('v2').submitBatchAIJob({ project: EXAMPLES, job: example('custom-toolkit'), environmentId: 'azureml:batchai:1' });
    let log = '';
    await client('v2', 'batchai-custom').waitForRun(run.runId, { initialIntervalMs: 50, onLog: (text) => (log += text) });
    expect(log).toBe('starting\nprepared: 4 rows\n');
    expect(await outputOf('v2', run, 'outputs/RESULT/result.txt')).toBe('prepared: 4 rows\n');
  });

  it('v1 refuses what it cannot run, and v2 needs an environment, before anything is sent', async () => {
    const before = emulator.runCount();
    await expect(client('v1').submitBatchAIJob({ project: EXAMPLES, job: example('custom-toolkit') })).rejects.toThrow(
      'Action azureml-execution/submitBatchAIJob was given invalid input: job jobPreparation: a v1 run runs one script and has no step before it; submit with the v2 API (--api v2), whose command runs it first; job the command line is not a python script with arguments: a v1 run runs a script; submit with the v2 API (--api v2)',
    );
    await expect(client('v2').submitBatchAIJob({ project: EXAMPLES, job: example('horovod') })).rejects.toThrow(
      "environmentId is required on v2: Batch AI jobs name no environment; register one with the job's image and give its id, e.g. azureml:my-env:1",
    );
    expect(emulator.runCount()).toBe(before);
  });
});
