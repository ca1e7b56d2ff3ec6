/**
 * toCommandJob: v1 run definitions (real ones from test/fixtures/definitions, and made-up ones for
 * each mapping) as v2 command jobs that pass the v2 schema, with every field v2 has no place for
 * named.
 */
import * as fs from 'fs';
import * as path from 'path';
import { AzureMLValidationError } from '../src';
import { v2Spec } from '../src/spec/arm/spec';
import { validateSchema } from '../src/spec/validate';
import { shellQuote, toCommandJob } from '../src/workflow/v2/to-command-job';

const createJob = v2Spec.operations.find((o) => o.operationId === 'Jobs_CreateOrUpdate')!;
const problemsOf = (job: unknown) =>
  validateSchema(createJob.inputSchema, { subscriptionId: 's', resourceGroupName: 'rg', workspaceName: 'my-workspace', id: 'job-1', body: { properties: job } });
const fixture = (name: string) => {
  const parsed = JSON.parse(fs.readFileSync(path.join(__dirname, 'fixtures', 'definitions', name), 'utf8'));
  return parsed.definition ?? parsed;
};

it('converts the TensorFlow MNIST definition of MLOps samples, naming what v2 has no place for', () => {
  const { job, dropped } = toCommandJob(fixture('mlops-tf-mnist.json'), { environmentId: 'azureml:tf:2', experimentName: 'mnist', codeId: 'code-1' });
  expect(job).toEqual({
    jobType: 'Command',
    command: 'python project/tf_mnist_train.py --minibatch_size 64 --learning_rate 0.001 --keep_probability 0.5 --output_dir outputs --num_iterations 1000',
    environmentId: 'azureml:tf:2',
    codeId: 'code-1',
    computeId: 'testCompute',
    experimentName: 'mnist',
    environmentVariables: { EXAMPLE_ENV_VAR: 'EXAMPLE_VALUE' },
    resources: { instanceCount: 1 },
  });
  expect(dropped.map((d) => d.field)).toEqual(['runType', 'configuration.history', 'configuration.environment.python', 'configuration.environment.docker']);
  expect(dropped[2].reason).toBe('v2 environments are registered assets: register one with these dependencies and give its environmentId');
  expect(problemsOf(job)).toEqual([]);
});

it.each(['mlops-custom-image.json', 'sdk-automl-2024.json'])('converts %s into a job the v2 schema accepts', (name) => {
  const { job, dropped } = toCommandJob(fixture(name), { environmentId: 'azureml:env:1' });
  expect(problemsOf(job)).toEqual([]);
  expect(dropped.length).toBeGreaterThan(0);
  // Each dropped field is really in the definition given.
  for (const { field } of dropped) {
    let value: unknown = fixture(name);
    for (const key of field.split('.')) value = (value as Record<string, unknown>)[key] ?? (value as Record<string, unknown>)[key[0].toUpperCase() + key.slice(1)];
    expect([field, value === undefined]).toEqual([field, false]);
  }
});

it('reads PascalCase, names the environment by name and version (or @latest), and keeps the v1 timeout and nodes', () => {
  const pascal = {
    Configuration: { Script: 'train.py', Arguments: ['--lr', '0.1'], Target: 'gpu', MaxRunDurationSeconds: 600, NodeCount: 2, Environment: { Name: 'torch', Version: '3' } },
  };
  expect(toCommandJob(pascal)).toEqual({
    job: {
      jobType: 'Command',
      command: 'python train.py --lr 0.1',
      environmentId: 'azureml:torch:3',
      computeId: 'gpu',
      limits: { jobLimitsType: 'Command', timeout: 'PT600S' },
      resources: { instanceCount: 2 },
    },
    dropped: [],
  });
  expect(toCommandJob({ configuration: { script: 'a.py', environment: { name: 'torch' } } }).job.environmentId).toBe('azureml:torch@latest');
});

