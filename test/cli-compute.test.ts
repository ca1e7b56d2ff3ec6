/**
 * `azureml-exec compute ...` as users run it (the built command, its own process) against the
 * emulator: AZTK's cluster verbs with their tables, JSON, progress on stderr and exit codes, and
 * a run submitted to the cluster from the same shell.
 */
import * as fs from 'fs';
import * as path from 'path';
import { startEmulator, type Emulator } from '../src';
import { emulatorEnvironment } from './helpers/emulator-env';
import { projectFolders } from './helpers/project-folders';
import { runCli } from './helpers/run-cli';

const WS = { subscriptionId: '00000000-1111-2222-3333-444444444444', resourceGroupName: 'rg', workspaceName: 'ws-compute', experimentName: 'cli-compute' };

let emulator: Emulator;
let env: Record<string, string>;
const folders = projectFolders('azureml-cli-compute-');
const cli = (args: string[], extraEnv: Record<string, string> = {}) => runCli(args, { ...env, ...extraEnv });

beforeAll(async () => {
  emulator = await startEmulator({ computeProvisioningMs: 200, nodeQuota: 4 });
  env = { ...emulatorEnvironment(emulator, WS, 'cli-token'), AZUREML_MANAGEMENT_HOST: emulator.url };
});
afterAll(async () => {
  await emulator.close();
  folders.cleanup();
});

