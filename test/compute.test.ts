/**
 * Compute clusters end to end against the emulator: the Compute_* operations as Resource
 * Manager answers them (201 Creating with an Azure-AsyncOperation, Succeeded after the
 * provisioning delay, long-running delete), nodes that follow the scale settings, runs that wait
 * for free nodes, and the cluster verbs of the client (create, wait, resize, nodes, delete) with
 * the emulator's clock moved instead of waiting.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { startEmulator, create, AzureMLComputeFailedError, AzureMLServiceError, AzureMLValidationError, isAzureMLError, type Emulator } from '../src';
import type { AnswerHead } from '../src/http/call-options';
import { qualifyComputeId, qualifyEnvironmentId } from '../src/workflow/v2/arm-ids';

const WS = { subscriptionId: '00000000-1111-2222-3333-444444444444', resourceGroupName: 'rg', workspaceName: 'my-ws' };
const ARM_WS = `/subscriptions/${WS.subscriptionId}/resourceGroups/rg/providers/Microsoft.MachineLearningServices/workspaces/my-ws`;
const PROVISIONING_MS = 60_000;

let emulator: Emulator;
let clock = Date.parse('2026-11-26T10:00:00Z');
let scratch: string;
let dataDir: string;
let project: string;
const account = () => ({ access_token: 'emulator-token', host: emulator.url, management_host: emulator.url });
const client = () => create(account(), { retry: { maxRetries: 0 }, workspace: { ...WS, experimentName: 'clusters' } });
/** A sleep that moves the emulator's clock instead of waiting, and records the waits. */
const waits: number[] = [];
const clockSleep = async (ms: number) => {
  waits.push(ms);
  clock += ms;
};

async function start() {
  emulator = await startEmulator({ dataDir, now: () => clock, computeProvisioningMs: PROVISIONING_MS, nodeQuota: 8, pageSize: 2 });
}

beforeAll(async () => {
  scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'azureml-compute-'));
  dataDir = path.join(scratch, 'data');
  project = path.join(scratch, 'project');
  fs.mkdirSync(project);
  // Waits (bounded) until the file its GO_FILE names exists: a test lets it end when it wants.
  fs.writeFileSync(
    path.join(project, 'wait.py'),
    [
      'import os, sys, time',
      "flag = os.environ.get('GO_FILE', '')",
      'for _ in range(3000):',
      '    if not flag or os.path.exists(flag): break',
      '    time.sleep(0.01)',
      "print('ran on', os.environ.get('AZUREML_RUN_ID'))",
      '',
    ].join('\n'),
  );
  await start();
});
afterAll(async () => {
  await emulator.close();
  fs.rmSync(scratch, { recursive: true, force: true });
});

