/**
 * This repository as a DataFire project (DataFire.yml): `datafire serve` answers the HTTP paths,
 * the report_ended_runs task reports each run once when it ends, and `datafire run` runs the
 * workflow actions, all against the emulator, with the account and workspace from the environment.
 */
import { execFile, spawn, type ChildProcess } from 'child_process';
import * as http from 'http';
import type { AddressInfo } from 'net';
import * as path from 'path';
import { promisify } from 'util';
import { create, startEmulator, type Emulator } from '../src';
import { emulatorEnvironment } from './helpers/emulator-env';
import { makeZip } from './helpers/make-zip';

const datafire = require('datafire');
const REPO = path.resolve(__dirname, '..');
/** DataFire colours its output: only the plain text is compared. */
const ANSI_COLOUR = new RegExp(`${String.fromCharCode(27)}\\[\\d+m`, 'g');
const DATAFIRE_CLI = path.join(REPO, 'node_modules', 'datafire', 'bin', 'datafire');
const WS = { subscriptionId: '6a8bd9bb-1df3-4bca-9b24-27a7f3e5b9e7', resourceGroupName: 'rg', workspaceName: 'ws', experimentName: 'flows' };

let emulator: Emulator;
let env: Record<string, string>;

beforeAll(async () => {
  emulator = await startEmulator({ maxConcurrentRuns: 4, killGraceMs: 300, computeProvisioningMs: 100 });
  // Computes are v2 resources: the management host is the emulator too.
  env = { ...emulatorEnvironment(emulator, WS, 'flow-token'), AZUREML_MANAGEMENT_HOST: emulator.url };
});
afterAll(() => emulator.close());