it('creates a cluster and waits until it is ready: the name on stdout, its state on stderr; the admin password comes from the environment and is never shown', async () => {
  const dir = folders.make({ 'id_test.pub': 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIFake test@host\n' });
  const created = await cli(
    [
      'compute',
      'create',
      'cpu-1',
      '--vm-size',
      'STANDARD_D2_V2',
      '--min-nodes',
      '1',
      '--max-nodes',
      '2',
      '--idle-seconds',
      '300',
      '--admin-user',
      'azureuser',
      '--ssh-key-file',
      path.join(dir, 'id_test.pub'),
    ],
    { AZUREML_COMPUTE_ADMIN_PASSWORD: 'Pa55-secret-word' },
  );
  expect([created.code, created.stdout]).toEqual([0, 'cpu-1\n']);
  expect(created.stderr).toMatch(/^(Compute cpu-1: creation InProgress\n)*Compute cpu-1: creation Succeeded\nCompute cpu-1 created: Succeeded\/Steady, 1 \(1-2\) nodes\n$/);
  const shown = await cli(['compute', 'show', 'cpu-1']);
  expect([shown.code, shown.stderr]).toEqual([0, '']);
  expect(shown.stdout.replace(/Created: {4}\S+/, 'Created:    <time>')).toBe(
    [
      'Compute:    cpu-1',
      'Type:       AmlCompute',
      'State:      Succeeded',
      'Allocation: Steady',
      'VM size:    STANDARD_D2_V2',
      'Priority:   Dedicated',
      'Nodes:      1 (0 running, 1 idle)',
      'Scale:      1 to 2 nodes',
      'Idle time:  300 s before a node leaves',
      'Created:    <time>',
      '',
    ].join('\n'),
  );
  const json = await cli(['compute', 'show', 'cpu-1', '--json']);
  expect(JSON.parse(json.stdout)).toMatchObject({ name: 'cpu-1', properties: { properties: { userAccountCredentials: { adminUserName: 'azureuser' } } } });
  expect(json.stdout).not.toContain('Pa55-secret-word');
  expect(json.stdout).not.toContain('AAAAC3NzaC1lZDI1NTE5AAAAIFake');
});

it('lists computes and nodes as tables, with the ssh line of each node (AZTK remote login settings)', async () => {
  const list = await cli(['compute', 'list']);
  expect([list.code, list.stdout]).toEqual([
    0,
    ['NAME   TYPE        STATE             VM SIZE         NODES (MIN-MAX)  RUNNING', 'cpu-1  AmlCompute  Succeeded/Steady  STANDARD_D2_V2  1 (1-2)          0', ''].join('\n'),
  ]);
  const nodes = await cli(['compute', 'nodes', 'cpu-1']);
  expect(nodes.code).toBe(0);
  expect(nodes.stdout).toMatch(/^NODE +STATE +RUN +LOGIN\ntvm-[0-9a-f]{10}_1-\S+ +idle +ssh azureuser@127\.0\.0\.1 -p 50000\n$/);
  const jsonNodes = await cli(['compute', 'nodes', 'cpu-1', '--json']);
  expect(JSON.parse(jsonNodes.stdout)).toEqual([expect.objectContaining({ nodeState: 'idle', port: 50000, privateIpAddress: '127.0.0.1' })]);
});

it('runs a script on the cluster from submit --target, and resizes it with JSON out', async () => {
  const dir = folders.make({ 'hello.py': 'import os\nprint("hello from", os.environ["AZUREML_RUN_ID"])\n' });
  const run = await cli(['submit', dir, '--script', 'hello.py', '--target', 'cpu-1', '--run-id', 'on-cpu-1', '--follow']);
  expect([run.code, run.stdout]).toEqual([0, 'hello from on-cpu-1\n']);
  const resized = await cli(['compute', 'resize', 'cpu-1', '--min-nodes', '0', '--max-nodes', '3', '--json']);
  expect(resized.code).toBe(0);
  expect(JSON.parse(resized.stdout)).toMatchObject({
    name: 'cpu-1',
    properties: { provisioningState: 'Succeeded', properties: { scaleSettings: { minNodeCount: 0, maxNodeCount: 3 } } },
  });
  const waited = await cli(['compute', 'wait', 'cpu-1', '--poll', '0.1']);
  expect([waited.code, waited.stdout]).toEqual([0, 'cpu-1\n']);
});

it('exits 1 with the service reasons for a cluster that fails, 5 for one that is not there, 2 for bad usage', async () => {
  const failed = await cli(['compute', 'create', 'big', '--vm-size', 'STANDARD_NC6', '--max-nodes', '5']);
  expect([failed.code, failed.stdout]).toEqual([1, '']);
  expect(failed.stderr).toMatch(/error: Compute big is Failed: QuotaExceeded: The cluster asks for up to 5 nodes; this emulator's node quota is 4 \(its nodeQuota option\)\.\n$/);
  const waitFailed = await cli(['compute', 'wait', 'big']);
  expect(waitFailed.code).toBe(1);
  const missing = await cli(['compute', 'wait', 'nope']);
  expect([missing.code, missing.stderr]).toEqual([
    5,
    expect.stringContaining("The Resource 'Microsoft.MachineLearningServices/workspaces/ws-compute/computes/nope' under resource group 'rg' was not found."),
  ]);
  const noMax = await cli(['compute', 'create', 'x1', '--vm-size', 'A']);
  expect([noMax.code, noMax.stderr]).toEqual([2, "error: required option '--max-nodes <n>' not specified\n(add --help for usage)\n"]);
  const dir = folders.make({ id_rsa: '-----BEGIN OPENSSH PRIVATE KEY-----\nabc\n-----END OPENSSH PRIVATE KEY-----\n' });
  const privateKey = await cli(['compute', 'create', 'x1', '--vm-size', 'A', '--max-nodes', '1', '--admin-user', 'u', '--ssh-key-file', path.join(dir, 'id_rsa')]);
  expect([privateKey.code, privateKey.stderr]).toEqual([2, `error: --ssh-key-file ${path.join(dir, 'id_rsa')} is a private key: give the public one (.pub)\n`]);
  expect(fs.readFileSync(path.join(dir, 'id_rsa'), 'utf8')).toContain('PRIVATE KEY');
  const badName = await cli(['compute', 'create', 'Bad_Name', '--vm-size', 'A', '--max-nodes', '1']);
  expect([badName.code, badName.stderr]).toEqual([
    2,
    'error: Action azureml-execution/createCompute was given invalid input: name can include letters, digits and dashes, must start with a letter, end with a letter or digit, and be 2 to 16 characters long\n',
  ]);
});

it('deletes a cluster and waits until it is gone', async () => {
  const deleted = await cli(['compute', 'delete', 'cpu-1']);
  expect([deleted.code, deleted.stdout]).toEqual([0, '']);
  expect(deleted.stderr).toMatch(/Compute cpu-1 deleted\n$/);
  const gone = await cli(['compute', 'show', 'cpu-1']);
  expect(gone.code).toBe(5);
  const list = await cli(['compute', 'list', '--json']);
  expect(JSON.parse(list.stdout).map((c: { name: string }) => c.name)).toEqual(['big']);
});
