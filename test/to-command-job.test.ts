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
