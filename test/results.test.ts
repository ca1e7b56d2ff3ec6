/**
 * What comes out of a run, end to end against the emulator: the run context's variables and its
 * scoped token, artifacts (listed, paged, served with Range, made empty), metrics from Run History
 * and from MLflow (the `mlflow` npm client, which this project did not write), and the client's
 * getMetrics, getRunDetails and downloadOutputs.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { AzureMLNotFoundError, AzureMLResponseFormatError, create as createClient, startEmulator, type Emulator } from '../src';
import { makeZip } from './helpers/make-zip';

const WS = { subscriptionId: '6a8bd9bb-1df3-4bca-9b24-27a7f3e5b9e7', resourceGroupName: 'rg', workspaceName: 'ws', experimentName: 'results' };
const FAST = { initialIntervalMs: 20, maxIntervalMs: 100 };
const EXAMPLE = path.join(__dirname, '..', 'examples', 'metrics');

let emulator: Emulator;
let client: ReturnType<typeof createClient>;
let scratch: string;
beforeAll(async () => {
  emulator = await startEmulator({ pageSize: 2 });
  client = createClient({ access_token: 'owner-token', host: emulator.url }, { workspace: WS });
  scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'azureml-results-'));
});
afterAll(async () => {
  await emulator.close();
  fs.rmSync(scratch, { recursive: true, force: true });
});

async function runScript(script: string, extra: Array<{ name: string; data: string }> = [], args?: string[]): Promise<string> {
  const { runId } = await client.submitRun({ project: makeZip([{ name: 'main.py', data: script }, ...extra]), script: 'main.py', arguments: args });
  await client.waitForRun(runId, FAST).catch(() => undefined);
  return runId;
}

describe('the example of examples/metrics', () => {
  let runId: string;
  beforeAll(async () => {
    ({ runId } = await client.submitRun({ project: EXAMPLE, script: 'train.py', arguments: ['4'] }));
    const details = await client.waitForRun(runId, FAST);
    expect(details.status).toBe('Completed');
  });

  it('logs its metrics both ways, as one set of metrics of the run, in step order', async () => {
    const metrics = await client.getMetrics(runId);
    expect(Object.keys(metrics).sort()).toEqual(['accuracy', 'final_bias', 'final_loss', 'final_weight', 'loss']);
    expect(metrics.loss.map((p) => p.step)).toEqual([0, 1, 2, 3]);
    expect(metrics.accuracy.map((p) => p.step)).toEqual([0, 1, 2, 3]);
    expect(metrics.final_loss).toEqual([{ value: metrics.loss[3].value, step: 3, time: expect.any(String) }]);
    // The loss falls and the accuracy rises, as the script computes them.
    expect(metrics.loss.map((p) => p.value as number).every((v, i, all) => i === 0 || v < all[i - 1])).toBe(true);
    expect(metrics.accuracy.every((p) => typeof p.value === 'number' && p.value > 0 && p.value < 1)).toBe(true);
    expect(Number.isNaN(Date.parse(metrics.loss[0].time))).toBe(false);
  });

  it('has its outputs and the driver log as artifacts of container dcid.<runId>, in pages', async () => {
    const first = await client.RunArtifacts_ListInContainer({ ...WS, runId });
    expect(first.value!.map((a) => a.path)).toEqual(['azureml-logs/70_driver_log.txt', 'outputs/model.json']);
    expect(first.value![0]).toMatchObject({ origin: 'ExperimentRun', container: `dcid.${runId}`, artifactId: `ExperimentRun/dcid.${runId}/azureml-logs/70_driver_log.txt` });
    expect(first.continuationToken).toEqual(expect.any(String));
    expect(new URL(first.nextLink!).searchParams.get('continuationToken')).toBe(first.continuationToken);
    const second = await client.RunArtifacts_ListInContainer({ ...WS, runId, continuationToken: first.continuationToken! });
    expect(second.value!.map((a) => a.path)).toEqual(['outputs/reports/summary.txt']);
    expect(second.continuationToken).toBeUndefined();
    const inPath = await client.RunArtifacts_ListInPath({ ...WS, runId, path: 'outputs/reports/' });
    expect(inPath.value!.map((a) => a.path)).toEqual(['outputs/reports/summary.txt']);
  });

  it('serves an artifact by its content link, without the bearer token, with Range', async () => {
    const info = await client.RunArtifacts_GetContentInformation({ ...WS, runId, path: 'outputs/model.json' });
    expect(info).toMatchObject({ origin: 'ExperimentRun', container: `dcid.${runId}`, path: 'outputs/model.json' });
    const whole = await (await fetch(info.contentUri!)).text();
    expect(Object.keys(JSON.parse(whole) as object)).toEqual(['weight', 'bias']);
    const part = await fetch(info.contentUri!, { headers: { range: 'bytes=0-9' } });
    expect([part.status, part.headers.get('content-range'), await part.text()]).toEqual([206, `bytes 0-9/${whole.length}`, whole.slice(0, 10)]);
    expect(await client.RunArtifacts_GetSasUri({ ...WS, runId, path: 'outputs/model.json' })).toBe(info.contentUri);
    const unsigned = new URL(info.contentUri!);
    unsigned.searchParams.set('sig', 'forged');
    expect((await fetch(unsigned)).status).toBe(403);
  });

  it('answers a missing artifact with the service error, and a path that leaves the run with a validation error', async () => {
    await expect(client.RunArtifacts_GetById({ ...WS, runId, path: 'outputs/none.bin' })).rejects.toThrow(`UserError: Run ${runId} has no artifact outputs/none.bin`);
    await expect(client.RunArtifacts_GetById({ ...WS, runId, path: 'outputs/../../state.json' })).rejects.toThrow(
      'ValidationError: path must be a relative path without empty, . or .. segments',
    );
  });

  it('keeps the MLflow params and tags, and reads metrics back with the mlflow npm client', async () => {
    const MLflow = require('mlflow') as new (options: { endpoint: string; headers: Record<string, string> }) => {
      Runs: { get(input: { run_id: string }): Promise<{ run: { info: Record<string, unknown>; data: Record<string, Array<Record<string, unknown>>> } }> };
      Metrics: { getHistory(input: { run_id: string; metric_key: string }): Promise<{ metrics: Array<Record<string, unknown>> }> };
    };
    const endpoint = `${emulator.url}/mlflow/v1.0/subscriptions/${WS.subscriptionId}/resourceGroups/rg/providers/Microsoft.MachineLearningServices/workspaces/ws`;
    const mlflow = new MLflow({ endpoint, headers: { Authorization: 'Bearer owner-token' } });
    const { run } = await mlflow.Runs.get({ run_id: runId });
    expect(run.info).toMatchObject({ run_id: runId, status: 'FINISHED', lifecycle_stage: 'active' });
    expect(run.data.params).toEqual([
      { key: 'epochs', value: '4' },
      { key: 'learning_rate', value: '0.1' },
    ]);
    expect(run.data.tags).toEqual([{ key: 'model', value: 'linear' }]);
    const metrics = await client.getMetrics(runId);
    const history = await mlflow.Metrics.getHistory({ run_id: runId, metric_key: 'accuracy' });
    expect(history.metrics.map((m) => [m.key, m.value, m.step])).toEqual(metrics.accuracy.map((p) => ['accuracy', p.value, p.step]));
    // Run History metrics (run.log) read through MLflow too: their step is their place.
    const loss = await mlflow.Metrics.getHistory({ run_id: runId, metric_key: 'loss' });
    expect(loss.metrics.map((m) => m.step)).toEqual([0, 1, 2, 3]);
  });

  it("takes metrics, params and tags logged by the mlflow npm client, as the run's Run History metrics", async () => {
    const MLflow = require('mlflow') as new (options: { endpoint: string; headers: Record<string, string> }) => {
      Runs: {
        logMetric(input: Record<string, unknown>): Promise<unknown>;
        logBatch(input: Record<string, unknown>): Promise<unknown>;
        logParameter(input: Record<string, unknown>): Promise<unknown>;
        setTag(input: Record<string, unknown>): Promise<unknown>;
        get(input: { run_id: string }): Promise<{ run: { data: Record<string, Array<Record<string, unknown>>> } }>;
      };
    };
    const target = await runScript('print("done")');
    const endpoint = `${emulator.url}/mlflow/v1.0/subscriptions/${WS.subscriptionId}/resourceGroups/rg/providers/Microsoft.MachineLearningServices/workspaces/ws`;
    const mlflow = new MLflow({ endpoint, headers: { Authorization: 'Bearer owner-token' } });
    // The client prints each body it posts: kept out of the test output.
    const quiet = jest.spyOn(console, 'log').mockImplementation(() => undefined);
    try {
      await mlflow.Runs.logMetric({ run_id: target, key: 'auc', value: 0.5, timestamp: Date.parse('2026-11-25T12:00:00Z'), step: 3 });
      await mlflow.Runs.logBatch({
        run_id: target,
        metrics: [
          { key: 'auc', value: 0.75, timestamp: Date.parse('2026-11-25T12:00:01Z'), step: 1 },
          { key: 'auc', value: 'NaN', timestamp: Date.parse('2026-11-25T12:00:02Z'), step: 5 },
        ],
        params: [{ key: 'lr', value: '0.01' }],
        tags: [{ key: 'team', value: 'vision' }],
      });
      await mlflow.Runs.logParameter({ run_id: target, key: 'batch', value: '32' });
      await mlflow.Runs.setTag({ run_id: target, key: 'stage', value: 'dev' });
      await expect(mlflow.Runs.logParameter({ run_id: target, key: 'lr', value: '0.02' })).rejects.toThrow(/INVALID_PARAMETER_VALUE.*Changing param values is not allowed/);
    } finally {
      quiet.mockRestore();
    }
    const metrics = await client.getMetrics(target);
    expect(metrics.auc).toEqual([
      { value: 0.75, step: 1, time: '2026-11-25T12:00:01.000Z' },
      { value: 0.5, step: 3, time: '2026-11-25T12:00:00.000Z' },
      { value: 'NaN', step: 5, time: '2026-11-25T12:00:02.000Z' },
    ]);
    const { run } = await mlflow.Runs.get({ run_id: target });
    expect(run.data.params).toEqual([
      { key: 'lr', value: '0.01' },
      { key: 'batch', value: '32' },
    ]);
    expect(run.data.tags).toEqual([
      { key: 'team', value: 'vision' },
      { key: 'stage', value: 'dev' },
    ]);
    expect(run.data.metrics).toEqual([{ key: 'auc', value: 0.5, timestamp: Date.parse('2026-11-25T12:00:00Z'), step: 3 }]);
    expect((await client.Runs_Get({ ...WS, runId: target })).tags).toEqual({ team: 'vision', stage: 'dev' });
  });

  it('gives its details in one answer', async () => {
    const summary = await client.getRunDetails(runId);
    expect(summary).toMatchObject({
      runId,
      experimentName: 'results',
      status: 'Completed',
      logFiles: ['azureml-logs/70_driver_log.txt'],
      artifacts: ['azureml-logs/70_driver_log.txt', 'outputs/model.json', 'outputs/reports/summary.txt'],
      definition: { configuration: { script: 'train.py', arguments: ['4'] } },
    });
    const metrics = await client.getMetrics(runId);
    expect(summary.metrics).toEqual(Object.fromEntries(Object.entries(metrics).map(([name, points]) => [name, points[points.length - 1].value])));
    expect(summary.durationMs).toBe(Date.parse(summary.endTimeUtc!) - Date.parse(summary.startTimeUtc!));
  });

  it('downloads its outputs, then skips what is already there with the same size', async () => {
    const to = path.join(scratch, 'download');
    const events: string[] = [];
    const first = await client.downloadOutputs(runId, { to, concurrency: 1, onProgress: (p) => events.push(`${p.state} ${p.path}`) });
    expect(first.files.map((f) => [f.path, f.skipped])).toEqual([
      ['outputs/model.json', false],
      ['outputs/reports/summary.txt', false],
    ]);
    const model = fs.readFileSync(path.join(to, 'outputs', 'model.json'));
    expect(first.bytes).toBe(model.length + fs.statSync(path.join(to, 'outputs', 'reports', 'summary.txt')).size);
    expect(events).toEqual([
      'started outputs/model.json',
      'progress outputs/model.json',
      'done outputs/model.json',
      'started outputs/reports/summary.txt',
      'progress outputs/reports/summary.txt',
      'done outputs/reports/summary.txt',
    ]);
    fs.writeFileSync(path.join(to, 'outputs', 'reports', 'summary.txt'), 'changed, and of another size');
    const second = await client.downloadOutputs(runId, { to });
    expect(second.files.map((f) => [f.path, f.skipped])).toEqual([
      ['outputs/model.json', true],
      ['outputs/reports/summary.txt', false],
    ]);
    expect(fs.readFileSync(path.join(to, 'outputs', 'reports', 'summary.txt'), 'utf8')).toMatch(/^epochs=4 loss=/);
    expect(fs.readdirSync(path.join(to, 'outputs')).some((name) => name.endsWith('.part'))).toBe(false);
  });

  it('says when nothing matches the prefix, as a not-found error', async () => {
    const error = await client.downloadOutputs(runId, { to: scratch, prefix: 'models/' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AzureMLNotFoundError);
    expect((error as Error).message).toBe(`Run ${runId} has no artifacts under models/`);
    expect((error as AzureMLNotFoundError).statusCode).toBe(404);
  });
});

describe("a run's environment and token", () => {
  const PROBE = `
import json, os, urllib.request, urllib.error
env = os.environ
def status(method, url, body=None, token=env["AZUREML_RUN_TOKEN"]):
    request = urllib.request.Request(url, data=None if body is None else json.dumps(body).encode(), method=method)
    request.add_header("Authorization", "Bearer " + token)
    request.add_header("Content-Type", "application/json")
    try:
        with urllib.request.urlopen(request) as answer:
            return answer.status
    except urllib.error.HTTPError as error:
        return error.code
ws = "%s/history/v1.0/subscriptions/%s/resourceGroups/%s/providers/Microsoft.MachineLearningServices/workspaces/%s" % (env["AZUREML_SERVICE_ENDPOINT"], env["AZUREML_ARM_SUBSCRIPTION"], env["AZUREML_ARM_RESOURCEGROUP"], env["AZUREML_ARM_WORKSPACE_NAME"])
own = ws + "/experiments/%s/runs/%s" % (env["AZUREML_ARM_PROJECT_NAME"], env["AZUREML_RUN_ID"])
other = ws + "/experiments/%s/runs/%s" % (env["AZUREML_ARM_PROJECT_NAME"], "${'${OTHER}'}")
metric = {"name": "m", "cells": [{"m": 1}]}
print(json.dumps({
  "names": sorted(k for k in env if k.startswith("AZUREML_") or k.startswith("MLFLOW_")),
  "same": env["AZUREML_RUN_TOKEN"] == env["MLFLOW_TRACKING_TOKEN"] and env["MLFLOW_RUN_ID"] == env["AZUREML_RUN_ID"],
  "own metric": status("POST", own + "/metrics", metric),
  "own artifacts": status("GET", own + "/artifacts"),
  "other run's metric": status("POST", other + "/metrics", metric),
  "run details": status("GET", own + "/details"),
  "query runs": status("POST", ws + "/experiments/%s/runs:query" % env["AZUREML_ARM_PROJECT_NAME"], {}),
  "forged run token": status("GET", own + "/artifacts", token="emu_run_forged"),
  "mlflow own": status("POST", env["MLFLOW_TRACKING_URI"] + "/api/2.0/mlflow/runs/log-metric", {"run_id": env["MLFLOW_RUN_ID"], "key": "x", "value": 1, "timestamp": 0}, env["MLFLOW_TRACKING_TOKEN"]),
  "mlflow other": status("POST", env["MLFLOW_TRACKING_URI"] + "/api/2.0/mlflow/runs/log-metric", {"run_id": "${'${OTHER}'}", "key": "x", "value": 1, "timestamp": 0}, env["MLFLOW_TRACKING_TOKEN"]),
}))
os.makedirs("outputs", exist_ok=True)
open("outputs/token.txt", "w").write(env["AZUREML_RUN_TOKEN"])
`;

  it('has the run context variables, and a token that acts for its own run alone, until the run ends', async () => {
    const other = await runScript('print("other")');
    const runId = await runScript(PROBE.split('${OTHER}').join(other), [], undefined);
    const log = await client.getRunLog(runId);
    const report = JSON.parse(log.log.trim().split('\n').pop()!) as Record<string, unknown>;
    expect(report).toEqual({
      names: [
        'AZUREML_ARM_PROJECT_NAME',
        'AZUREML_ARM_RESOURCEGROUP',
        'AZUREML_ARM_SUBSCRIPTION',
        'AZUREML_ARM_WORKSPACE_NAME',
        'AZUREML_EXPERIMENT_NAME',
        'AZUREML_RUN_ID',
        'AZUREML_RUN_TOKEN',
        'AZUREML_SERVICE_ENDPOINT',
        'MLFLOW_RUN_ID',
        'MLFLOW_TRACKING_TOKEN',
        'MLFLOW_TRACKING_URI',
      ],
      same: true,
      'own metric': 200,
      'own artifacts': 200,
      "other run's metric": 403,
      'run details': 403,
      'query runs': 403,
      'forged run token': 401,
      'mlflow own': 200,
      'mlflow other': 403,
    });
    // Ended: its token is worth nothing now.
    const to = path.join(scratch, 'token');
    await client.downloadOutputs(runId, { to });
    const token = fs.readFileSync(path.join(to, 'outputs', 'token.txt'), 'utf8');
    const late = createClient({ access_token: token, host: emulator.url }, { workspace: WS });
    await expect(late.RunArtifacts_ListInContainer({ ...WS, runId })).rejects.toThrow('UserError: The run token is not valid: its run has ended, or it was never issued.');
  });

  it('keeps the service variables over those of the definition', async () => {
    const { runId } = await client.submitRun({
      project: makeZip([{ name: 'main.py', data: 'import os\nprint(os.environ["AZUREML_SERVICE_ENDPOINT"], os.environ["MLFLOW_RUN_ID"])' }]),
      script: 'main.py',
      environmentVariables: { AZUREML_SERVICE_ENDPOINT: 'http://attacker.example', MLFLOW_RUN_ID: 'someone-else' },
    });
    await client.waitForRun(runId, FAST);
    expect((await client.getRunLog(runId)).log).toBe(`${emulator.url} ${runId}\n`);
  });
});

describe('artifacts the script does not own', () => {
  it('lists no links, and no files behind a linked folder', async () => {
    const runId = await runScript(
      [
        'import os',
        'os.makedirs("outputs", exist_ok=True)',
        'open("outputs/real.txt", "w").write("real")',
        'os.symlink("/etc/passwd", "outputs/passwd")',
        'os.symlink("/etc", "outputs/etc")',
        'os.mkfifo("outputs/pipe")',
      ].join('\n'),
    );
    const listed = await client.RunArtifacts_ListSasByPrefix({ ...WS, runId, path: 'outputs/' });
    expect(listed.value!.map((a) => a.path)).toEqual(['outputs/real.txt']);
    await expect(client.RunArtifacts_GetById({ ...WS, runId, path: 'outputs/passwd' })).rejects.toThrow(`has no artifact outputs/passwd`);
  });

  it("makes empty artifacts in the run's own folder, and refuses azureml-logs/ and paths that leave it", async () => {
    const runId = await runScript('print(1)');
    const made = await client.RunArtifacts_BatchCreateEmptyArtifacts({
      ...WS,
      runId,
      artifactPaths: { paths: [{ path: 'notes/a.txt' }, { path: 'azureml-logs/x.txt' }, { path: 'a/../../b' }] },
    });
    expect(Object.keys(made.artifacts!)).toEqual(['notes/a.txt']);
    expect(made.artifacts!['notes/a.txt']).toMatchObject({ origin: 'ExperimentRun', container: `dcid.${runId}`, path: 'notes/a.txt' });
    expect(Object.fromEntries(Object.entries(made.errors!).map(([k, v]) => [k, v.error?.message]))).toEqual({
      'azureml-logs/x.txt': "azureml-logs/x.txt: azureml-logs/ holds the service's own logs; it takes no artifacts",
      'a/../../b': 'artifactPaths.paths[2].path must be a relative path without empty, . or .. segments',
    });
    const link = made.artifactContentInformation!['notes/a.txt'].contentUri!;
    expect([(await fetch(link)).status, await (await fetch(link)).text()]).toEqual([200, '']);
    const all = await client.RunArtifacts_ListInPath({ ...WS, runId, path: 'notes' });
    expect(all.value!.map((a) => a.path)).toEqual(['notes/a.txt']);
    // Its link takes the content, as a blob SAS URL does (a block blob in one PUT).
    const put = await fetch(link, { method: 'PUT', headers: { 'x-ms-blob-type': 'BlockBlob' }, body: 'uploaded notes' });
    expect([put.status, put.headers.get('etag')]).toEqual([201, expect.stringMatching(/^"0x[0-9a-f]+"$/)]);
    expect(await (await fetch(link)).text()).toBe('uploaded notes');
    expect((await fetch(link, { method: 'PUT', headers: { 'x-ms-blob-type': 'AppendBlob' }, body: 'x' })).status).toBe(400);
    // A body cut short (the client went away) is not kept: the artifact keeps its last whole content.
    await new Promise<void>((resolve) => {
      const url = new URL(link);
      const req = require('http').request(url, { method: 'PUT', headers: { 'content-length': '100' } });
      req.on('error', () => resolve());
      req.write('only part of it', () => setImmediate(() => (req.destroy(), resolve())));
    });
    // Watched for half a second: a server that kept the cut body would show it within that.
    const seen = new Set<string>();
    for (let i = 0; i < 50; i++) {
      seen.add(await (await fetch(link)).text());
      await new Promise((r) => setTimeout(r, 10));
    }
    expect([...seen]).toEqual(['uploaded notes']);
    const forged = new URL(link);
    forged.searchParams.set('sig', 'nope');
    expect((await fetch(forged, { method: 'PUT', body: 'x' })).status).toBe(403);
    // What the run wrote is its own: not overwritten through its link.
    const log = (await client.RunArtifacts_GetContentInformation({ ...WS, runId, path: 'azureml-logs/70_driver_log.txt' })).contentUri!;
    const refused = await fetch(log, { method: 'PUT', body: 'forged log' });
    expect(refused.status).toBe(403);
    expect(await (await fetch(log)).text()).toBe('1\n');
  });
});

describe('downloadOutputs against a service that lies', () => {
  it('refuses an artifact path that would leave the folder, before writing anything', async () => {
    const { startRecordingServer } = await import('./helpers/recording-server');
    const server = await startRecordingServer();
    try {
      server.reply({
        status: 200,
        body: {
          value: [
            { path: 'outputs/ok.txt', contentUri: `${server.url}/ok` },
            { path: 'outputs/../../escape.txt', contentUri: `${server.url}/evil` },
          ],
        },
      });
      const lying = createClient({ access_token: 't', host: server.url }, { workspace: WS });
      const to = path.join(scratch, 'lying');
      const error = await lying.downloadOutputs('r1', { to }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(AzureMLResponseFormatError);
      expect((error as Error).message).toBe(
        `Action azureml-execution/downloadOutputs got an answer it cannot read (status code 200): the artifact path "outputs/../../escape.txt" would be written outside ${to}; nothing was downloaded`,
      );
      expect(fs.existsSync(to)).toBe(false);
      expect(server.requests).toHaveLength(1);
    } finally {
      await server.close();
    }
  });
});