async function freePort(): Promise<number> {
  const server = http.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

describe('datafire serve', () => {
  let child: ChildProcess;
  let base: string;

  beforeAll(async () => {
    const port = await freePort();
    base = `http://127.0.0.1:${port}`;
    child = spawn(process.execPath, [DATAFIRE_CLI, 'serve', '--port', String(port)], { cwd: REPO, env: { PATH: process.env.PATH, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`datafire serve did not start: ${output}`)), 20000);
      const seen = (chunk: Buffer) => {
        output += chunk.toString();
        if (output.includes(`DataFire listening on port ${port}`)) {
          clearTimeout(timer);
          resolve();
        }
      };
      child.stdout!.on('data', seen);
      child.stderr!.on('data', seen);
      child.once('exit', (code) => reject(new Error(`datafire serve exited with ${code}: ${output}`)));
    });
  }, 30000);

  afterAll(async () => {
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill();
    await exited;
  });

  async function call(method: string, url: string, body?: unknown) {
    const res = await fetch(`${base}${url}`, { method, headers: body ? { 'content-type': 'application/json' } : {}, body: body ? JSON.stringify(body) : undefined });

    return { status: res.status, body: (await res.json()) as any };
  }

  it('POST /runs submits a project folder; GET /runs/{runId} and /log follow it; GET /runs lists it', async () => {
    const submitted = await call('POST', '/runs', { project: 'hello', script: 'hello.py' });
    expect(submitted.status).toBe(200);
    const runId: string = submitted.body.runId;
    expect(submitted.body).toEqual({
      ...WS,
      runId: expect.stringMatching(/^flows_\d{10}_[0-9a-f]{8}$/),
      definition: { configuration: { framework: 'Python', communicator: 'None', target: 'local', script: 'hello.py' } },
      project: { files: ['hello.py'], bytes: expect.any(Number) },
    });

    await create({ access_token: 't', host: emulator.url }, { workspace: WS }).waitForRun(runId, { initialIntervalMs: 30 });
    const status = await call('GET', `/runs/${runId}`);
    expect(status).toEqual({
      status: 200,
      body: {
        runId,
        experimentName: 'flows',
        status: 'Completed',
        target: 'local',
        startTimeUtc: expect.any(String),
        endTimeUtc: expect.any(String),
        durationSeconds: expect.any(Number),
      },
    });
    expect(await call('GET', `/runs/${runId}/log?fromByte=2`)).toEqual({
      status: 200,
      body: { runId, name: 'azureml-logs/70_driver_log.txt', log: 'llo!\n', fromByte: 2, nextByte: 7, totalBytes: 7, status: 'Completed' },
    });
    const listed = await call('GET', '/runs?status=Completed&top=1');
    expect(listed.body.runs.map((r: { runId: string }) => r.runId)).toEqual([runId]);
  });

  it('GET /runs/{runId}/metrics and /details give what a run logged; POST /runs/{runId}/download writes only under downloadsDir', async () => {
    const submitted = await call('POST', '/runs', { project: 'metrics', script: 'train.py', arguments: ['3'] });
    expect(submitted.status).toBe(200);
    const runId: string = submitted.body.runId;
    await create({ access_token: 't', host: emulator.url }, { workspace: WS }).waitForRun(runId, { initialIntervalMs: 30 });
    const metrics = await call('GET', `/runs/${runId}/metrics`);
    expect(Object.keys(metrics.body.metrics).sort()).toEqual(['accuracy', 'final_bias', 'final_loss', 'final_weight', 'loss']);
    expect(metrics.body.metrics.loss.map((p: { step: number }) => p.step)).toEqual([0, 1, 2]);
    const details = await call('GET', `/runs/${runId}/details`);
    expect(details.body).toMatchObject({ runId, status: 'Completed', artifacts: ['azureml-logs/70_driver_log.txt', 'outputs/model.json', 'outputs/reports/summary.txt'] });
    expect(details.body.metrics.loss).toBe(metrics.body.metrics.loss[2].value);
    // Over HTTP a download may only go under downloadsDir (default downloads/ of the project, which this repository does not have).
    expect(await call('POST', `/runs/${runId}/download`, { to: '/tmp/anywhere' })).toEqual({
      status: 400,
      body: {
        error: `Action azureml-execution/downloadOutputs was given invalid input: to cannot be used: the folder it must be in, ${path.join(REPO, 'downloads')} (variable downloadsDir), does not exist`,
      },
    });
  });

  it('POST /runs/{runId}/cancel cancels a running run', async () => {
    const zip = makeZip([{ name: 'sleep.py', data: 'import time\nprint("up", flush=True)\ntime.sleep(30)' }]);
    const submitted = await call('POST', '/runs', { projectZip: zip.toString('base64'), script: 'sleep.py' });
    expect(submitted.status).toBe(200);
    const runId = submitted.body.runId;
    expect(await call('POST', `/runs/${runId}/cancel`)).toEqual({ status: 200, body: { runId } });
    const final = await create({ access_token: 't', host: emulator.url }, { workspace: WS }).waitForRun(runId, { initialIntervalMs: 30 });
    expect(final.status).toBe('Canceled');
  });

  it('answers bad input 400 and unknown runs 404, with the reason', async () => {
    expect(await call('POST', '/runs', { project: '/etc', script: 'x.py' })).toEqual({
      status: 400,
      body: {
        error: `Action azureml-execution/submitRun was given invalid input: project must be inside ${path.join(REPO, 'examples')} (set the variable projectsDir to change it)`,
      },
    });
    expect(await call('POST', '/runs', { project: 'hello', script: 'hello.py', definition: { Configuration: { Framework: 'python' } } })).toEqual({
      status: 400,
      body: {
        error:
          'Action azureml-execution/submitRun was given invalid input: definition.configuration.framework must be one of Python, PySpark, Cntk, TensorFlow, PyTorch (got "python")',
      },
    });
    expect(await call('GET', '/runs/no_such_run')).toEqual({
      status: 404,
      body: { error: 'Action azure_machinelearningservices_runhistory/Runs_GetDetails failed with status code 404: UserError: Run no_such_run was not found in experiment flows' },
    });
  });

  it('POST /runs with batchaiJob runs a Batch AI job file from a project folder, with its warnings', async () => {
    const job = JSON.parse(require('fs').readFileSync(path.join(REPO, 'examples', 'batchai', 'custom-mpi.json'), 'utf8'));
    const submitted = await call('POST', '/runs', { project: 'batchai', batchaiJob: job });
    expect(submitted.status).toBe(200);
    expect(submitted.body).toMatchObject({
      ...WS,
      definition: { configuration: { script: 'mpi_hello.py', communicator: 'Mpi', nodeCount: 2, mpi: { processCountPerNode: 2 } } },
      warnings: [
        'properties.priority: Azure ML compute clusters queue jobs in order: priority is not carried',
        'properties.outputDirectories[0] (RANKS): written to outputs/RANKS instead of $AZ_BATCHAI_MOUNT_ROOT/output, so that it becomes an artifact of the run',
        'v1: the script creates its output directories (outputs/RANKS) itself; v2 creates them before the command',
      ],
    });
    const details = await create({ access_token: 't', host: emulator.url }, { workspace: WS }).waitForRun(submitted.body.runId, { initialIntervalMs: 30 });
    expect(Object.keys(details.logFiles ?? {}).sort()).toEqual([0, 1, 2, 3].map((r) => `azureml-logs/70_driver_log_${r}.txt`));
  });

  it('POST /computes creates a cluster and answers when it is ready; GET lists it and its nodes; resize and DELETE follow to the end', async () => {
    const created = await call('POST', '/computes', {
      workspaceName: 'ws-flows',
      name: 'flow-cpu',
      vmSize: 'STANDARD_D2_V2',
      minNodes: 1,
      maxNodes: 2,
      adminUserName: 'azureuser',
      adminUserPassword: 'Flow-secret-1',
    });
    expect(created).toEqual({
      status: 200,
      body: {
        name: 'flow-cpu',
        id: `/subscriptions/${WS.subscriptionId}/resourceGroups/rg/providers/Microsoft.MachineLearningServices/workspaces/ws-flows/computes/flow-cpu`,
        computeType: 'AmlCompute',
        provisioningState: 'Succeeded',
        allocationState: 'Steady',
        vmSize: 'STANDARD_D2_V2',
        vmPriority: 'Dedicated',
        minNodes: 1,
        maxNodes: 2,
        currentNodes: 1,
        targetNodes: 1,
        idleNodes: 1,
        runningNodes: 0,
        createdOn: expect.any(String),
        errors: [],
      },
    });
    expect(JSON.stringify(created.body)).not.toContain('Flow-secret-1');
    const listed = await call('GET', '/computes?workspaceName=ws-flows');
    expect(listed.body.computes.map((c: { name: string; provisioningState: string }) => [c.name, c.provisioningState])).toEqual([['flow-cpu', 'Succeeded']]);
    expect(await call('GET', '/computes/flow-cpu/nodes?workspaceName=ws-flows')).toEqual({
      status: 200,
      body: { nodes: [{ nodeId: expect.stringMatching(/^tvm-/), privateIpAddress: '127.0.0.1', publicIpAddress: '127.0.0.1', port: 50000, nodeState: 'idle', runId: null }] },
    });
    const resized = await call('POST', '/computes/flow-cpu/resize', { workspaceName: 'ws-flows', minNodes: 2, maxNodes: 2 });
    expect([resized.status, resized.body.currentNodes, resized.body.allocationState]).toEqual([200, 2, 'Steady']);
    expect((await call('POST', '/computes/flow-cpu/wait', { workspaceName: 'ws-flows', pollSeconds: 0.05 })).body.provisioningState).toBe('Succeeded');
    expect(await call('DELETE', '/computes/flow-cpu?workspaceName=ws-flows')).toEqual({ status: 200, body: { name: 'flow-cpu', underlyingResourceAction: 'Delete' } });
    expect((await call('GET', '/computes/flow-cpu?workspaceName=ws-flows')).status).toBe(404);
    // A compute whose provisioning failed is an answer, with the service's reasons.
    const failed = await call('POST', '/computes', { workspaceName: 'ws-flows', name: 'too-big', vmSize: 'STANDARD_D2_V2', maxNodes: 101 });
    expect([failed.status, failed.body.provisioningState, failed.body.errors]).toEqual([
      200,
      'Failed',
      [{ code: 'QuotaExceeded', message: "The cluster asks for up to 101 nodes; this emulator's node quota is 100 (its nodeQuota option)." }],
    ]);
    expect((await call('POST', '/computes/too-big/wait', { workspaceName: 'ws-flows', pollSeconds: 0.05 })).body.provisioningState).toBe('Failed');
    expect(await call('POST', '/computes', { workspaceName: 'ws-flows', name: 'x', vmSize: 'A', maxNodes: 1 })).toEqual({
      status: 400,
      body: {
        error:
          'Action azureml-execution/createCompute was given invalid input: name can include letters, digits and dashes, must start with a letter, end with a letter or digit, and be 2 to 16 characters long',
      },
    });
  });
});