/** Polls the run (bounded) until `until` holds. */
async function runWhen(runId: string, until: (status: string) => boolean) {
  for (let i = 0; i < 400; i++) {
    const details = await client().Runs_GetDetails({ ...WS, experimentName: 'clusters', runId });
    if (until(String(details.status))) return details;
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  throw new Error(`run ${runId} did not get there`);
}

describe('Compute_* in the emulator, as Resource Manager answers them', () => {
  it('creates a cluster: 201 Creating with an Azure-AsyncOperation, then Succeeded and Steady once the provisioning time has passed, with minNodeCount idle nodes', async () => {
    let head: AnswerHead | undefined;
    const created = await client().v2.Compute_CreateOrUpdate(
      {
        ...WS,
        computeName: 'cpu-a',
        parameters: {
          location: 'local',
          properties: {
            computeType: 'AmlCompute',
            properties: {
              vmSize: 'STANDARD_DS3_V2',
              scaleSettings: { minNodeCount: 1, maxNodeCount: 3, nodeIdleTimeBeforeScaleDown: 'PT2M' },
              userAccountCredentials: { adminUserName: 'azureuser', adminUserPassword: 'Hunter2-secret!', adminUserSshPublicKey: 'ssh-rsa AAAAsecretkey' },
            },
          },
        },
      },
      { onResponse: (answer) => (head = answer) },
    );
    expect(head!.status).toBe(201);
    expect(String(head!.headers['azure-asyncoperation'])).toMatch(
      new RegExp(
        `^${emulator.url}/subscriptions/${WS.subscriptionId}/providers/Microsoft.MachineLearningServices/locations/local/computeOperationsStatus/[0-9a-f]{32}\\?api-version=2024-10-01$`,
      ),
    );
    expect(created).toMatchObject({
      id: `${ARM_WS}/computes/cpu-a`,
      name: 'cpu-a',
      type: 'Microsoft.MachineLearningServices/workspaces/computes',
      location: 'local',
      properties: {
        computeType: 'AmlCompute',
        provisioningState: 'Creating',
        properties: { vmSize: 'STANDARD_DS3_V2', allocationState: 'Resizing', currentNodeCount: 0, userAccountCredentials: { adminUserName: 'azureuser' } },
      },
    });
    // The password and key are the service's secrets: never shown back, never kept.
    expect(JSON.stringify(created)).not.toMatch(/Hunter2|secretkey/);
    expect(fs.readFileSync(path.join(dataDir, 'state.json'), 'utf8')).not.toMatch(/Hunter2|secretkey/);

    const status = async () => (await fetch(String(head!.headers['azure-asyncoperation']), { headers: { authorization: 'Bearer emulator-token' } })).json();
    expect(await status()).toMatchObject({ status: 'InProgress' });
    clock += PROVISIONING_MS;
    expect(await status()).toMatchObject({ status: 'Succeeded', endTime: new Date(clock).toISOString() });
    const ready = await client().v2.Compute_Get({ ...WS, computeName: 'cpu-a' });
    expect(ready.properties).toMatchObject({
      provisioningState: 'Succeeded',
      properties: {
        allocationState: 'Steady',
        currentNodeCount: 1,
        targetNodeCount: 1,
        nodeStateCounts: { idleNodeCount: 1, runningNodeCount: 0 },
        scaleSettings: { minNodeCount: 1, maxNodeCount: 3, nodeIdleTimeBeforeScaleDown: 'PT2M' },
      },
    });
    const nodes = await client().v2.Compute_ListNodes({ ...WS, computeName: 'cpu-a' });
    expect(nodes.nodes).toEqual([
      {
        nodeId: expect.stringMatching(/^tvm-[0-9a-f]{10}_1-\d{8}t\d{6}z$/),
        privateIpAddress: '127.0.0.1',
        publicIpAddress: '127.0.0.1',
        port: 50000,
        nodeState: 'idle',
        runId: null,
      },
    ]);
  });

  it('refuses what the service refuses, in its error shape: a bad name, another compute type, minNodeCount above maxNodeCount, another vmSize for an existing cluster, start on a cluster', async () => {
    const put = (computeName: string, properties: Record<string, unknown>, computeType = 'AmlCompute') =>
      client().v2.Compute_CreateOrUpdate({ ...WS, computeName, parameters: { properties: { computeType, properties } as never } });
    const refusal = async (promise: Promise<unknown>) => {
      const error = (await promise.catch((e: unknown) => e)) as AzureMLServiceError;
      expect(error).toBeInstanceOf(AzureMLServiceError);
      return [error.statusCode, error.code, error.serviceMessage];
    };
    expect(await refusal(put('9lives', { vmSize: 'A', scaleSettings: { maxNodeCount: 1 } }))).toEqual([
      400,
      'ValidationError',
      'Compute name "9lives" is invalid: it can include letters, digits and dashes, must start with a letter, end with a letter or digit, and be 2 to 16 characters long.',
    ]);
    expect(await refusal(put('inst', { vmSize: 'A' }, 'ComputeInstance'))).toEqual([
      400,
      'UserError',
      'The emulator provides AmlCompute clusters (computeType AmlCompute), not ComputeInstance.',
    ]);
    expect(await refusal(put('small', { vmSize: 'A', scaleSettings: { minNodeCount: 3, maxNodeCount: 2 } }))).toEqual([
      400,
      'ValidationError',
      'properties.properties.scaleSettings.minNodeCount (3) must not be more than maxNodeCount (2).',
    ]);
    expect(await refusal(put('cpu-a', { vmSize: 'STANDARD_NC6', scaleSettings: { maxNodeCount: 3 } }))).toEqual([
      400,
      'UserError',
      'Compute cpu-a exists with vmSize "STANDARD_DS3_V2"; only its scale settings, description and tags can change (delete it and create it again for another vmSize).',
    ]);
    expect(await refusal(put('cpu-a', { vmSize: 'STANDARD_DS3_V2', scaleSettings: { maxNodeCount: 9 } }))).toEqual([
      400,
      'QuotaExceeded',
      "The cluster asks for up to 9 nodes; this emulator's node quota is 8 (its nodeQuota option).",
    ]);
    expect((await client().getCompute('cpu-a')).properties?.provisioningState).toBe('Succeeded');
    expect(await refusal(client().v2.Compute_Start({ ...WS, computeName: 'cpu-a' }))).toEqual([
      400,
      'UserError',
      'Start applies to compute instances; cpu-a is an AmlCompute cluster, whose nodes come and go with its scale settings (change minNodeCount with Compute_Update instead).',
    ]);
    expect(await refusal(client().v2.Compute_Get({ ...WS, computeName: 'nope' }))).toEqual([
      404,
      'ResourceNotFound',
      "The Resource 'Microsoft.MachineLearningServices/workspaces/my-ws/computes/nope' under resource group 'rg' was not found.",
    ]);
  });

  it('lists computes in pages with a nextLink, which listComputes follows', async () => {
    for (const name of ['cpu-b', 'cpu-c']) await client().createCompute(name, { vmSize: 'STANDARD_D2_V2', maxNodes: 1 }, { wait: false });
    const first = await client().v2.Compute_List(WS);
    expect(first.value!.map((c) => c.name)).toEqual(['cpu-a', 'cpu-b']);
    expect(first.nextLink).toBe(`${emulator.url}${ARM_WS.replace('/resourceGroups/rg', '/resourceGroups/rg')}/computes?api-version=2024-10-01&%24skip=2`);
    const all = await client().listComputes();
    expect(all.map((c) => c.name)).toEqual(['cpu-a', 'cpu-b', 'cpu-c']);
    clock += PROVISIONING_MS;
  });
});

describe('the cluster verbs of the client', () => {
  it('createCompute follows the creation to Succeeded at the pace of Retry-After, and waitForCompute sees it ready', async () => {
    waits.length = 0;
    const compute = await client().createCompute(
      'gpu-a',
      { vmSize: 'STANDARD_NC6', minNodes: 0, maxNodes: 2, idleSecondsBeforeScaleDown: 30 },
      { sleep: clockSleep, maxPollIntervalMs: 20_000 },
    );
    expect(compute.properties).toMatchObject({
      provisioningState: 'Succeeded',
      properties: { allocationState: 'Steady', scaleSettings: { nodeIdleTimeBeforeScaleDown: 'PT30S' } },
    });
    // Retry-After: 1 s, until the 60 s of provisioning have passed.
    expect(waits).toEqual(Array(60).fill(1000));
    const seen: string[] = [];
    const ready = await client().waitForCompute('gpu-a', { sleep: clockSleep, onStatus: (s) => seen.push(`${s.provisioningState}/${s.allocationState}`) });
    expect(ready.name).toBe('gpu-a');
    expect(seen).toEqual(['Succeeded/Steady']);
  });

  it('waitForCompute polls until provisioned and steady, telling each change', async () => {
    await client().createCompute('gpu-b', { vmSize: 'STANDARD_NC6', maxNodes: 2, minNodes: 2 }, { wait: false });
    waits.length = 0;
    const seen: string[] = [];
    const ready = await client().waitForCompute(
      { name: 'gpu-b', ...WS },
      { sleep: clockSleep, pollIntervalMs: 20_000, onStatus: (s) => seen.push(`${s.provisioningState}/${s.allocationState}/${s.currentNodes}`) },
    );
    expect(seen).toEqual(['Creating/Resizing/0', 'Succeeded/Steady/2']);
    expect(waits).toEqual([20_000, 20_000, 20_000]);
    expect(ready.properties).toMatchObject({ properties: { currentNodeCount: 2 } });
  });

  it('a cluster over the quota fails its provisioning: createCompute and waitForCompute reject with the service reasons', async () => {
    const error = (await client()
      .createCompute('huge', { vmSize: 'STANDARD_NC6', maxNodes: 9 }, { sleep: clockSleep })
      .catch((e: unknown) => e)) as AzureMLComputeFailedError;
    expect(error).toBeInstanceOf(AzureMLComputeFailedError);
    expect(isAzureMLError(error, 'AzureMLComputeFailedError')).toBe(true);
    expect(error.message).toBe("Compute huge is Failed: QuotaExceeded: The cluster asks for up to 9 nodes; this emulator's node quota is 8 (its nodeQuota option).");
    expect(error.reasons).toEqual([{ code: 'QuotaExceeded', message: "The cluster asks for up to 9 nodes; this emulator's node quota is 8 (its nodeQuota option)." }]);
    await expect(client().waitForCompute('huge', { sleep: clockSleep })).rejects.toThrow('Compute huge is Failed: QuotaExceeded');
  });

  it('names every problem of a cluster spec before anything is sent, and never a secret', async () => {
    const before = (await client().listComputes()).length;
    const error = (await client()
      .createCompute('-bad', { vmSize: '', maxNodes: 2, minNodes: 3, adminUserPassword: 'Hunter2-secret!', colour: 'red' } as never)
      .catch((e: unknown) => e)) as AzureMLValidationError;
    expect(error).toBeInstanceOf(AzureMLValidationError);
    expect(error.problems).toEqual([
      { path: 'name', message: 'can include letters, digits and dashes, must start with a letter, end with a letter or digit, and be 2 to 16 characters long' },
      {
        path: 'colour',
        message:
          'is not a known field (known: vmSize, minNodes, maxNodes, idleSecondsBeforeScaleDown, vmPriority, adminUserName, sshPublicKey, adminUserPassword, remoteLoginPortPublicAccess, location, description, tags)',
      },
      { path: 'vmSize', message: 'is required: the size of the nodes, e.g. STANDARD_DS3_V2' },
      { path: 'minNodes', message: 'must not be more than maxNodes (3 > 2)' },
      { path: 'adminUserPassword', message: 'needs adminUserName: the user it logs in' },
    ]);
    expect(JSON.stringify(error.toJSON())).not.toContain('Hunter2');
    await expect(client().resizeCompute('gpu-a', { maxNodes: 1.5 })).rejects.toThrow('maxNodes must be a whole number, 0 or more (got 1.5)');
    await expect(create(account(), { workspace: { ...WS, workspaceName: undefined as never } }).getCompute('gpu-a')).rejects.toThrow(
      'workspaceName is required (give it in the call, or in create(account, { workspace }))',
    );
    expect((await client().listComputes()).length).toBe(before);
  });
});

describe('runs on a cluster', () => {
  it('a v1 run waits in Queued while the cluster has no free node, and starts when one frees up; nodes show the run on them', async () => {
    await client().createCompute('one', { vmSize: 'STANDARD_D2_V2', maxNodes: 1, idleSecondsBeforeScaleDown: 600 }, { sleep: clockSleep });
    const go = path.join(scratch, 'go-one');
    const first = await client().submitRun({ project, script: 'wait.py', target: 'one', environmentVariables: { GO_FILE: go } });
    const second = await client().submitRun({ project, script: 'wait.py', target: 'one' });
    await runWhen(first.runId, (s) => s === 'Running');
    expect((await client().Runs_GetDetails({ ...WS, experimentName: 'clusters', runId: second.runId })).status).toBe('Queued');
    expect(await client().listNodes('one')).toEqual([expect.objectContaining({ nodeState: 'running', runId: first.runId, privateIpAddress: '127.0.0.1', port: 50000 })]);
    const busy = await client().getCompute('one');
    expect(busy.properties).toMatchObject({ properties: { currentNodeCount: 1, nodeStateCounts: { runningNodeCount: 1, idleNodeCount: 0 } } });

    fs.writeFileSync(go, '');
    const done = await runWhen(second.runId, (s) => s === 'Completed');
    expect(done.target).toBe('one');
    expect((await client().Runs_GetDetails({ ...WS, experimentName: 'clusters', runId: first.runId })).status).toBe('Completed');
    // Idle after the runs, then gone after the cluster's idle time (minNodes 0).
    expect(await client().listNodes('one')).toEqual([expect.objectContaining({ nodeState: 'idle', runId: null })]);
    clock += 600_000;
    expect(await client().listNodes('one')).toEqual([]);
  });

  it('a run that needs more nodes than the cluster can have fails, naming both numbers; a v1 run on a cluster that does not exist fails as the service fails it', async () => {
    const wide = await client().submitRun({ project, script: 'wait.py', target: 'one', definition: { configuration: { nodeCount: 2 } } });
    const failed = await runWhen(wide.runId, (s) => s === 'Failed');
    expect(failed.error?.error).toMatchObject({ code: 'UserError', message: 'The run needs 2 nodes but AzureMLCompute cluster one has at most 1 (maxNodeCount).' });
    const lost = await client().submitRun({ project, script: 'wait.py', target: 'nowhere' });
    const missing = await runWhen(lost.runId, (s) => s === 'Failed');
    expect(missing.error?.error).toMatchObject({ code: 'UserError', message: 'AzureMLCompute cluster nowhere does not exist' });
  });

  it('a v2 job that names a compute that does not exist is refused at submission with the service message', async () => {
    const error = (await client()
      .v2.Jobs_CreateOrUpdate({
        ...WS,
        id: 'job-nowhere',
        body: { properties: { jobType: 'Command', command: 'echo hi', environmentId: 'azureml:env:1', computeId: 'azureml:nowhere' } as never },
      })
      .catch((e: unknown) => e)) as AzureMLServiceError;
    expect([error.statusCode, error.code, error.serviceMessage]).toEqual([400, 'UserError', "Unknown compute target 'nowhere'."]);
  });

  it('a run on a cluster still being created waits in Queued, and starts once the cluster is ready', async () => {
    await client().createCompute('later', { vmSize: 'STANDARD_D2_V2', maxNodes: 1 }, { wait: false });
    const run = await client().submitRun({ project, script: 'wait.py', target: 'later' });
    await runWhen(run.runId, (s) => s === 'Queued');
    // Still Queued while the clock has not reached the end of the provisioning.
    expect((await client().getCompute('later')).properties?.provisioningState).toBe('Creating');
    expect((await client().Runs_GetDetails({ ...WS, experimentName: 'clusters', runId: run.runId })).status).toBe('Queued');
    clock += PROVISIONING_MS;
    expect((await client().getCompute('later')).properties?.provisioningState).toBe('Succeeded');
    expect((await runWhen(run.runId, (s) => s === 'Completed')).target).toBe('later');
  });

  it('a v2 job on a cluster (computeId, resources.instanceCount) holds its nodes while it runs', async () => {
    await client().createCompute('jobs', { vmSize: 'STANDARD_D2_V2', maxNodes: 2 }, { sleep: clockSleep });
    const go = path.join(scratch, 'go-job');
    const job = await client().submitJob(
      { project, command: 'python wait.py', environmentId: 'azureml:env:1', computeId: 'jobs', instanceCount: 2, environmentVariables: { GO_FILE: go }, jobName: 'job-on-jobs' },
      {},
    );
    // On the wire as the service takes them (and azure-ai-ml sends them): Resource Manager ids of the workspace.
    expect(job.job).toMatchObject({ computeId: `${ARM_WS}/computes/jobs`, environmentId: `${ARM_WS}/environments/env/versions/1`, resources: { instanceCount: 2 } });
    expect((await client().v2.Jobs_Get({ ...WS, id: 'job-on-jobs' })).properties).toMatchObject({ computeId: `${ARM_WS}/computes/jobs` });
    await runWhen('job-on-jobs', (s) => s === 'Running');
    expect((await client().listNodes('jobs')).map((n) => [n.nodeState, n.runId])).toEqual([
      ['running', 'job-on-jobs'],
      ['running', 'job-on-jobs'],
    ]);
    fs.writeFileSync(go, '');
    expect((await runWhen('job-on-jobs', (s) => s === 'Completed')).target).toBe('jobs');
    expect((await client().listNodes('jobs')).map((n) => n.nodeState)).toEqual(['idle', 'idle']);
  });

  it('resizing adds idle nodes up to minNodes at once and Steady after the resize time; a lower maxNodes lets idle nodes go', async () => {
    const resized = await client().resizeCompute('one', { minNodes: 2, maxNodes: 3 }, { wait: false });
    expect(resized.properties).toMatchObject({ provisioningState: 'Updating', properties: { allocationState: 'Resizing' } });
    await client().waitForCompute('one', { sleep: clockSleep });
    expect((await client().listNodes('one')).map((n) => [n.nodeState, n.port])).toEqual([
      ['idle', 50001],
      ['idle', 50002],
    ]);
    const smaller = await client().resizeCompute('one', { minNodes: 0, maxNodes: 1 }, { sleep: clockSleep });
    expect(smaller.properties).toMatchObject({ provisioningState: 'Succeeded', properties: { currentNodeCount: 1, scaleSettings: { minNodeCount: 0, maxNodeCount: 1 } } });
  });

  it('deleting a cluster fails the runs on it, is long-running (Azure-AsyncOperation and Location), and ends with the cluster gone', async () => {
    const go = path.join(scratch, 'go-delete');
    const running = await client().submitRun({ project, script: 'wait.py', target: 'one', environmentVariables: { GO_FILE: go } });
    const queued = await client().submitRun({ project, script: 'wait.py', target: 'one' });
    await runWhen(running.runId, (s) => s === 'Running');
    let head: AnswerHead | undefined;
    await client().v2.Compute_Delete({ ...WS, computeName: 'one', underlyingResourceAction: 'Delete' }, { onResponse: (a) => (head = a) });
    expect(head!.status).toBe(202);
    expect(String(head!.headers.location)).toMatch(/\/computeOperationsResults\/[0-9a-f]{32}\?api-version=2024-10-01$/);
    const message = 'AzureMLCompute cluster one was deleted (Delete) while the run was waiting for it or running on it.';
    for (const run of [running, queued]) {
      const details = await runWhen(run.runId, (s) => s === 'Failed');
      expect(details.error?.error?.message).toBe(message);
    }
    expect((await client().getCompute('one')).properties?.provisioningState).toBe('Deleting');
    const deleted = await client().deleteCompute('one', { sleep: clockSleep });
    expect(deleted).toEqual({ name: 'one', underlyingResourceAction: 'Delete' });
    await expect(client().getCompute('one')).rejects.toMatchObject({ statusCode: 404, code: 'ResourceNotFound' });
  });

  it('computes survive a restart; their nodes are free again', async () => {
    await emulator.close();
    await start();
    const names = (await client().listComputes()).map((c) => [c.name, c.properties?.provisioningState]);
    expect(names).toEqual([
      ['cpu-a', 'Succeeded'],
      ['cpu-b', 'Succeeded'],
      ['cpu-c', 'Succeeded'],
      ['gpu-a', 'Succeeded'],
      ['gpu-b', 'Succeeded'],
      ['huge', 'Failed'],
      ['jobs', 'Succeeded'],
      ['later', 'Succeeded'],
    ]);
    expect((await client().listNodes('gpu-b')).map((n) => n.nodeState)).toEqual(['idle', 'idle']);
  });
});

describe('compute and environment ids, qualified as the service takes them', () => {
  it('makes names ARM ids of the workspace and leaves full ids alone', () => {
    expect(qualifyComputeId('gpu', WS)).toBe(`${ARM_WS}/computes/gpu`);
    expect(qualifyComputeId('azureml:gpu', WS)).toBe(`${ARM_WS}/computes/gpu`);
    expect(qualifyComputeId(`${ARM_WS}/computes/gpu`, WS)).toBe(`${ARM_WS}/computes/gpu`);
    expect(qualifyEnvironmentId('azureml:env:3', WS)).toBe(`${ARM_WS}/environments/env/versions/3`);
    expect(qualifyEnvironmentId('azureml:env@latest', WS)).toBe('azureml:env@latest');
    expect(qualifyEnvironmentId('azureml://registries/azureml/environments/sklearn-1.5/versions/2', WS)).toBe('azureml://registries/azureml/environments/sklearn-1.5/versions/2');
  });
});
