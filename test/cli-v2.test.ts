/**
 * `azureml-exec --api v2` as users run it (the built command, its own process) against the
 * emulator: submit with --command, --input and --follow, the same verbs by job name, and the
 * usage errors that keep v1 and v2 flags apart. AZUREML_API=v2 does what --api v2 does.
 */
import * as path from 'path';
import { startEmulator, type Emulator } from '../src';
import { emulatorEnvironment } from './helpers/emulator-env';
import { projectFolders } from './helpers/project-folders';
import { runCli } from './helpers/run-cli';

const WS = { subscriptionId: '00000000-1111-2222-3333-444444444444', resourceGroupName: 'rg', workspaceName: 'ws-v2', experimentName: 'cli-v2' };

let emulator: Emulator;
let env: Record<string, string>;
const folders = projectFolders('azureml-cli-v2-');

const cli = (args: string[], extraEnv: Record<string, string> = {}) => runCli(args, { ...env, ...extraEnv });

beforeAll(async () => {
  emulator = await startEmulator();
  env = { ...emulatorEnvironment(emulator, WS, 'cli-token'), AZUREML_MANAGEMENT_HOST: emulator.url };
});
afterAll(async () => {
  await emulator.close();
  folders.cleanup();
});

const TRAIN = 'import sys, os\nprint("lr", sys.argv[1])\nos.makedirs("outputs", exist_ok=True)\nopen("outputs/model.txt", "w").write("m")\n';

it('submits a command job with --follow: the log as it comes, the upload on stderr, the exit code of its end', async () => {
  const dir = folders.make({ 'train.py': TRAIN });
  const result = await cli([
    'submit',
    dir,
    '--api',
    'v2',
    '--command',
    'python train.py ${{inputs.lr}}',
    '--input',
    'lr=0.1',
    '--environment',
    'azureml:py:1',
    '--run-id',
    'cli-job-1',
    '--follow',
  ]);
  expect([result.code, result.stdout]).toEqual([0, 'lr 0.1\n']);
  expect(result.stderr).toMatch(/Uploaded 1 file of .* \(\d+ B\) as azureml-cli-v2-\w+:[0-9a-f]{12}/);
  expect(result.stderr).toContain('Started job cli-job-1 in experiment cli-v2');
  expect(result.stderr).toMatch(/Run cli-job-1 Completed after /);
});

it('runs status, logs, show, download, metrics and runs by job name alone (AZUREML_API=v2, no experiment)', async () => {
  const noExperiment = { AZUREML_API: 'v2', AZUREML_EXPERIMENT: '' };
  const status = await cli(['status', 'cli-job-1', '--json'], noExperiment);
  expect([status.code, JSON.parse(status.stdout).status]).toEqual([0, 'Completed']);
  expect((await cli(['logs', 'cli-job-1'], noExperiment)).stdout).toBe('lr 0.1\n');
  const show = await cli(['show', 'cli-job-1'], noExperiment);
  expect(show.stdout).toContain('Experiment: cli-v2');
  expect(show.stdout).toContain('  user_logs/std_log.txt');
  const to = folders.make({});
  const download = await cli(['download', 'cli-job-1', '--to', to], noExperiment);
  expect(download.code).toBe(0);
  expect(download.stdout).toContain(path.join(to, 'outputs', 'model.txt'));
  const metrics = await cli(['metrics', 'cli-job-1'], noExperiment);
  expect([metrics.code, metrics.stderr]).toEqual([0, 'Run cli-job-1 has no metrics\n']);
  const runs = await cli(['runs'], noExperiment);
  expect(runs.stdout.split('\n')[0]).toMatch(/^JOB\s+STATUS\s+EXPERIMENT\s+CREATED\s+COMPUTE$/);
  expect(runs.stdout).toMatch(/cli-job-1\s+Completed\s+cli-v2\s+\S+\s+serverless/);
});

it('cancels a running job, and says so of one that has ended (exit code of its end)', async () => {
  const dir = folders.make({ 'slow.py': 'import time\nprint("up", flush=True)\ntime.sleep(30)\n' });
  const submitted = await cli(['submit', dir, '--api', 'v2', '--command', 'python slow.py', '--environment', 'e']);
  const name = submitted.stdout.trim();
  for (let i = 0; i < 200; i++) {
    const status = await cli(['status', name, '--json', '--api', 'v2']);
    if (JSON.parse(status.stdout).status === 'Running') break;
    await new Promise((r) => setTimeout(r, 50));
  }
  const cancel = await cli(['cancel', name, '--api', 'v2']);
  expect([cancel.code, cancel.stdout]).toEqual([0, `Canceled job ${name}\n`]);
  const again = await cli(['cancel', 'cli-job-1', '--api', 'v2']);
  expect([again.code, again.stderr]).toEqual([0, expect.stringMatching(/^Run cli-job-1 has already ended: Completed at \S+; nothing to cancel\n$/)]);
});

it('keeps v1 and v2 flags apart, and names what a v2 submit lacks', async () => {
  const dir = folders.make({ 'train.py': TRAIN });
  const v1 = await cli(['submit', dir, '--command', 'python train.py', '--environment', 'e']);
  expect([v1.code, v1.stderr]).toEqual([2, 'error: --command, --environment are for v2 jobs: add --api v2\n']);
  const none = await cli(['submit', dir, '--api', 'v2']);
  expect([none.code, none.stderr]).toEqual([2, 'error: submit --api v2 needs --command "<command>" (or --script <file>)\n']);
  const noEnv = await cli(['submit', dir, '--api', 'v2', '--command', 'python train.py ${{inputs.lr}}']);
  expect([noEnv.code, noEnv.stderr]).toEqual([
    2,
    'error: Action azureml-execution/submitJob was given invalid input: environmentId is required: the environment the job runs in, e.g. azureml:my-env:1; inputs.lr is used by the command (${{inputs.lr}}) and not given\n',
  ]);
  const bad = await cli(['status', 'x', '--api', 'v3']);
  expect([bad.code, bad.stderr]).toEqual([2, 'error: --api (or AZUREML_API) must be v1 or v2 (got "v3")\n']);
  const unknown = await cli(['status', 'no-such-job', '--api', 'v2'], { AZUREML_EXPERIMENT: '' });
  expect([unknown.code, unknown.stderr]).toEqual([5, expect.stringContaining('Job no-such-job was not found in workspace ws-v2.')]);
});

it('wait --api v2 waits for a job named alone and exits with the code of its end', async () => {
  const dir = folders.make({ 'fail.py': 'import sys\nprint("bad", file=sys.stderr)\nsys.exit(4)\n' });
  const submitted = await cli(['submit', dir, '--api', 'v2', '--command', 'python fail.py', '--environment', 'e', '--run-id', 'cli-fail-1']);
  expect(submitted.stdout).toBe('cli-fail-1\n');
  const waited = await cli(['wait', 'cli-fail-1', '--api', 'v2', '--poll', '0.1'], { AZUREML_EXPERIMENT: '' });
  expect(waited.code).toBe(1);
  expect(waited.stderr).toMatch(/Run cli-fail-1 Failed after .*: UserError: The command exited with code 4\. Last lines of stderr:\nbad\n$/);
});