describe('the report_ended_runs task, through DataFire classes', () => {
  const saved: Record<string, string | undefined> = {};
  let webhook: http.Server;
  let posted: Array<{ text: string; run: { runId: string; status: string } }>;

  beforeAll(async () => {
    for (const [key, value] of Object.entries(env)) {
      saved[key] = process.env[key];
      process.env[key] = value;
    }
    posted = [];
    webhook = http.createServer((req, res) => {
      let body = '';
      req.on('data', (chunk: Buffer) => (body += chunk.toString()));
      req.on('end', () => {
        posted.push(JSON.parse(body));
        res.end('ok');
      });
    });
    await new Promise<void>((resolve) => webhook.listen(0, '127.0.0.1', resolve));
  });
  afterAll(async () => {
    for (const [key, value] of Object.entries(saved)) {
      if (value === undefined) delete process.env[key];
      else process.env[key] = value;
    }
    await new Promise((resolve) => webhook.close(resolve));
  });

  it('reports each run once, when it has ended, and not the runs that had ended before it started', async () => {
    const client = create({ access_token: 't', host: emulator.url }, { workspace: { ...WS, experimentName: 'watched' } });
    const run = () => client.submitRun({ project: path.join(REPO, 'examples', 'hello'), script: 'hello.py' });
    const before = await run();
    await client.waitForRun(before.runId, { initialIntervalMs: 30 });

    const project = datafire.Project.fromDirectory(REPO);
    const config = project.tasks.report_ended_runs;
    expect(config.schedule).toBe('rate(1 minute)');
    const task = new datafire.Task({ id: 'report_ended_runs', project, ...config });
    project.variables = { experimentName: 'watched', reportWebhook: `http://127.0.0.1:${(webhook.address() as AddressInfo).port}/hook` };
    const lines: string[] = [];
    const log = jest.spyOn(console, 'log').mockImplementation((line: string) => void lines.push(line));
    try {
      await task.initializeMonitor();
      expect(await task.run()).toEqual([]);

      const after = await run();
      await client.waitForRun(after.runId, { initialIntervalMs: 30 });
      const reported = await task.run();
      expect(reported).toEqual([
        { message: expect.stringMatching(new RegExp(`^Run ${after.runId} of experiment watched ended Completed after \\d+\\.\\d s$`)), webhookStatus: 200 },
      ]);
      expect(await task.run()).toEqual([]);
      expect(lines.filter((l) => l.startsWith('Run '))).toEqual([reported[0].message]);
      expect(posted).toEqual([{ text: reported[0].message, run: expect.objectContaining({ runId: after.runId, status: 'Completed', experimentName: 'watched' }) }]);
    } finally {
      log.mockRestore();
    }
  });
});

