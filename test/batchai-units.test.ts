/**
 * The Batch AI conversion rule by rule, on small made-up jobs (the examples and the emulator runs
 * are in batchai.test.ts): each field's check and message, each mapping to v1 and v2, the shell
 * words of a command line, and what submitBatchAIJob hands each API.
 */
import { AzureMLValidationError } from '../src';
import { fromBatchAIJob } from '../src/workflow/batchai/from-batchai-job';
import { splitShellWords } from '../src/workflow/batchai/shell-words';
import { submitBatchAIJob, type BatchAISubmitter } from '../src/workflow/batchai/submit-batchai-job';
import { failure, validationError } from './helpers/failure';

const MOUNT_VARS = { AZ_BATCHAI_MOUNT_ROOT: 'mounts', AZ_BATCHAI_JOB_MOUNT_ROOT: 'mounts/job' };
const PY = { pyTorchSettings: { pythonScriptFilePath: 'train.py' } };

const problemsOf = (job: unknown) => validationError(() => fromBatchAIJob(job)).problems;

describe('the job and its fields', () => {
  it('takes the whole resource or its properties, and names paths as given', () => {
    const inner = { ...PY, experimentName: 'exp' };
    const whole = fromBatchAIJob({ name: 'job1', properties: inner });
    expect(fromBatchAIJob(inner)).toEqual(whole);
    expect(whole.experimentName).toBe('exp');
    expect(problemsOf({ properties: { ...PY, nodeCount: 0 } })).toEqual([{ path: 'properties.nodeCount', message: 'must be a whole number, 1 or more (got 0)' }]);
    expect(problemsOf({ ...PY, nodeCount: 0 })).toEqual([{ path: 'nodeCount', message: 'must be a whole number, 1 or more (got 0)' }]);
    // With a toolkit or nodeCount beside it, `properties` is a field of the job, not the job.
    expect(problemsOf({ ...PY, properties: {} })).toEqual([{ path: 'properties', message: 'is not a field of a Batch AI job (2018-03-01 or 2018-05-01)' }]);
    expect(problemsOf({ nodeCount: 1, properties: PY })[0]).toEqual({ path: 'properties', message: 'is not a field of a Batch AI job (2018-03-01 or 2018-05-01)' });
    for (const job of [undefined, null, 'job.json', [PY]]) {
      expect(problemsOf(job)).toEqual([{ path: '', message: 'must be a Batch AI job: its JSON object, or the object of its properties' }]);
    }
    expect(fromBatchAIJob({ ...PY, experimentName: '' })).not.toHaveProperty('experimentName');
  });

  it('warns about the informative fields, skips the read-only and null ones, and allows nodeCount to be left out', () => {
    const out = fromBatchAIJob({
      ...PY,
      stdOutErrPathPrefix: '$AZ_BATCHAI_MOUNT_ROOT/logs',
      priority: 'high',
      toolType: 'pytorch',
      cntkSettings: null,
      mountVolumes: undefined,
      creationTime: '2018-01-01',
      executionState: 'succeeded',
      executionInfo: {},
      provisioningState: 'succeeded',
      jobOutputDirectoryPathSegment: 'x',
      executionStateTransitionTime: 't',
      provisioningStateTransitionTime: 't',
    });
    expect(out.warnings).toEqual([
      'stdOutErrPathPrefix: Azure ML keeps stdout and stderr as the run logs (azureml-logs/, user_logs/): stdOutErrPathPrefix is not used',
      'priority: Azure ML compute clusters queue jobs in order: priority is not carried',
      'toolType: the toolkit settings say the tool: toolType is not carried',
    ]);
    expect(fromBatchAIJob({ ...PY, priority: null }).warnings).toEqual([]);
    expect(out.definition?.configuration?.nodeCount).toBe(1);
    expect(problemsOf({ ...PY, nodeCount: '2' })).toEqual([{ path: 'nodeCount', message: 'must be a whole number, 1 or more (got "2")' }]);
    expect(problemsOf({ ...PY, nodeCount: 1.5, caffe2Settings: {}, chainerSettings: {}, caffeSettings: {} }).map((p) => p.path)).toEqual([
      'caffe2Settings',
      'chainerSettings',
      'caffeSettings',
      'nodeCount',
    ]);
  });

  it('makes input directories variables, with the mount roots in the project, and says where each is read', () => {
    const out = fromBatchAIJob({
      ...PY,
      inputDirectories: [
        { id: 'DATA', path: '$AZ_BATCHAI_MOUNT_ROOT/data' },
        { id: 'jobdata', path: '${AZ_BATCHAI_JOB_MOUNT_ROOT}/x/$AZ_BATCHAI_UNKNOWN' },
        { id: 'abs', path: '/datasets/imagenet' },
        { id: 'rel_1', path: 'local/data' },
      ],
    });
    expect(out.commandJob.environmentVariables).toEqual({
      ...MOUNT_VARS,
      AZ_BATCHAI_INPUT_DATA: 'mounts/data',
      AZ_BATCHAI_INPUT_jobdata: 'mounts/job/x/$AZ_BATCHAI_UNKNOWN',
      AZ_BATCHAI_INPUT_abs: '/datasets/imagenet',
      AZ_BATCHAI_INPUT_rel_1: 'local/data',
    });
    expect(out.warnings).toEqual([
      'inputDirectories[0] (DATA): $AZ_BATCHAI_MOUNT_ROOT/data is read from mounts/data in the project folder; for large data, register a data asset and pass it as a v2 input',
      'inputDirectories[1] (jobdata): ${AZ_BATCHAI_JOB_MOUNT_ROOT}/x/$AZ_BATCHAI_UNKNOWN is read from mounts/job/x/$AZ_BATCHAI_UNKNOWN in the project folder; for large data, register a data asset and pass it as a v2 input',
      'inputDirectories[2] (abs): /datasets/imagenet is an absolute path of the Batch AI node; it must exist where the job runs',
    ]);
    expect(problemsOf({ ...PY, inputDirectories: [{ path: 'x' }, { id: 'a-b', path: 'x' }, { id: 'ok' }, { id: 'ok2', path: '' }] })).toEqual([
      { path: 'inputDirectories[0].id', message: 'must be letters, digits and _' },
      { path: 'inputDirectories[1].id', message: 'must be letters, digits and _' },
      { path: 'inputDirectories[2].path', message: 'is required' },
      { path: 'inputDirectories[3].path', message: 'is required' },
    ]);
    expect(problemsOf({ ...PY, inputDirectories: { id: 'x' }, outputDirectories: ['x'], secrets: null })).toEqual([
      { path: 'inputDirectories', message: 'must be a list of objects' },
      { path: 'outputDirectories', message: 'must be a list of objects' },
    ]);
    expect(problemsOf({ ...PY, inputDirectories: [{ id: 'x y', path: 'p' }] })[0].path).toBe('inputDirectories[0].id');
  });

  it('puts output directories under outputs/, makes the new ones first, and refuses a repeated id or a climbing suffix', () => {
    const out = fromBatchAIJob({
      ...PY,
      outputDirectories: [
        { id: 'MODEL', pathPrefix: '$AZ_BATCHAI_MOUNT_ROOT/out', pathSuffix: '//models/v1//' },
        { id: 'logs', createNew: false },
        { id: 'tmp', pathSuffix: '' },
      ],
    });
    expect(out.commandJob.environmentVariables).toEqual({
      ...MOUNT_VARS,
      AZ_BATCHAI_OUTPUT_MODEL: 'outputs/MODEL/models/v1',
      AZ_BATCHAI_OUTPUT_logs: 'outputs/logs',
      AZ_BATCHAI_OUTPUT_tmp: 'outputs/tmp',
    });
    expect(out.commandJob.command).toBe('mkdir -p outputs/MODEL/models/v1 outputs/tmp && python train.py');
    expect(out.warnings).toEqual([
      'outputDirectories[0] (MODEL): written to outputs/MODEL/models/v1 instead of $AZ_BATCHAI_MOUNT_ROOT/out, so that it becomes an artifact of the run',
      'outputDirectories[1] (logs): written to outputs/logs instead of its pathPrefix, so that it becomes an artifact of the run',
      'outputDirectories[2] (tmp): written to outputs/tmp instead of its pathPrefix, so that it becomes an artifact of the run',
      'v1: the script creates its output directories (outputs/MODEL/models/v1, outputs/tmp) itself; v2 creates them before the command',
    ]);
    expect(problemsOf({ ...PY, outputDirectories: [{ id: 'out' }, { id: 'OUT' }, { id: 'a', pathSuffix: 'x/../..' }, { id: '' }] })).toEqual([
      { path: 'outputDirectories[1].id', message: 'OUT is used by another output directory' },
      { path: 'outputDirectories[2].pathSuffix', message: 'must not contain ..' },
      { path: 'outputDirectories[3].id', message: 'must be letters, digits and _' },
    ]);
  });

  it('takes variables and secret values (warning without the value), and names each one that is wrong', () => {
    const out = fromBatchAIJob({
      ...PY,
      environmentVariables: [{ name: 'A', value: '1' }],
      secrets: [{ name: 'KEY', value: 'hunter2-secret' }],
    });
    expect(out.commandJob.environmentVariables).toEqual({ A: '1', KEY: 'hunter2-secret', ...MOUNT_VARS });
    expect(out.warnings).toEqual([
      "secrets[0] (KEY): its value becomes an environment variable of the run, which Azure ML shows with the run's definition; keep secrets in the workspace Key Vault instead",
    ]);
    expect(
      problemsOf({ ...PY, environmentVariables: [{ name: 'A' }, { value: '1' }, { name: '', value: '' }], secrets: [{ value: 'x' }, { name: 'S' }, { name: 'T', value: 5 }] }),
    ).toEqual([
      { path: 'environmentVariables[0]', message: 'needs a name and a string value' },
      { path: 'environmentVariables[1]', message: 'needs a name and a string value' },
      { path: 'environmentVariables[2]', message: 'needs a name and a string value' },
      { path: 'secrets[0].name', message: 'is required' },
      { path: 'secrets[1].value', message: 'is required (a string)' },
      { path: 'secrets[2].value', message: 'is required (a string)' },
    ]);
  });

  it('maps the time limit, the cluster and the container, and names each that is wrong', () => {
    const out = fromBatchAIJob({
      ...PY,
      nodeCount: 2,
      constraints: { maxWallClockTime: 'P1DT2H' },
      cluster: { id: '/subscriptions/s/resourceGroups/rg/providers/Microsoft.BatchAI/workspaces/w/clusters/gpu-cluster/' },
      containerSettings: { imageSourceRegistry: { image: 'pytorch/pytorch:1.0', credentials: null } },
    });
    expect(out.commandJob).toStrictEqual({
      jobType: 'Command',
      command: 'python train.py',
      environmentVariables: MOUNT_VARS,
      computeId: 'gpu-cluster',
      resources: { instanceCount: 2 },
      distribution: { distributionType: 'PyTorch', processCountPerInstance: 1 },
      limits: { jobLimitsType: 'Command', timeout: 'PT93600S' },
    });
    expect(out.definition).toStrictEqual({
      configuration: {
        script: 'train.py',
        arguments: [],
        framework: 'PyTorch',
        communicator: 'Gloo',
        nodeCount: 2,
        target: 'gpu-cluster',
        environment: { environmentVariables: MOUNT_VARS, docker: { baseImage: 'pytorch/pytorch:1.0', enabled: true } },
        maxRunDurationSeconds: 93600,
      },
    });
    expect(out.warnings).toEqual([
      'cluster: runs on the Azure ML compute cluster gpu-cluster; create it first (azureml-exec compute create gpu-cluster --vm-size <size> --max-nodes 2)',
      'containerSettings: v2 takes an environment, not an image: register one with pytorch/pytorch:1.0 (az ml environment create --image pytorch/pytorch:1.0) and give its environmentId',
    ]);
    expect(problemsOf({ ...PY, constraints: 'PT1H', cluster: { name: 'gpu' }, containerSettings: { imageSourceRegistry: {} }, jobPreparation: { commandLine: ' ' } })).toEqual([
      { path: 'constraints.maxWallClockTime', message: 'must be an ISO 8601 duration such as PT6H (got undefined)' },
      { path: 'cluster.id', message: 'is required: the Batch AI cluster resource id' },
      { path: 'containerSettings.imageSourceRegistry.image', message: 'is required' },
      { path: 'jobPreparation.commandLine', message: 'is required: what to run before the job' },
    ]);
    expect(problemsOf({ ...PY, cluster: 'gpu', containerSettings: 'img', jobPreparation: 'pip install x', constraints: { maxWallClockTime: 3600 } })).toEqual([
      { path: 'constraints.maxWallClockTime', message: 'must be an ISO 8601 duration such as PT6H (got 3600)' },
      { path: 'cluster.id', message: 'is required: the Batch AI cluster resource id' },
      { path: 'containerSettings.imageSourceRegistry.image', message: 'is required' },
      { path: 'jobPreparation.commandLine', message: 'is required: what to run before the job' },
    ]);
    // Left out, or null: nothing to map, nothing wrong.
    const bare = fromBatchAIJob({ ...PY, constraints: null, cluster: null, containerSettings: null, jobPreparation: null });
    expect(bare.commandJob).toStrictEqual({ jobType: 'Command', command: 'python train.py', environmentVariables: MOUNT_VARS });
    expect(bare.definition?.configuration).toStrictEqual({
      script: 'train.py',
      arguments: [],
      framework: 'PyTorch',
      communicator: 'None',
      nodeCount: 1,
      target: 'local',
      environment: { environmentVariables: MOUNT_VARS },
    });
  });

  it('runs the job preparation first on v2 (and says v1 cannot), once per process when a node has several', () => {
    const out = fromBatchAIJob({
      nodeCount: 1,
      jobPreparation: { commandLine: 'pip install -r $AZ_BATCHAI_JOB_MOUNT_ROOT/req.txt' },
      horovodSettings: { pythonScriptFilePath: 'hvd.py', processCount: 2 },
    });
    expect(out.commandJob.command).toBe('(pip install -r mounts/job/req.txt) && python hvd.py');
    expect(out.definition).toBeUndefined();
    expect(out.v1Blockers).toEqual(['jobPreparation: a v1 run runs one script and has no step before it; submit with the v2 API (--api v2), whose command runs it first']);
    expect(out.warnings).toEqual(['jobPreparation: runs before the job in each of the 2 processes of a node (Batch AI ran it once per node)']);
    expect(fromBatchAIJob({ ...PY, jobPreparation: { commandLine: 'echo hi' } }).warnings).toEqual([]);
  });
});