it('maps framework and communicator to the v2 distribution', () => {
  const base = { script: 't.py', environment: { name: 'e', version: '1' } };
  const distribution = (config: Record<string, unknown>) => toCommandJob({ configuration: { ...base, ...config } }).job.distribution;
  expect(distribution({ communicator: 'Mpi', mpi: { processCountPerNode: 4 }, nodeCount: 2 })).toEqual({ distributionType: 'Mpi', processCountPerInstance: 4 });
  expect(distribution({ framework: 'PyTorch', communicator: 'Nccl', mpi: { processCountPerNode: 2 } })).toEqual({ distributionType: 'PyTorch', processCountPerInstance: 2 });
  expect(distribution({ framework: 'PyTorch', nodeCount: 3 })).toEqual({ distributionType: 'PyTorch' });
  expect(distribution({ framework: 'PyTorch', nodeCount: 1 })).toBeUndefined();
  expect(distribution({ framework: 'TensorFlow', communicator: 'ParameterServer', tensorflow: { workerCount: 3, parameterServerCount: 1 } })).toEqual({
    distributionType: 'TensorFlow',
    workerCount: 3,
    parameterServerCount: 1,
  });
  // The SDK's tensorflow section of zeros, in every definition it writes, asks for nothing.
  expect(distribution({ framework: 'TensorFlow', tensorflow: { workerCount: 0, parameterServerCount: 0 } })).toBeUndefined();
  expect(distribution({ framework: 'TensorFlow', tensorflow: { workerCount: 2 } })).toEqual({ distributionType: 'TensorFlow', workerCount: 2 });
  expect(toCommandJob({ configuration: { ...base, mpi: { processCountPerNode: 4 } } }).dropped).toEqual([
    { field: 'configuration.mpi.processCountPerNode', reason: 'used only with the Mpi communicator, which the definition does not set' },
  ]);
});

it('turns data references into uri_folder inputs and outputs, and their variables into ${{inputs.name}}', () => {
  const { job, dropped } = toCommandJob({
    configuration: {
      script: 'prep.py',
      arguments: ['--data', '$AZUREML_DATAREFERENCE_raw', '--out', '$AZUREML_DATAREFERENCE_clean'],
      environment: { name: 'e', version: '1' },
      dataReferences: {
        raw: { dataStoreName: 'workspaceblobstore', pathOnDataStore: '/datasets/raw', mode: 'mount', pathOnCompute: '/mnt/raw' },
        clean: { dataStoreName: 'workspaceblobstore', pathOnDataStore: 'datasets/clean', mode: 'upload', overwrite: true },
      },
    },
  });
  expect(job.command).toBe('python prep.py --data ${{inputs.raw}} --out ${{inputs.clean}}');
  expect(job.inputs).toEqual({ raw: { jobInputType: 'uri_folder', uri: 'azureml://datastores/workspaceblobstore/paths/datasets/raw', mode: 'ReadOnlyMount' } });
  expect(job.outputs).toEqual({ clean: { jobOutputType: 'uri_folder', uri: 'azureml://datastores/workspaceblobstore/paths/datasets/clean', mode: 'Upload' } });
  expect(dropped.map((d) => d.field)).toEqual(['configuration.dataReferences.raw.pathOnCompute', 'configuration.dataReferences.clean.overwrite']);
  expect(problemsOf(job)).toEqual([]);
});

it('quotes arguments for the shell only when they need it', () => {
  expect(['--lr', '0.1', 'a b', "it's", '', '$HOME', '${{inputs.x}}', 'x;rm -rf /'].map(shellQuote)).toEqual([
    '--lr',
    '0.1',
    "'a b'",
    "'it'\\''s'",
    "''",
    "'$HOME'",
    '${{inputs.x}}',
    "'x;rm -rf /'",
  ]);
  expect(toCommandJob({ configuration: { script: 'my script.py', arguments: ['a b'], environment: { name: 'e' } } }).job.command).toBe("python 'my script.py' 'a b'");
});

it('takes the command azureml-core writes instead of a script', () => {
  expect(toCommandJob({ configuration: { command: ['python', 'run.py', '--x', '1 2'], environment: { name: 'e' } } }).job.command).toBe("python run.py --x '1 2'");
  expect(toCommandJob({ configuration: { command: 'bash run.sh', environment: { name: 'e' } } }).job.command).toBe('bash run.sh');
});

it('refuses a definition without a script or an environment, naming both, and one that is not an object', () => {
  const error = (() => {
    try {
      toCommandJob({ configuration: { arguments: ['x'] } });
    } catch (e) {
      return e;
    }
  })();
  expect(error).toBeInstanceOf(AzureMLValidationError);
  expect((error as Error).message).toBe(
    'Action azureml-execution/toCommandJob was given invalid input: definition.configuration.script is required (or command): the command job runs `python <script>`; environmentId is required: give options.environmentId, or name the environment in configuration.environment.name',
  );
  expect(() => toCommandJob('train.py' as never)).toThrow('definition must be a run definition object');
});