describe('datafire run', () => {
  it('runs the workflow action files with the account and workspace from the environment', async () => {
    const run = promisify(execFile);
    const submitted = await run(process.execPath, [DATAFIRE_CLI, 'run', './actions/submit-run.js', '--input.project=examples/hello', '--input.script=hello.py'], {
      cwd: REPO,
      env: { PATH: process.env.PATH, ...env },
      timeout: 30000,
    });
    const runId = /runId: .*?(flows_\d{10}_[0-9a-f]{8})/.exec(submitted.stdout)?.[1];
    expect(runId).toBeDefined();
    const waited = await run(process.execPath, [DATAFIRE_CLI, 'run', './actions/wait-for-run.js', `--input.runId=${runId}`, '--input.pollSeconds=0.05'], {
      cwd: REPO,
      env: { PATH: process.env.PATH, ...env },
      timeout: 30000,
    });
    expect(waited.stdout).toMatch(new RegExp(`runId: .*${runId}[\\s\\S]*status: .*Completed`));
  });

  it('runs the compute action files: a cluster made, its nodes listed, then deleted', async () => {
    const run = promisify(execFile);
    const datafireRun = (args: string[]) => run(process.execPath, [DATAFIRE_CLI, 'run', ...args], { cwd: REPO, env: { PATH: process.env.PATH, ...env }, timeout: 30000 });
    const created = await datafireRun([
      './actions/create-compute.js',
      '--input.workspaceName=ws-flows',
      '--input.name=run-cpu',
      '--input.vmSize=STANDARD_D2_V2',
      '--input.maxNodes=1',
      '--input.minNodes=1',
    ]);
    expect(created.stdout.replace(ANSI_COLOUR, '')).toMatch(/provisioningState: +Succeeded\n[\s\S]*currentNodes: +1\n/);
    const nodes = await datafireRun(['./actions/list-nodes.js', '--input.workspaceName=ws-flows', '--input.name=run-cpu']);
    expect(nodes.stdout.replace(ANSI_COLOUR, '')).toMatch(/port: +50000\n[\s\S]*nodeState: +idle\n/);
    const deleted = await datafireRun(['./actions/delete-compute.js', '--input.workspaceName=ws-flows', '--input.name=run-cpu']);
    expect(deleted.stdout.replace(ANSI_COLOUR, '')).toMatch(/name: +run-cpu\n[\s\S]*underlyingResourceAction: +Delete\n/);
  });
});