describe('values of the wrong type', () => {
  it('names each field whose value is there but not of its type, rather than failing on it', () => {
    expect(
      problemsOf({
        ...PY,
        inputDirectories: [
          { id: 5, path: 'x' },
          { id: 'a', path: 5 },
        ],
        outputDirectories: [{ id: 7 }, { id: 'b-' }, { id: 'c', pathSuffix: 5 }, { id: 'a-b' }],
        environmentVariables: [{ name: 5, value: '1' }],
        secrets: [{ name: 6, value: 'x' }],
        cluster: { id: 5 },
        containerSettings: { imageSourceRegistry: { image: 5 } },
      }),
    ).toEqual([
      { path: 'inputDirectories[0].id', message: 'must be letters, digits and _' },
      { path: 'inputDirectories[1].path', message: 'is required' },
      { path: 'outputDirectories[0].id', message: 'must be letters, digits and _' },
      { path: 'outputDirectories[1].id', message: 'must be letters, digits and _' },
      { path: 'outputDirectories[2].pathSuffix', message: 'must be a string' },
      { path: 'outputDirectories[3].id', message: 'must be letters, digits and _' },
      { path: 'environmentVariables[0]', message: 'needs a name and a string value' },
      { path: 'secrets[0].name', message: 'is required' },
      { path: 'cluster.id', message: 'is required: the Batch AI cluster resource id' },
      { path: 'containerSettings.imageSourceRegistry.image', message: 'is required' },
    ]);
    expect(problemsOf({ ...PY, inputDirectories: [{ id: 'a', path: 'x' }, 'b'] })).toEqual([{ path: 'inputDirectories', message: 'must be a list of objects' }]);
    expect(problemsOf({ pyTorchSettings: { pythonScriptFilePath: 5, pythonInterpreterPath: 7 } })).toEqual([
      { path: 'pyTorchSettings.pythonScriptFilePath', message: 'is required: the script to run' },
    ]);
  });

  it('leaves out an interpreter, a time limit or an experiment name that is empty or not a string', () => {
    const out = fromBatchAIJob({ experimentName: 5, toolType: undefined, pyTorchSettings: { pythonScriptFilePath: 't.py', pythonInterpreterPath: '' } });
    expect([out.commandJob.command, out.definition?.configuration?.environment, out.warnings, out]).toEqual([
      'python t.py',
      { environmentVariables: MOUNT_VARS },
      [],
      expect.not.objectContaining({ experimentName: expect.anything() }),
    ]);
    expect(problemsOf({ ...PY, constraints: { maxWallClockTime: 'PT' } })).toEqual([
      { path: 'constraints.maxWallClockTime', message: 'must be an ISO 8601 duration such as PT6H (got "PT")' },
    ]);
  });

  it('takes the last segment of a cluster id with any trailing slashes, and keeps ./ inside a script path', () => {
    expect(fromBatchAIJob({ ...PY, cluster: { id: '/x/clusters/gpu//' } }).commandJob.computeId).toBe('gpu');
    expect(fromBatchAIJob({ pyTorchSettings: { pythonScriptFilePath: 'src/./t.py' } }).commandJob.command).toBe('python src/./t.py');
    expect(fromBatchAIJob({ customToolkitSettings: { commandLine: 'python src/./t.py' } }).definition?.configuration?.script).toBe('src/./t.py');
  });

  it('accepts each PyTorch backend in either case', () => {
    for (const backend of ['TCP', 'Gloo', 'MPI', 'tcp', 'gloo', 'mpi']) {
      expect(() => fromBatchAIJob({ pyTorchSettings: { pythonScriptFilePath: 't.py', communicationBackend: backend } })).not.toThrow();
    }
  });

  it('treats empty or null TensorFlow arguments as not given, and a parameter server count alone as distributed', () => {
    const tf = (settings: Record<string, unknown>) => fromBatchAIJob({ tensorFlowSettings: { pythonScriptFilePath: 'tf.py', ...settings } });
    expect(tf({ masterCommandLineArgs: '', workerCommandLineArgs: '--w' }).commandJob.command).toBe('python tf.py --w');
    expect(tf({ masterCommandLineArgs: null, workerCommandLineArgs: '--w' }).commandJob.command).toBe('python tf.py --w');
    const single = tf({});
    expect(single.definition?.configuration).toMatchObject({ framework: 'TensorFlow', communicator: 'None' });
    const ps = tf({ parameterServerCount: 1 });
    expect(ps.commandJob.distribution).toEqual({ distributionType: 'TensorFlow', workerCount: 1, parameterServerCount: 1 });
    // The same arguments for master and workers: nothing to say.
    expect(tf({ workerCount: 2, masterCommandLineArgs: '--a', workerCommandLineArgs: '--a' }).warnings).toEqual([]);
  });

  it('runs a command line as a v1 script only when it is python and a .py file', () => {
    for (const line of ['python a.pyx', 'python a.py.bak', 'python-config a.py', 'python2to3 a.py']) {
      expect([line, fromBatchAIJob({ customToolkitSettings: { commandLine: line } }).definition]).toEqual([line, undefined]);
    }
  });

  it('says every argument v1 passes without a shell', () => {
    expect(fromBatchAIJob({ pyTorchSettings: { pythonScriptFilePath: 't.py', commandLineArgs: '--a $X --b ${Y}' } }).warnings).toEqual([
      'v1: arguments are passed without a shell, so $X ${Y} stay as written; v2 runs them in a shell',
    ]);
  });
});