describe('each mapping alone', () => {
  const env = { name: 'e', version: '1' };

  it('makes a job of what is given and nothing else: no field is there undefined', () => {
    expect(toCommandJob({ configuration: { script: 't.py', environment: env, history: undefined, docker: {} } })).toStrictEqual({
      job: { jobType: 'Command', command: 'python t.py', environmentId: 'azureml:e:1' },
      dropped: [],
    });
    expect(toCommandJob({ configuration: { script: 't.py', target: 'cpu', jobName: 'Nightly', environment: env } }, { codeId: 'c1', experimentName: 'x' }).job).toStrictEqual({
      jobType: 'Command',
      command: 'python t.py',
      environmentId: 'azureml:e:1',
      codeId: 'c1',
      computeId: 'cpu',
      experimentName: 'x',
      displayName: 'Nightly',
    });
  });

  it('takes the compute and the environment given over the definition, and says the environment it names is replaced', () => {
    const { job, dropped } = toCommandJob({ configuration: { script: 't.py', target: 'cpu', environment: env } }, { computeId: 'gpu', environmentId: 'azureml:other:2' });
    expect([job.computeId, job.environmentId]).toEqual(['gpu', 'azureml:other:2']);
    expect(dropped).toEqual([{ field: 'configuration.environment.name', reason: 'replaced by the environmentId given (azureml:other:2)' }]);
    // With no environment section at all, the one given is used and nothing is said.
    expect(toCommandJob({ configuration: { script: 't.py', environmentVariables: { A: '1' } } }, { environmentId: 'e' })).toStrictEqual({
      job: { jobType: 'Command', command: 'python t.py', environmentId: 'e', environmentVariables: { A: '1' } },
      dropped: [],
    });
  });

  it('says a local target has no v2 place, and takes the variables of the configuration and of its environment', () => {
    const { job, dropped } = toCommandJob({
      configuration: { script: 't.py', target: 'local', environmentVariables: { A: '1', B: '1' }, environment: { ...env, environmentVariables: { B: '2' } } },
    });
    expect(job.computeId).toBeUndefined();
    expect(job.environmentVariables).toEqual({ A: '1', B: '2' });
    expect(dropped).toEqual([{ field: 'configuration.target', reason: 'v2 has no local target: the job runs on the compute given, else serverless compute' }]);
  });

  it.each(['PySpark', 'Cntk'])('says the %s framework has no command job', (framework) => {
    expect(toCommandJob({ configuration: { script: 't.py', framework, environment: env } }).dropped).toEqual([
      { field: 'configuration.framework', reason: `${framework} has no v2 command job; the script runs with python` },
    ]);
  });

  it('uses script and arguments over a command, says so, and turns data references in a command string into inputs', () => {
    expect(toCommandJob({ configuration: { script: 't.py', command: 'bash x.sh', environment: env } })).toStrictEqual({
      job: { jobType: 'Command', command: 'python t.py', environmentId: 'azureml:e:1' },
      dropped: [{ field: 'configuration.command', reason: 'script and arguments make the command; command is not used with them' }],
    });
    const { job } = toCommandJob({
      configuration: {
        command: 'bash x.sh $AZUREML_DATAREFERENCE_in_1 $AZUREML_DATAREFERENCE_B $AZUREML_DATAREFERENCE_9x',
        environment: env,
        dataReferences: { in_1: { dataStoreName: 's' } },
      },
    });
    expect(job.command).toBe('bash x.sh ${{inputs.in_1}} ${{inputs.B}} $AZUREML_DATAREFERENCE_9x');
    expect(toCommandJob({ configuration: { command: ['python', '$AZUREML_DATAREFERENCE_raw'], environment: env } }).job.command).toBe('python ${{inputs.raw}}');
    expect(() => toCommandJob({ configuration: { command: '  ', environment: env } })).toThrow('definition.configuration.script is required (or command)');
  });

  it('maps each data reference mode, strips leading slashes, and names a reference without a datastore', () => {
    const { job, dropped } = toCommandJob({
      configuration: {
        script: 't.py',
        environment: env,
        dataReferences: {
          a: { dataStoreName: 's', pathOnDataStore: '//x/y' },
          b: { dataStoreName: 's', mode: 'Download' },
          c: { dataStoreName: 's', pathOnDataStore: 'out/', mode: 'UPLOAD' },
          d: { pathOnDataStore: 'p' },
        },
      },
    });
    expect(job.inputs).toStrictEqual({
      a: { jobInputType: 'uri_folder', uri: 'azureml://datastores/s/paths/x/y', mode: 'ReadOnlyMount' },
      b: { jobInputType: 'uri_folder', uri: 'azureml://datastores/s/paths/', mode: 'Download' },
    });
    expect(job.outputs).toStrictEqual({ c: { jobOutputType: 'uri_folder', uri: 'azureml://datastores/s/paths/out/', mode: 'Upload' } });
    expect(dropped).toEqual([{ field: 'configuration.dataReferences.d', reason: 'no dataStoreName: a v2 input needs a datastore path' }]);
    expect(
      toCommandJob({ configuration: { script: 't.py', environment: env, dataReferences: { r: { dataStoreName: 's', pathOnCompute: '/mnt', overwrite: false } } } }).dropped,
    ).toEqual([
      { field: 'configuration.dataReferences.r.pathOnCompute', reason: 'v2 chooses where an input is mounted; the command gets its path from ${{inputs.r}}' },
      { field: 'configuration.dataReferences.r.overwrite', reason: 'v2 outputs have no overwrite setting' },
    ]);
  });

  it('maps Gloo to PyTorch, a parameter server to TensorFlow with only the counts given, and keeps quiet about one process per node', () => {
    const distribution = (config: Record<string, unknown>) => toCommandJob({ configuration: { script: 't.py', environment: env, ...config } }).job.distribution;
    expect(distribution({ communicator: 'Gloo' })).toStrictEqual({ distributionType: 'PyTorch' });
    expect(distribution({ communicator: 'ParameterServer' })).toStrictEqual({ distributionType: 'TensorFlow' });
    expect(distribution({ framework: 'TensorFlow', tensorflow: { workerCount: 0, parameterServerCount: 2 } })).toStrictEqual({
      distributionType: 'TensorFlow',
      workerCount: 0,
      parameterServerCount: 2,
    });
    expect(distribution({ framework: 'TensorFlow', nodeCount: 4 })).toBeUndefined();
    expect(distribution({ framework: 'Python', tensorflow: { workerCount: 2 } })).toBeUndefined();
    expect(distribution({ communicator: 'Mpi' })).toStrictEqual({ distributionType: 'Mpi' });
    expect(toCommandJob({ configuration: { script: 't.py', environment: env, mpi: { processCountPerNode: 1 } } }).dropped).toEqual([]);
  });

  it('names every field it has no place for, with the reason for each known one, and skips empty sections', () => {
    const { dropped } = toCommandJob({
      snapshotId: 'snap',
      parentRunId: 'p',
      runType: 'experiment',
      properties: { a: '1' },
      configuration: {
        script: 't.py',
        arguments: [],
        framework: 'Python',
        communicator: 'None',
        target: 'cpu',
        dataReferences: {},
        jobName: 'j',
        maxRunDurationSeconds: 60,
        nodeCount: 1,
        environmentVariables: {},
        tensorflow: { workerCount: 0 },
        mpi: { processCountPerNode: 1 },
        history: { outputCollection: true },
        spark: { configuration: { a: '1' } },
        hdi: { yarnDeployMode: 'Cluster' },
        docker: { useDocker: true },
        identity: { type: 'Managed' },
        amlCompute: {},
        credentialPassthrough: true,
        environment: {
          name: 'e',
          version: '1',
          environmentVariables: {},
          python: { userManagedDependencies: true },
          docker: { baseImage: 'x' },
          spark: { packages: [1] },
          inferencingStackVersion: 'latest',
          r: { rVersion: '4' },
        },
      },
    });
    expect(dropped).toEqual([
      { field: 'snapshotId', reason: 'a v1 snapshot is not a v2 code asset: submit the project folder (the workflow uploads it as code)' },
      { field: 'parentRunId', reason: 'v2 jobs have no parent run; use a pipeline job to group steps' },
      { field: 'runType', reason: 'v2 jobs have no run type' },
      { field: 'properties', reason: 'no place in a v2 command job' },
      { field: 'configuration.history', reason: 'v2 always collects ./outputs and ./logs; other folders are not watched' },
      { field: 'configuration.spark', reason: 'Spark jobs are not part of the command job' },
      { field: 'configuration.hdi', reason: 'HDInsight targets have no v2 counterpart' },
      { field: 'configuration.docker', reason: 'v2 sets the container up from the environment and the compute' },
      { field: 'configuration.identity', reason: 'give identity in the job (AMLToken, Managed or UserIdentity) if the default does not suit' },
      { field: 'configuration.credentialPassthrough', reason: 'no place in a v2 command job' },
      { field: 'configuration.environment.python', reason: 'v2 environments are registered assets: register one with these dependencies and give its environmentId' },
      { field: 'configuration.environment.docker', reason: 'v2 environments are registered assets: register one with this image and give its environmentId' },
      { field: 'configuration.environment.spark', reason: 'Spark jobs are not part of the command job' },
      { field: 'configuration.environment.inferencingStackVersion', reason: 'an inferencing setting, not a training one' },
      { field: 'configuration.environment.r', reason: 'no place in a v2 command job' },
    ]);
  });
});