describe("DataFire's CLI and this package's integrations", () => {
  const run = promisify(execFile);
  const datafireCli = (args: string[]) => run(process.execPath, [DATAFIRE_CLI, ...args], { cwd: REPO, env: { PATH: process.env.PATH, ...env }, timeout: 30000, encoding: 'utf8' });
  const accountArgs = () => [
    `--accounts.azure_machinelearningservices_execution.host=${emulator.url}`,
    '--accounts.azure_machinelearningservices_execution.access_token=flow-token',
  ];
  const where = Object.entries(WS).map(([key, value]) => `--input.${key}=${value}`);

  it('datafire list names the three integrations', async () => {
    const listed = await datafireCli(['list']);
    // DataFire colours the names: only the plain text is compared.
    expect(listed.stdout.replace(ANSI_COLOUR, '').split('\n').filter(Boolean).sort()).toEqual([
      'azure_machinelearningservices_execution',
      'azure_machinelearningservices_runhistory',
      'azure_machinelearningservices_v2',
    ]);
  });

  it('datafire run azure_machinelearningservices_v2/<action> runs a v2 action with the account of the command line', async () => {
    // Resource Manager's workspace names have 3 characters at least.
    const v2ws = { subscriptionId: WS.subscriptionId, resourceGroupName: WS.resourceGroupName, workspaceName: 'ws-v2' };
    const job = await create({ access_token: 't', host: emulator.url, management_host: emulator.url }, { api: 'v2', workspace: v2ws }).submitJob({
      command: 'echo hi',
      environmentId: 'e',
    });
    const got = await datafireCli([
      'run',
      'azure_machinelearningservices_v2/Jobs_List',
      ...Object.entries(v2ws).map(([key, value]) => `--input.${key}=${value}`),
      `--accounts.azure_machinelearningservices_execution.management_host=${emulator.url}`,
      '--accounts.azure_machinelearningservices_execution.access_token=flow-token',
    ]);
    expect(got.stdout.replace(ANSI_COLOUR, '')).toMatch(new RegExp(`name: +${job.runId}[\\s\\S]*jobType: +Command`));
  });

  it('datafire run <integration>/<action> finds the action and runs it with the account of the command line', async () => {
    const client = create({ access_token: 't', host: emulator.url }, { workspace: WS });
    const submitted = await client.submitRun({ project: path.join(REPO, 'examples', 'hello'), script: 'hello.py' });
    await client.waitForRun(submitted.runId, { initialIntervalMs: 30 });
    const got = await datafireCli([
      'run',
      'azure_machinelearningservices_runhistory/Runs_Get',
      ...where,
      `--input.runId=${submitted.runId}`,
      ...accountArgs().map((a) => a.replace('_execution', '_runhistory')),
    ]);
    expect(got.stdout).toMatch(new RegExp(`runId: .*${submitted.runId}[\\s\\S]*status: .*Completed`));
    const cancel = await datafireCli(['run', 'azure_machinelearningservices_execution/Runs_CancelRunWithUri', ...where, `--input.runId=${submitted.runId}`, ...accountArgs()]);
    expect(cancel.stdout).toMatch(new RegExp(`runId: .*${submitted.runId}`));
  });

  it('datafire run Runs_StartLocalRun --outputFile local.zip writes the zip; without it, a summary instead of bytes', async () => {
    const fs = require('fs') as typeof import('fs');
    const os = require('os') as typeof import('os');
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'azureml-localrun-'));
    try {
      const target = path.join(dir, 'local.zip');
      const args = ['run', 'azure_machinelearningservices_execution/Runs_StartLocalRun', ...where, '--input.definition.configuration.script=hello.py', ...accountArgs()];
      const saved = await datafireCli([...args, '--outputFile', target]);
      expect(saved.stdout).toBe('');
      const zip = fs.readFileSync(target);
      expect(zip.subarray(0, 4).toString('latin1')).toBe('PK\x03\x04');
      const { zipEntryNames } = require('../src/datafire/command-output') as typeof import('../src/datafire/command-output');
      expect(zipEntryNames(zip)).toEqual(['definition.json', 'azureml_local_run.py']);

      const printed = await datafireCli(args);
      expect(printed.stdout.split('\n').length).toBeLessThan(20);
      const plain = printed.stdout.replace(ANSI_COLOUR, '');
      expect(plain).toMatch(
        /^contentType: +application\/zip\nbytes: +\d+\nentries: *\n +- definition\.json\n +- azureml_local_run\.py\nhint: +add --outputFile <name>\.zip to save the file\n/,
      );
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