describe('the toolkits', () => {
  it('names a toolkit that is missing, repeated or not an object; an unsupported one is named alone', () => {
    expect(problemsOf({ pyTorchSettings: 'train.py' })).toEqual([{ path: 'pyTorchSettings', message: 'must be an object' }]);
    expect(problemsOf({ tensorFlowSettings: {}, horovodSettings: {}, customMpiSettings: {} })).toEqual([
      { path: 'horovodSettings', message: 'a job has one toolkit: tensorFlowSettings and horovodSettings and customMpiSettings are both given' },
    ]);
    expect(problemsOf({ properties: { cntkSettings: {} } })).toEqual([
      {
        path: 'properties.cntkSettings',
        message: 'has no Azure ML counterpart: run CNTK with customToolkitSettings.commandLine (e.g. "python train.py ...") in an environment that has CNTK',
      },
    ]);
    expect(problemsOf({ pyTorchSettings: null, nodeCount: 1 })[0].message).toMatch(/^the job names no toolkit/);
  });

  it('reads the script, its interpreter and its arguments, with the mount roots expanded', () => {
    const out = fromBatchAIJob({
      pyTorchSettings: {
        pythonScriptFilePath: './src/train.py',
        pythonInterpreterPath: '$AZ_BATCHAI_MOUNT_ROOT/venv/bin/python',
        commandLineArgs: "--data $AZ_BATCHAI_MOUNT_ROOT/d --name 'a b' --home $HOME",
      },
    });
    expect(out.commandJob.command).toBe("mounts/venv/bin/python src/train.py --data mounts/d --name 'a b' --home '$HOME'");
    expect(out.definition?.configuration).toMatchObject({
      script: 'src/train.py',
      arguments: ['--data', 'mounts/d', '--name', 'a b', '--home', '$HOME'],
      environment: { environmentVariables: MOUNT_VARS, python: { interpreterPath: 'mounts/venv/bin/python', userManagedDependencies: true } },
    });
    expect(out.warnings).toEqual(['v1: arguments are passed without a shell, so $HOME stay as written; v2 runs them in a shell']);
    const abs = fromBatchAIJob({ pyTorchSettings: { pythonScriptFilePath: '/mnt/abs/x.py', commandLineArgs: '' } });
    expect([abs.commandJob.command, abs.warnings]).toEqual([
      'python x.py',
      ['pyTorchSettings.pythonScriptFilePath: /mnt/abs/x.py is a path of the Batch AI node; the run runs x.py from the project folder'],
    ]);
    expect(problemsOf({ pyTorchSettings: { pythonScriptFilePath: '', commandLineArgs: 7, pythonInterpreterPath: '' } })).toEqual([
      { path: 'pyTorchSettings.pythonScriptFilePath', message: 'is required: the script to run' },
      { path: 'pyTorchSettings.commandLineArgs', message: 'must be a string (a command line)' },
    ]);
    expect(problemsOf({ pyTorchSettings: { pythonScriptFilePath: 'a.py', commandLineArgs: "--x 'y" } })).toEqual([
      { path: 'pyTorchSettings.commandLineArgs', message: "cannot be read as a command line: an unterminated ' at character 5" },
    ]);
  });

  it('maps PyTorch: processes per node, Gloo (TCP too, with a warning) or MPI, and no distribution for one process', () => {
    const torch = (settings: Record<string, unknown>, nodeCount = 2) => fromBatchAIJob({ nodeCount, pyTorchSettings: { pythonScriptFilePath: 't.py', ...settings } });
    const gloo = torch({ processCount: 4 });
    expect([gloo.commandJob.distribution, gloo.definition?.configuration?.communicator, gloo.definition?.configuration?.mpi]).toEqual([
      { distributionType: 'PyTorch', processCountPerInstance: 2 },
      'Gloo',
      { processCountPerNode: 2 },
    ]);
    const mpi = torch({ communicationBackend: 'mpi' });
    expect([mpi.commandJob.distribution, mpi.definition?.configuration?.communicator, mpi.definition?.configuration?.mpi]).toEqual([
      { distributionType: 'Mpi', processCountPerInstance: 1 },
      'Mpi',
      { processCountPerNode: 1 },
    ]);
    expect(torch({ communicationBackend: 'TCP' }).warnings).toEqual(["pyTorchSettings.communicationBackend: TCP is Gloo in Azure ML (PyTorch's TCP backend was removed)"]);
    expect(torch({ communicationBackend: 'Gloo' }).warnings).toEqual([]);
    const single = torch({ communicationBackend: 'MPI' }, 1);
    expect([single.commandJob.distribution, single.definition?.configuration?.communicator, single.definition?.configuration?.mpi]).toEqual([undefined, 'None', undefined]);
    expect(problemsOf({ pyTorchSettings: { pythonScriptFilePath: 't.py', communicationBackend: 'nccl', processCount: 0 } })).toEqual([
      { path: 'pyTorchSettings.processCount', message: 'must be a whole number, 1 or more (got 0)' },
      { path: 'pyTorchSettings.communicationBackend', message: 'must be TCP, Gloo or MPI (got "nccl")' },
    ]);
  });

  it('maps TensorFlow: one process with the master (else worker) arguments, or workers and parameter servers', () => {
    const tf = (settings: Record<string, unknown>, nodeCount?: number) =>
      fromBatchAIJob({ ...(nodeCount ? { nodeCount } : {}), tensorFlowSettings: { pythonScriptFilePath: 'tf.py', ...settings } });
    const single = tf({ masterCommandLineArgs: '--m', workerCommandLineArgs: '--w' });
    expect([single.commandJob.command, single.commandJob.distribution, single.definition?.configuration?.communicator]).toEqual(['python tf.py --m', undefined, 'None']);
    expect(tf({ workerCommandLineArgs: '--w' }).commandJob.command).toBe('python tf.py --w');
    expect(tf({}).commandJob.command).toBe('python tf.py');
    // Several nodes: one worker each and Batch AI's one parameter server, all with the same arguments.
    const nodes = tf({ workerCommandLineArgs: '--w', parameterServerCommandLineArgs: '--w' }, 3);
    expect(nodes.commandJob.command).toBe('python tf.py --w');
    expect(nodes.commandJob.distribution).toEqual({ distributionType: 'TensorFlow', workerCount: 3, parameterServerCount: 1 });
    expect(nodes.definition?.configuration).toMatchObject({ framework: 'TensorFlow', communicator: 'ParameterServer', tensorflow: { workerCount: 3, parameterServerCount: 1 } });
    // No parameter server: their arguments do not matter; the master's arguments go to worker 0 alone, on v2.
    const roles = tf({ workerCount: 2, parameterServerCount: 0, workerCommandLineArgs: '--w', masterCommandLineArgs: '--m', parameterServerCommandLineArgs: '--p' });
    expect(roles.commandJob.distribution).toEqual({ distributionType: 'TensorFlow', workerCount: 2, parameterServerCount: 0 });
    expect(roles.commandJob.command).toBe(
      `case "$(python -c 'import json,os;t=json.loads(os.environ["TF_CONFIG"])["task"];print(t["type"]+str(t["index"]))')" in worker0) python tf.py --m ;; *) python tf.py --w ;; esac`,
    );
    expect(roles.warnings).toEqual(["tensorFlowSettings.masterCommandLineArgs: Azure ML's TF_CONFIG has workers and parameter servers; worker 0 takes the master's arguments"]);
    expect(roles.v1Blockers).toEqual(['TensorFlow roles with their own arguments: a v1 run gives every process the same arguments; submit with the v2 API (--api v2)']);
    const ps = tf({ workerCount: 1, parameterServerCommandLineArgs: '--ps', pythonInterpreterPath: 'python3.9' });
    expect(ps.commandJob.command).toBe(
      `case "$(python3.9 -c 'import json,os;t=json.loads(os.environ["TF_CONFIG"])["task"];print(t["type"]+str(t["index"]))')" in ps*) python3.9 tf.py --ps ;; *) python3.9 tf.py ;; esac`,
    );
    // The master's arguments alone are everyone's.
    const master = tf({ workerCount: 2, masterCommandLineArgs: '--m' });
    expect([master.commandJob.command, master.warnings, master.v1Blockers]).toEqual(['python tf.py --m', [], []]);
    expect(problemsOf({ tensorFlowSettings: { pythonScriptFilePath: 'tf.py', workerCount: 0, parameterServerCount: -1 } })).toEqual([
      { path: 'tensorFlowSettings.workerCount', message: 'must be a whole number, 1 or more (got 0)' },
      { path: 'tensorFlowSettings.parameterServerCount', message: 'must be a whole number, 0 or more (got -1)' },
    ]);
  });

  it('maps Horovod and custom MPI to MPI, and a custom toolkit to its command line, a python one to a v1 script', () => {
    const hvd = fromBatchAIJob({ nodeCount: 2, horovodSettings: { pythonScriptFilePath: 'h.py', processCount: 4, commandLineArgs: '--e 1' } });
    expect(hvd.commandJob).toMatchObject({ command: 'python h.py --e 1', distribution: { distributionType: 'Mpi', processCountPerInstance: 2 }, resources: { instanceCount: 2 } });
    expect(hvd.definition?.configuration).toMatchObject({ framework: 'Python', communicator: 'Mpi', mpi: { processCountPerNode: 2 } });
    const one = fromBatchAIJob({ horovodSettings: { pythonScriptFilePath: 'h.py' } });
    expect(one.definition?.configuration?.mpi).toEqual({ processCountPerNode: 1 });

    const mpi = fromBatchAIJob({ nodeCount: 2, customMpiSettings: { commandLine: 'mpirun -n 4 ./app | tee log' } });
    expect(mpi.commandJob).toMatchObject({ command: 'mpirun -n 4 ./app | tee log', distribution: { distributionType: 'Mpi', processCountPerInstance: 1 } });
    expect(mpi.v1Blockers).toEqual(['the command line is not a python script with arguments: a v1 run runs a script; submit with the v2 API (--api v2)']);
    expect(problemsOf({ nodeCount: 2, customMpiSettings: { commandLine: 'x', processCount: 3 } })).toEqual([
      { path: 'customMpiSettings.processCount', message: 'must be a multiple of nodeCount (3 processes on 2 nodes)' },
    ]);

    const script = fromBatchAIJob({ customToolkitSettings: { commandLine: '$AZ_BATCHAI_MOUNT_ROOT/env/bin/python3.8 ./run.py --in $AZ_BATCHAI_MOUNT_ROOT/x' } });
    expect(script.definition?.configuration).toMatchObject({
      script: 'run.py',
      arguments: ['--in', 'mounts/x'],
      framework: 'Python',
      communicator: 'None',
      environment: { python: { interpreterPath: 'mounts/env/bin/python3.8' } },
    });
    expect(script.commandJob.command).toBe('mounts/env/bin/python3.8 run.py --in mounts/x');
    expect(script.commandJob.distribution).toBeUndefined();
    for (const python of ['python', 'python3']) {
      const plain = fromBatchAIJob({ customToolkitSettings: { commandLine: `${python} a.py` } });
      expect([plain.commandJob.command, plain.definition?.configuration?.environment]).toEqual(['python a.py', { environmentVariables: MOUNT_VARS }]);
    }
    for (const line of [
      'python a.py && echo done',
      'python a.py > out',
      'python a.sh',
      'python',
      'bash python.py',
      'mypython a.py',
      'python a.py; x',
      'python a.py `x`',
      'python a.py (x)',
    ]) {
      const custom = fromBatchAIJob({ customToolkitSettings: { commandLine: line } });
      expect([line, custom.commandJob.command, custom.definition]).toEqual([line, line, undefined]);
    }
    expect(problemsOf({ customToolkitSettings: { commandLine: '  ' } })).toEqual([{ path: 'customToolkitSettings.commandLine', message: 'is required: what the job runs' }]);
    expect(problemsOf({ customToolkitSettings: {} })).toEqual([{ path: 'customToolkitSettings.commandLine', message: 'is required: what the job runs' }]);
  });

  it('gives the environment it is told to the command job', () => {
    expect(fromBatchAIJob(PY, { environmentId: 'azureml:torch:1' }).commandJob.environmentId).toBe('azureml:torch:1');
    expect(fromBatchAIJob(PY).commandJob).not.toHaveProperty('environmentId');
  });
});

