/**
 * `azureml-exec submit --batchai-job` as users run it (the built command, its own process)
 * against the emulator: a Batch AI job file run on v2 and v1, its warnings on stderr, the follow of
 * every rank of a distributed run (--all-ranks), and the usage errors.
 */
import * as fs from 'fs';
import * as path from 'path';
import { startEmulator, type Emulator } from '../src';
import { emulatorEnvironment } from './helpers/emulator-env';
import { projectFolders } from './helpers/project-folders';
import { runCli } from './helpers/run-cli';

const WS = { subscriptionId: '00000000-1111-2222-3333-444444444444', resourceGroupName: 'rg', workspaceName: 'ws-batchai', experimentName: 'cli-batchai' };
const EXAMPLES = path.join(__dirname, '..', 'examples', 'batchai');
const job = (name: string) => path.join(EXAMPLES, `${name}.json`);

let emulator: Emulator;
let env: Record<string, string>;
const folders = projectFolders('azureml-cli-batchai-');
const cli = (args: string[]) => runCli(args, env);

beforeAll(async () => {
  emulator = await startEmulator();
  env = { ...emulatorEnvironment(emulator, WS, 'cli-token'), AZUREML_MANAGEMENT_HOST: emulator.url };
});
afterAll(async () => {
  await emulator.close();
  folders.cleanup();
});

it('runs a Batch AI job file on v2 with --follow: its preparation, its output, the warnings on stderr', async () => {
  const result = await cli(['submit', EXAMPLES, '--batchai-job', job('custom-toolkit'), '--api', 'v2', '--environment', 'azureml:batchai:1', '--follow']);
  expect([result.code, result.stdout]).toEqual([0, 'starting\nprepared: 4 rows\n']);
  expect(result.stderr).toContain(
    'warning: properties.outputDirectories[0] (RESULT): written to outputs/RESULT instead of $AZ_BATCHAI_MOUNT_ROOT/output, so that it becomes an artifact of the run\n',
  );
  expect(result.stderr).toMatch(/Run cli-batchai_\d{10}_[0-9a-f]{8} Completed after /);
});

it('follows every rank of a distributed v1 run with --all-ranks, each line prefixed', async () => {
  const result = await cli(['submit', EXAMPLES, '--batchai-job', job('custom-mpi'), '--follow', '--all-ranks']);
  expect(result.code).toBe(0);
  expect(result.stdout.split('\n').filter(Boolean).sort()).toEqual([0, 1, 2, 3].map((rank) => `[rank ${rank}] hello from rank ${rank} of 4 (local ${rank % 2})`));
  const rank0 = await cli(['submit', EXAMPLES, '--batchai-job', job('custom-mpi'), '--follow', '--run-id', 'mpi-cli-1']);
  expect(rank0.stdout).toBe('hello from rank 0 of 4 (local 0)\n');
  const rank2 = await cli(['logs', 'mpi-cli-1', '--rank', '2']);
  expect([rank2.code, rank2.stdout]).toEqual([0, 'hello from rank 2 of 4 (local 0)\n']);
  const rank7 = await cli(['logs', 'mpi-cli-1', '--rank', '7']);
  expect([rank7.code, rank7.stderr]).toEqual([5, 'error: Run mpi-cli-1 has no log of rank 7 (its ranks: 0, 1, 2, 3)\n']);
});

it('says why v1 cannot run a job and what to do, and refuses flags the job file replaces', async () => {
  const v1 = await cli(['submit', EXAMPLES, '--batchai-job', job('custom-toolkit')]);
  expect([v1.code, v1.stdout]).toEqual([2, '']);
  expect(v1.stderr).toBe(
    'error: Action azureml-execution/submitBatchAIJob was given invalid input: job jobPreparation: a v1 run runs one script and has no step before it; submit with the v2 API (--api v2), whose command runs it first; job the command line is not a python script with arguments: a v1 run runs a script; submit with the v2 API (--api v2)\n',
  );
  const both = await cli(['submit', EXAMPLES, '--batchai-job', job('pytorch'), '--script', 'x.py']);
  expect([both.code, both.stderr]).toEqual([
    2,
    'error: --batchai-job takes the script, its arguments and the command from the job file: leave out --script, --definition, --command, --input and arguments\n',
  ]);
  const dir = folders.make({ 'bad.json': '{ "properties": ' });
  const bad = await cli(['submit', EXAMPLES, '--batchai-job', path.join(dir, 'bad.json')]);
  expect(bad.code).toBe(2);
  expect(bad.stderr).toMatch(new RegExp(`^error: --batchai-job ${path.join(dir, 'bad.json').replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} is not JSON: `));
  const ranks = await cli(['submit', EXAMPLES, '--batchai-job', job('custom-mpi'), '--all-ranks']);
  expect([ranks.code, ranks.stderr]).toEqual([2, 'error: --all-ranks goes with --follow\n']);
  expect(fs.existsSync(job('pytorch'))).toBe(true);
});