describe('splitShellWords', () => {
  it('splits on any blank, keeps quoted text, and takes backslashes as a shell does', () => {
    expect(splitShellWords('')).toEqual([]);
    expect(splitShellWords('  a\tb\nc  ')).toEqual(['a', 'b', 'c']);
    expect(splitShellWords(`''`)).toEqual(['']);
    expect(splitShellWords(`""`)).toEqual(['']);
    expect(splitShellWords(`a'b c'd`)).toEqual(['ab cd']);
    expect(splitShellWords(`"a\\b" "\\$x" "\\\\" "\\\`"`)).toEqual(['a\\b', '$x', '\\', '`']);
    expect(splitShellWords(`"a\\""`)).toEqual(['a"']);
    expect(splitShellWords('a\\')).toEqual(['a\\']);
    expect(splitShellWords('\\ a')).toEqual([' a']);
    expect(splitShellWords('\\x y')).toEqual(['x', 'y']);
    expect(splitShellWords('a "b c"d')).toEqual(['a', 'b cd']);
  });

  it('says where an unterminated quote starts', () => {
    expect(() => splitShellWords(`a 'b`)).toThrow("an unterminated ' at character 3");
    expect(() => splitShellWords(`ab "c\\"`)).toThrow('an unterminated " at character 4');
    expect(() => splitShellWords(`"`)).toThrow('an unterminated " at character 1');
  });
});

describe('submitBatchAIJob', () => {
  function submitter(api: 'v1' | 'v2', defaultExperiment?: string) {
    const calls: Array<{ kind: string; input: unknown; options: unknown }> = [];
    const client: BatchAISubmitter = {
      api,
      defaultExperiment,
      submitRun: async (input, options) => {
        calls.push({ kind: 'run', input, options });
        return { runId: 'r1' } as never;
      },
      submitJob: async (input, options) => {
        calls.push({ kind: 'job', input, options });
        return { runId: 'j1' } as never;
      },
    };
    return { client, calls };
  }
  const job = {
    experimentName: 'from-job',
    nodeCount: 2,
    cluster: { id: '/x/clusters/gpu' },
    constraints: { maxWallClockTime: 'PT1H' },
    environmentVariables: [{ name: 'A', value: '1' }],
    pyTorchSettings: { pythonScriptFilePath: 't.py', commandLineArgs: '--x 1' },
  };

  it('hands v2 the command job, with the experiment of the call, else the client, else the job', async () => {
    const { client, calls } = submitter('v2', 'client-exp');
    const options = { concurrency: 2 };
    const out = await submitBatchAIJob(client, { project: '/p', job, environmentId: 'azureml:e:1', runId: 'mine' }, options);
    expect(calls).toEqual([
      {
        kind: 'job',
        input: {
          project: '/p',
          command: 'python t.py --x 1',
          environmentId: 'azureml:e:1',
          computeId: 'gpu',
          environmentVariables: { A: '1', ...MOUNT_VARS },
          instanceCount: 2,
          distribution: { distributionType: 'PyTorch', processCountPerInstance: 1 },
          timeout: 'PT3600S',
          experimentName: 'client-exp',
          jobName: 'mine',
        },
        options,
      },
    ]);
    expect(out).toEqual({ runId: 'j1', warnings: fromBatchAIJob(job).warnings });
    const bare = submitter('v2');
    await submitBatchAIJob(bare.client, { project: '/p', job: PY, environmentId: 'e' });
    expect(bare.calls[0].input).toStrictEqual({ project: '/p', command: 'python train.py', environmentId: 'e', environmentVariables: MOUNT_VARS });
    const named = submitter('v2', 'client-exp');
    await submitBatchAIJob(named.client, { project: '/p', job, environmentId: 'e', experimentName: 'call-exp' });
    expect((named.calls[0].input as { experimentName: string }).experimentName).toBe('call-exp');
    const fromJob = submitter('v2');
    await submitBatchAIJob(fromJob.client, { project: '/p', job, environmentId: 'e' });
    expect((fromJob.calls[0].input as { experimentName: string }).experimentName).toBe('from-job');
  });

  it('hands v1 the run definition, and refuses on v1 what only v2 can run', async () => {
    const { client, calls } = submitter('v1');
    const out = await submitBatchAIJob(client, { project: '/p', job, runId: 'r9' });
    expect(calls).toEqual([{ kind: 'run', input: { project: '/p', definition: fromBatchAIJob(job).definition, runId: 'r9', experimentName: 'from-job' }, options: {} }]);
    expect(out.warnings).toEqual(fromBatchAIJob(job).warnings);
    const plain = submitter('v1');
    await submitBatchAIJob(plain.client, { project: '/p', job: PY });
    expect(plain.calls[0].input).toStrictEqual({ project: '/p', definition: fromBatchAIJob(PY).definition });
    const error = await failure(submitBatchAIJob(plain.client, { project: '/p', job: { customToolkitSettings: { commandLine: 'make all' } } }));
    expect(error).toBeInstanceOf(AzureMLValidationError);
    expect((error as AzureMLValidationError).problems).toEqual([
      { path: 'job', message: 'the command line is not a python script with arguments: a v1 run runs a script; submit with the v2 API (--api v2)' },
    ]);
    expect(plain.calls).toHaveLength(1);
  });

  it('refuses a missing project, and v2 without an environment, before anything is sent', async () => {
    const { client, calls } = submitter('v2');
    for (const input of [undefined, { job: PY }, { project: '', job: PY }, { project: 3, job: PY }]) {
      expect((await failure(submitBatchAIJob(client, input as never))).message).toBe(
        'Action azureml-execution/submitBatchAIJob was given invalid input: project is required: the folder with the job scripts',
      );
    }
    expect((await failure(submitBatchAIJob(client, { project: '/p', job: PY }))).message).toBe(
      "Action azureml-execution/submitBatchAIJob was given invalid input: environmentId is required on v2: Batch AI jobs name no environment; register one with the job's image and give its id, e.g. azureml:my-env:1",
    );
    expect(calls).toEqual([]);
  });
});
