/// <reference lib="dom" />
/**
 * The emulator's dashboard in a real browser (headless Chromium): the runs list, a run's live log,
 * metric charts, file downloads, cancel, computes, sign-in, themes, narrow windows, the keyboard;
 * never a console error, never a request outside the emulator. It also regenerates the
 * screenshots under docs/ that the README shows.
 */
import * as fs from 'fs';
import * as http from 'http';
import * as os from 'os';
import * as path from 'path';
import type { Browser } from 'playwright-core';
import { create } from '../src';
import * as runHistory from '../src/runhistory';
import type { SubmittedRun } from '../src/workflow/submit-run';
import { startEmulator, type Emulator } from '../src/emulator/emulator';
import { launchBrowser, openPage, type WatchedPage } from './helpers/browser';
import { projectFolders } from './helpers/project-folders';

const WS = { subscriptionId: '00000000-0000-0000-0000-000000000000', resourceGroupName: 'demo-rg', workspaceName: 'demo-ws', experimentName: 'train' };
const DOCS = path.join(__dirname, '..', 'docs');

/** Prints `line 1`, then each further line when the test creates the file `go-<n>` in the folder it is given. */
const GATE = `
import os, sys, time
gate = sys.argv[1]
print('line 1', flush=True)
for n in range(2, 5):
    deadline = time.time() + 60
    while not os.path.exists(os.path.join(gate, 'go-%d' % n)) and time.time() < deadline:
        time.sleep(0.02)
    print('line %d' % n, flush=True)
`;
const SLEEP = `
import time
print('sleeping', flush=True)
time.sleep(120)
`;
/** Asks for the emulator's workspaces with its own run token, and prints the answer's status and code. */
const PROBE = `
import json, os, urllib.request, urllib.error
request = urllib.request.Request(os.environ['AZUREML_SERVICE_ENDPOINT'] + '/emulator/dashboard/v1.0/workspaces', headers={'Authorization': 'Bearer ' + os.environ['AZUREML_RUN_TOKEN']})
try:
    urllib.request.urlopen(request)
    print('200')
except urllib.error.HTTPError as error:
    print(error.code, json.loads(error.read())['error']['innerError']['code'])
`;
/** Logs 60 metrics of 2 points each through Run History's batch post, with the run's own token. */
const MANY = `
import json, os, urllib.parse, urllib.request
env = os.environ
q = lambda v: urllib.parse.quote(v, safe='')
url = '%s/history/v1.0/subscriptions/%s/resourceGroups/%s/providers/Microsoft.MachineLearningServices/workspaces/%s/experiments/%s/runs/%s/batch/metrics' % (
    env['AZUREML_SERVICE_ENDPOINT'], q(env['AZUREML_ARM_SUBSCRIPTION']), q(env['AZUREML_ARM_RESOURCEGROUP']), q(env['AZUREML_ARM_WORKSPACE_NAME']), q(env['AZUREML_ARM_PROJECT_NAME']), q(env['AZUREML_RUN_ID']))
values = [{'name': 'm%02d' % i, 'metricType': 'azureml.v1.scalar', 'numCells': 1, 'cells': [{'m%02d' % i: float(i + step)}], 'schema': {'numProperties': 1, 'properties': [{'propertyId': 'm%02d' % i, 'name': 'm%02d' % i, 'type': 'float'}]}} for step in range(2) for i in range(60)]
request = urllib.request.Request(url, data=json.dumps({'values': values}).encode(), method='POST', headers={'Authorization': 'Bearer ' + env['AZUREML_RUN_TOKEN'], 'Content-Type': 'application/json'})
urllib.request.urlopen(request).read()
print('logged', len(values))
`;
const FAIL = `
print('about to fail', flush=True)
raise SystemExit(3)
`;
/** 100 MiB of numbered lines (100 bytes each), then the last line. */
const BIG = `
import sys
line = lambda i: ('line %09d ' % i).ljust(99, 'x') + '\\n'
out = sys.stdout
for start in range(0, 1048576, 4096):
    out.write(''.join(line(i) for i in range(start, start + 4096)))
out.write('the last line\\n')
out.flush()
`;

// End to end through a browser: each step waits for an event (bounded), and a loaded CI machine may need more than 30 s in all.
jest.setTimeout(60_000);

let emulator: Emulator;
let browser: Browser;
const folders = projectFolders('azureml-dashboard-');
let project: string;
let gates: string;
const open: WatchedPage[] = [];

const client = () => create({ access_token: 't', host: emulator.url, management_host: emulator.url }, { retry: { maxRetries: 0 }, workspace: WS });

async function watch(options: Parameters<typeof openPage>[2] = {}): Promise<WatchedPage> {
  const watched = await openPage(browser, emulator.url, options);
  open.push(watched);
  return watched;
}

/** Every page a test opened: no console error, nothing asked of another origin. */
async function closePages(): Promise<void> {
  for (const watched of open.splice(0)) {
    await watched.close();
    expect(watched.errors).toEqual([]);
    expect(watched.outside).toEqual([]);
  }
}

function get(url: string, headers: Record<string, string> = {}): Promise<{ status: number; headers: http.IncomingHttpHeaders; body: string }> {
  return new Promise((resolve, reject) => {
    http
      .get(url, { headers }, (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => (body += chunk));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
      })
      .on('error', reject);
  });
}

const runLink = (runId: string) => `#/runs/${[WS.subscriptionId, WS.resourceGroupName, WS.workspaceName, WS.experimentName, runId].map(encodeURIComponent).join('/')}`;

beforeAll(async () => {
  emulator = await startEmulator({ maxConcurrentRuns: 6, killGraceMs: 500, computeProvisioningMs: 0 });
  browser = await launchBrowser();
  project = folders.make({ 'gate.py': GATE, 'sleep.py': SLEEP, 'big.py': BIG, 'fail.py': FAIL, 'probe.py': PROBE, 'many.py': MANY });
  gates = folders.make({});
});

afterEach(closePages);

afterAll(async () => {
  await browser?.close();
  await emulator?.close();
  folders.cleanup();
});

describe('serving the page', () => {
  it('the root URL is the dashboard, with a policy that lets it load and call its own origin only, never framed', async () => {
    const page = await get(`${emulator.url}/`);
    expect(page.status).toBe(200);
    expect(page.headers['content-type']).toBe('text/html; charset=utf-8');
    expect(page.body).toContain('<script defer src="/dashboard/app.js"></script>');
    expect(page.headers['content-security-policy']).toBe(
      "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
    );
    expect(page.headers['x-frame-options']).toBe('DENY');
    expect(page.headers['x-content-type-options']).toBe('nosniff');
    const script = await get(`${emulator.url}/dashboard/app.js`);
    expect(script.status).toBe(200);
    expect(script.headers['content-type']).toBe('text/javascript; charset=utf-8');
    // The one URL in the bundle is the token scope it asks for: nothing names a host to load from.
    expect(script.body.match(/https?:\/\/[^"'`\s)]+/g)).toEqual(['https://management.azure.com/.default']);
    expect((await get(`${emulator.url}/dashboard/app.js`, { 'if-none-match': String(script.headers.etag) })).status).toBe(304);
    expect((await get(`${emulator.url}/dashboard/../state.json`)).status).toBe(404);
    const head = await fetch(`${emulator.url}/`, { method: 'HEAD' });
    expect([head.status, head.headers.get('content-length'), await head.text()]).toEqual([200, String(Buffer.byteLength(page.body)), '']);
  });

  it('answers only requests addressed to it (the Host check), and its one own endpoint needs the owner', async () => {
    expect((await get(`${emulator.url}/`, { host: 'evil.example:80' })).status).toBe(403);
    const anonymous = await get(`${emulator.url}/emulator/dashboard/v1.0/workspaces`);
    expect(anonymous.status).toBe(401);
    expect(JSON.parse(anonymous.body).error.message).toBe('The request has no bearer token in Authorization.');
    const owner = await get(`${emulator.url}/emulator/dashboard/v1.0/workspaces`, { authorization: 'Bearer any' });
    expect(owner.status).toBe(200);
    expect(JSON.parse(owner.body)).toEqual({ value: expect.any(Array) });
    // A run's own token may not list what the emulator holds.
    const probe = await client().submitRun({ project, script: 'probe.py' });
    await client().waitForRun(probe.runId, { initialIntervalMs: 50 });
    expect((await client().getRunLog(probe.runId)).log).toBe('403 RunTokenScope\n');
  });

  it("lists the workspaces it has seen, each experiment's newest run first, and how many computes", async () => {
    const other = { ...WS, workspaceName: 'second-ws' };
    await runHistory.create({ access_token: 't', host: emulator.url }).Experiments_Create({ ...other, experimentName: 'older' });
    const answer = JSON.parse((await get(`${emulator.url}/emulator/dashboard/v1.0/workspaces`, { authorization: 'Bearer any' })).body) as { value: Array<Record<string, unknown>> };
    const mine = answer.value.filter((w) => w.resourceGroupName === WS.resourceGroupName);
    expect(mine.map((w) => w.workspaceName)).toEqual(['demo-ws', 'second-ws']);
    expect(mine[1]).toEqual({
      subscriptionId: WS.subscriptionId,
      resourceGroupName: WS.resourceGroupName,
      workspaceName: 'second-ws',
      experiments: [{ name: 'older' }],
      computes: 0,
    });
    expect((mine[0].experiments as Array<{ name: string }>)[0]).toEqual({ name: 'train', latestCreatedRunCreatedUtc: expect.stringMatching(/^\d{4}-/) });
  });
});

describe('the runs list', () => {
  it('shows a run submitted while it is open, with its status word and colour, experiment, compute and start; filters by experiment and status', async () => {
    const watched = await watch();
    const { page } = watched;
    await page.goto(`${emulator.url}/`);
    await page.waitForSelector('table.runs');
    const run = await client().submitRun({ project, script: 'sleep.py' });
    const row = page.locator(`tr[data-run-id="${run.runId}"]`);
    await row.locator('.status[data-status="Running"]').waitFor({ timeout: 15000 });
    const cells = await row.locator('th, td').allTextContents();
    expect(cells[0]).toBe('Running');
    expect(cells.slice(1, 4)).toEqual([run.runId, 'train', 'local']);
    expect(cells[4]).toMatch(/^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d$/);
    expect(await row.locator('.status').evaluate((el) => getComputedStyle(el).color)).not.toBe(await page.locator('body').evaluate((el) => getComputedStyle(el).color));

    // Another experiment, and a filter on each.
    const other = await client().submitRun({ project, script: 'gate.py', arguments: [gates], experimentName: 'other' } as never);
    await page.locator(`tr[data-run-id="${other.runId}"]`).waitFor();
    // Two workspaces have experiments by now (see the workspaces test): each choice names its workspace.
    const otherKey = `${WS.subscriptionId}/${WS.resourceGroupName}/${WS.workspaceName}/other`;
    await page.locator(`#filter-experiment option[value="${otherKey}"]`).waitFor({ state: 'attached' });
    expect(await page.locator('#filter-experiment option').allTextContents()).toEqual(['All experiments', 'demo-ws / other', 'demo-ws / train', 'second-ws / older']);
    await page.selectOption('#filter-experiment', otherKey);
    await page.locator(`tr[data-run-id="${run.runId}"]`).waitFor({ state: 'detached' });
    expect(await page.locator('table.runs tbody tr').evaluateAll((rows) => rows.map((r) => r.getAttribute('data-run-id')))).toEqual([other.runId]);
    expect(page.url()).toContain('?experiment=');
    await page.selectOption('#filter-experiment', '');
    await client().cancelRun(other);
    // The choices are the statuses the runs have: Canceled shows once the list has a canceled run.
    await page.locator('#filter-status option[value="Canceled"]').waitFor({ state: 'attached' });
    await page.selectOption('#filter-status', 'Canceled');
    await page.locator(`tr[data-run-id="${run.runId}"]`).waitFor({ state: 'detached' });
    expect(await page.locator(`tr[data-run-id="${other.runId}"] .status`).textContent()).toBe('Canceled');
    await client().cancelRun(run.runId);
  });
});

describe('a run page', () => {
  it('shows the log growing while the run runs: a printed line within 2 s, without a reload', async () => {
    const gate = folders.make({});
    const run = await client().submitRun({ project, script: 'gate.py', arguments: [gate] });
    const { page } = await watch();
    await page.goto(`${emulator.url}/${runLink(run.runId)}`);
    const log = page.locator('pre.log');
    await page.waitForFunction(() => document.querySelector('pre.log')?.textContent?.includes('line 1'), undefined, { timeout: 15000 });
    expect(await page.locator('#log-file option').allTextContents()).toEqual(['azureml-logs/70_driver_log.txt']);
    for (const n of [2, 3]) {
      fs.writeFileSync(path.join(gate, `go-${n}`), '');
      await page.waitForFunction((line) => document.querySelector('pre.log')?.textContent?.includes(line), `line ${n}`, { timeout: 2000 });
    }
    expect(await log.textContent()).toBe('line 1\nline 2\nline 3\n');
    fs.writeFileSync(path.join(gate, 'go-4'), '');
    await page.locator('.page-head .status[data-status="Completed"]').waitFor({ timeout: 15000 });
    await page.waitForFunction(() => document.querySelector('pre.log')?.textContent?.endsWith('line 4\n'));
    expect(await page.locator('.page-head button.danger').isHidden()).toBe(true);
  });
});

describe('a finished run page', () => {
  let trained: SubmittedRun;
  beforeAll(async () => {
    trained = await client().submitRun({ project: path.join(__dirname, '..', 'examples', 'metrics'), script: 'train.py', arguments: ['8'] });
    expect((await client().waitForRun(trained.runId, { initialIntervalMs: 50 })).status).toBe('Completed');
  });

  it('draws one chart per metric with the logged points, shows the point under the pointer, and a table of last values', async () => {
    const metrics = await client().getMetrics(trained.runId);
    const losses = metrics.loss.map((p) => p.value as number);
    expect(losses).toHaveLength(8);
    const { page } = await watch();
    await page.goto(`${emulator.url}/${runLink(trained.runId)}`);
    const chart = page.locator('figure.chart[data-metric="loss"]');
    await chart.and(page.locator('[data-points="8"]')).waitFor({ timeout: 15000 });
    // A chart for each metric logged more than once; the ones logged once are in the table.
    expect(Object.keys(metrics).sort()).toEqual(['accuracy', 'final_bias', 'final_loss', 'final_weight', 'loss']);
    expect(await page.locator('figure.chart').evaluateAll((charts) => charts.map((c) => c.getAttribute('data-metric')))).toEqual(['accuracy', 'loss']);
    expect(await page.locator('.metric-table tbody th').allTextContents()).toEqual(['accuracy', 'final_bias', 'final_loss', 'final_weight', 'loss']);
    expect(await chart.locator('canvas').count()).toBe(1);
    // The pointer at the right edge is on the last point, at the left edge on the first.
    await chart.scrollIntoViewIfNeeded();
    const over = await chart.locator('.u-over').boundingBox();
    const legendValues = () => chart.locator('.u-legend .u-value').allTextContents();
    await page.mouse.move(over!.x + over!.width - 1, over!.y + over!.height / 2);
    await page.waitForFunction(() => document.querySelector('figure.chart[data-metric="loss"] .u-legend .u-value')?.textContent === '7');
    const [step, value] = await legendValues();
    expect(step).toBe('7');
    expect(Number(value)).toBeCloseTo(losses[7], 2);
    await page.mouse.move(over!.x + 1, over!.y + over!.height / 2);
    await page.waitForFunction(() => document.querySelector('figure.chart[data-metric="loss"] .u-legend .u-value')?.textContent === '0');
    expect(Number((await legendValues())[1])).toBeCloseTo(losses[0], 2);
    // The table: each metric's last value, its step and how many points.
    const row = await page.locator('.metric-table tr[data-metric="loss"] > *').allTextContents();
    expect(row[0]).toBe('loss');
    expect(Number(row[1])).toBeCloseTo(losses[7], 5);
    expect(row.slice(2)).toEqual(['7', '8']);
  });

  it('lists the output files as a tree with sizes; a link downloads the file with its bytes', async () => {
    const to = fs.mkdtempSync(path.join(os.tmpdir(), 'azureml-dashboard-outputs-'));
    try {
      await client().downloadOutputs(trained.runId, { to });
      const expected = fs.readFileSync(path.join(to, 'outputs', 'model.json'));
      const { page } = await watch();
      await page.goto(`${emulator.url}/${runLink(trained.runId)}`);
      const file = page.locator('li.file[data-path="outputs/model.json"]');
      await file.locator('.size', { hasText: `${expected.length} B` }).waitFor({ timeout: 15000 });
      expect(await page.locator('.files-view summary').allTextContents()).toEqual(['azureml-logs/', 'outputs/', 'reports/']);
      expect(await page.locator('li.file').evaluateAll((items) => items.map((i) => i.getAttribute('data-path')))).toEqual([
        'azureml-logs/70_driver_log.txt',
        'outputs/reports/summary.txt',
        'outputs/model.json',
      ]);
      const [download] = await Promise.all([page.waitForEvent('download'), file.locator('a').click()]);
      expect(download.suggestedFilename()).toBe('model.json');
      expect(fs.readFileSync((await download.path())!)).toEqual(expected);
    } finally {
      fs.rmSync(to, { recursive: true, force: true });
    }
  });

  it('shows the definition as folding JSON, and the log of the whole run', async () => {
    const { page } = await watch();
    await page.goto(`${emulator.url}/${runLink(trained.runId)}`);
    await page.locator('#definition-title', { hasText: 'Run definition' }).waitFor();
    const tree = page.locator('.json-tree');
    await tree.locator('.json-string', { hasText: '"train.py"' }).waitFor();
    // Two levels open; deeper ones folded until clicked.
    const args = tree.locator('summary', { hasText: '"arguments"' }).locator('xpath=..');
    expect(await args.evaluate((d) => (d as HTMLDetailsElement).open)).toBe(false);
    await args.locator('summary').first().click();
    expect(await args.evaluate((d) => (d as HTMLDetailsElement).open)).toBe(true);
    expect(await args.locator('.json-string').allTextContents()).toEqual(['"8"']);
    await page.waitForFunction(() => document.querySelector('pre.log')?.textContent?.includes('wrote outputs/model.json'));
    expect(await page.locator('.page-head button.danger').isHidden()).toBe(true);
  });
});

describe('cancel', () => {
  it('a v1 run: Cancel asks first; keeping it running changes nothing, confirming cancels it', async () => {
    const run = await client().submitRun({ project, script: 'sleep.py' });
    const { page } = await watch();
    await page.goto(`${emulator.url}/${runLink(run.runId)}`);
    await page.waitForFunction(() => document.querySelector('pre.log')?.textContent?.includes('sleeping'), undefined, { timeout: 15000 });
    const cancel = page.locator('.page-head button.danger');
    await cancel.click();
    const dialog = page.getByRole('dialog', { name: 'Cancel this run?' });
    await dialog.waitFor();
    await dialog.getByRole('button', { name: 'Keep running' }).click();
    await dialog.waitFor({ state: 'hidden' });
    expect((await client().getRunDetails(run.runId)).status).toBe('Running');
    await cancel.click();
    await dialog.getByRole('button', { name: 'Cancel run' }).click();
    await page.locator('.page-head .status[data-status="Canceled"]').waitFor({ timeout: 15000 });
    expect((await client().getRunDetails(run.runId)).status).toBe('Canceled');
    expect(await cancel.isHidden()).toBe(true);
  });

  it('a v2 job: its display name in the list, the job as JSON, its std_log, and Cancel through Jobs_Cancel', async () => {
    const job = await client().submitJob({ project, command: 'python sleep.py', environmentId: 'azureml:env:1', displayName: 'nightly training', jobName: 'dash-job-1' });
    const watched = await watch();
    const { page } = watched;
    await page.goto(`${emulator.url}/`);
    const link = page.locator('tr[data-run-id="dash-job-1"] a');
    await link.waitFor({ timeout: 15000 });
    expect(await link.textContent()).toBe('nightly training');
    await link.click();
    await page.locator('h1', { hasText: 'nightly training' }).waitFor();
    await page.locator('#definition-title', { hasText: 'Job' }).waitFor();
    await page.locator('.json-tree .json-string', { hasText: '"python sleep.py"' }).waitFor();
    await page.waitForFunction(() => document.querySelector('pre.log')?.textContent?.includes('sleeping'), undefined, { timeout: 15000 });
    expect(await page.locator('#log-file option').allTextContents()).toEqual(['user_logs/std_log.txt']);
    expect(await page.locator('.facts dd').nth(1).textContent()).toBe('v2 command job');
    await page.locator('.page-head button.danger').click();
    await page.getByRole('dialog').getByRole('button', { name: 'Cancel run' }).click();
    await page.locator('.page-head .status[data-status="Canceled"]').waitFor({ timeout: 15000 });
    expect((await client().getRunDetails(job.runId)).status).toBe('Canceled');
    const cancels = watched.requests.filter((r) => r.method === 'POST' && r.url.includes('/cancel'));
    expect(cancels.map((r) => new URL(r.url).pathname + new URL(r.url).search)).toEqual([
      `/subscriptions/${WS.subscriptionId}/resourceGroups/${WS.resourceGroupName}/providers/Microsoft.MachineLearningServices/workspaces/${WS.workspaceName}/jobs/dash-job-1/cancel?api-version=2024-10-01`,
    ]);
  });
});

describe('computes', () => {
  it('shows each cluster with its state, nodes, and the runs queued and running on it', async () => {
    await client().createCompute('cpu-dash', { vmSize: 'STANDARD_D2_V2', maxNodes: 1 });
    const first = await client().submitRun({ project, script: 'sleep.py', target: 'cpu-dash' });
    const second = await client().submitRun({ project, script: 'sleep.py', target: 'cpu-dash' });
    try {
      const { page } = await watch();
      await page.goto(`${emulator.url}/#/computes`);
      const card = page.locator('section.compute[data-compute="cpu-dash"]');
      await card.locator('p', { hasText: 'Queued: 1' }).waitFor({ timeout: 15000 });
      await card.locator('p', { hasText: 'Running: 1' }).waitFor({ timeout: 15000 });
      const facts = await card.locator('.facts > div').evaluateAll((pairs) => pairs.map((p) => `${p.querySelector('dt')!.textContent}: ${p.querySelector('dd')!.textContent}`));
      expect(facts).toEqual(['State: Succeeded', 'Allocation: Steady', 'Nodes: 1 now (0–1): 1 running', 'VM size: STANDARD_D2_V2 · Dedicated']);
      const lists = await card.locator('ul.run-list').evaluateAll((uls) => uls.map((ul) => Array.from(ul.querySelectorAll('a'), (a) => a.textContent)));
      expect(lists).toEqual([[second.runId], [first.runId]]);
      expect(await page.locator('header nav a[aria-current="page"]').textContent()).toBe('Computes');
    } finally {
      await client().cancelRun(second);
      await client().cancelRun(first);
    }
  });
});

describe('a 100 MB log', () => {
  it('shows its tail, loads earlier parts on demand, and never reads the whole file', async () => {
    const run = await client().submitRun({ project, script: 'big.py' });
    expect((await client().waitForRun(run.runId, { initialIntervalMs: 50 })).status).toBe('Completed');
    const watched = await watch();
    const { page } = watched;
    await page.goto(`${emulator.url}/${runLink(run.runId)}`);
    await page.waitForFunction(() => document.querySelector('pre.log')?.textContent?.endsWith('the last line\n'), undefined, { timeout: 15000 });
    const firstLine = async () => (await page.locator('pre.log').textContent())!.split('\n')[0];
    const numberOf = (line: string) => Number(/^line (\d{9}) x+$/.exec(line)?.[1]);
    const tailStart = numberOf(await firstLine());
    // The tail: the last 256 KiB, from a whole line.
    expect(tailStart).toBe(1048576 - Math.floor((256 * 1024 - 'the last line\n'.length) / 100));
    expect(await page.locator('.log-info').textContent()).toMatch(/^last 25\d\.\d KiB of 100\.0 MiB$/);
    await page.getByRole('button', { name: 'Load earlier' }).click();
    await page.waitForFunction((before) => !document.querySelector('pre.log')?.textContent?.startsWith(before), await firstLine());
    const earlier = numberOf(await firstLine());
    expect(tailStart - earlier).toBeGreaterThanOrEqual(2620);
    expect(tailStart - earlier).toBeLessThanOrEqual(2622);
    // The lines join where the parts meet: each number once, in order.
    const numbers = (await page.locator('pre.log').textContent())!.split('\n').slice(0, -2).map(numberOf);
    expect(numbers).toEqual(Array.from({ length: numbers.length }, (_, i) => earlier + i));
    const reads = watched.requests.filter((r) => r.method === 'GET' && r.url.includes('/files/azureml-logs/'));
    expect(reads.length).toBeGreaterThan(0);
    for (const read of reads) expect(read.range).toMatch(/^bytes=(-262144|\d+-\d+)$/);
  }, 60000);
});

describe('sign-in (--strict-auth)', () => {
  it('asks for the client id and secret, gets a token at the token endpoint, and then shows the runs; a wrong secret is refused', async () => {
    const secret = 'dash-secret-value-123';
    const strict = await startEmulator({ strictAuth: true, clients: [{ clientId: 'dash-client', clientSecret: secret }] });
    try {
      const watched = await openPage(browser, strict.url);
      try {
        const { page } = watched;
        await page.goto(`${strict.url}/`);
        const dialog = page.getByRole('dialog', { name: 'Sign in to the emulator' });
        await dialog.waitFor();
        expect(await dialog.locator('.problem').textContent()).toBe('The bearer token was not issued by this emulator.');
        // Closed, the form does not come back by itself: the next refresh says so, asks nothing, and a button opens it again.
        await dialog.getByRole('button', { name: 'Close' }).click();
        await page.locator('.problem', { hasText: 'Not signed in: use Sign in at the top of the page.' }).waitFor();
        expect(await dialog.count()).toBe(0);
        await page.click('#sign-in-again');
        await dialog.waitFor();
        await page.fill('#client-id', 'dash-client');
        await page.fill('#client-secret', 'wrong');
        await page.click('#sign-in-submit');
        await dialog.locator('.problem', { hasText: 'AADSTS7000215' }).waitFor();
        await page.fill('#client-secret', secret);
        await page.click('#sign-in-submit');
        await dialog.waitFor({ state: 'detached' });
        await page.locator('.empty', { hasText: 'No runs yet.' }).waitFor();
        // The token is kept for the tab; the secret is not kept, and never in a URL.
        const stored = await page.evaluate(() => JSON.stringify(sessionStorage));
        expect(stored).toMatch(/emu_at_/);
        expect(stored).not.toContain(secret);
        expect(watched.requests.filter((r) => r.url.includes(secret))).toEqual([]);
        // A refused sign-in answers 401, which the browser logs; nothing else went wrong.
        // The browser logs each 401: the first call, the call after "Sign in", the wrong secret. Nothing else went wrong.
        expect(watched.errors).toEqual(Array(3).fill('Failed to load resource: the server responded with a status of 401 (Unauthorized)'));
        expect(watched.outside).toEqual([]);
      } finally {
        await watched.close();
      }
    } finally {
      await strict.close();
    }
  });
});

describe('layout, keyboard and themes', () => {
  let trained: SubmittedRun;
  beforeAll(async () => {
    trained = await client().submitRun({ project: path.join(__dirname, '..', 'examples', 'metrics'), script: 'train.py', arguments: ['12'] });
    await client().waitForRun(trained.runId, { initialIntervalMs: 50 });
  });

  it('fits a narrow window: nothing wider than the screen', async () => {
    const { page } = await watch({ viewport: { width: 390, height: 844 } });
    await page.goto(`${emulator.url}/`);
    await page.locator(`tr[data-run-id="${trained.runId}"]`).waitFor();
    expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(390);
    await page.goto(`${emulator.url}/${runLink(trained.runId)}`);
    await page.locator('figure.chart[data-metric="loss"]').waitFor();
    await page.locator('li.file[data-path="outputs/model.json"]').waitFor();
    expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(390);
    const chartWidth = await page.locator('figure.chart[data-metric="loss"] canvas').evaluate((c) => c.getBoundingClientRect().width);
    expect(chartWidth).toBeLessThanOrEqual(390);
  });

  it('works from the keyboard: a run is reached and opened, Cancel asks, Escape keeps the run', async () => {
    const run = await client().submitRun({ project, script: 'sleep.py' });
    try {
      const { page } = await watch();
      await page.goto(`${emulator.url}/`);
      await page.locator(`tr[data-run-id="${run.runId}"] .status[data-status="Running"]`).waitFor({ timeout: 15000 });
      let reached = false;
      for (let i = 0; i < 40 && !reached; i++) {
        await page.keyboard.press('Tab');
        reached = await page.evaluate((id) => document.activeElement?.closest('tr')?.getAttribute('data-run-id') === id, run.runId);
      }
      expect(reached).toBe(true);
      await page.keyboard.press('Enter');
      await page.locator('.page-head .status[data-status="Running"]').waitFor();
      expect(page.url()).toContain(runLink(run.runId));
      await page.locator('.page-head button.danger').focus();
      await page.keyboard.press('Enter');
      const dialog = page.getByRole('dialog', { name: 'Cancel this run?' });
      await dialog.waitFor();
      expect(await page.evaluate(() => document.activeElement?.textContent)).toBe('Keep running');
      await page.keyboard.press('Escape');
      await dialog.waitFor({ state: 'hidden' });
      expect((await client().getRunDetails(run.runId)).status).toBe('Running');
      // Every control of the page is reachable with Tab.
      const reachable = new Set<string>();
      for (let i = 0; i < 60; i++) {
        await page.keyboard.press('Tab');
        reachable.add(
          await page.evaluate(() =>
            document.activeElement ? `${document.activeElement.tagName}:${document.activeElement.id || document.activeElement.textContent?.slice(0, 20)}` : '',
          ),
        );
      }
      expect([...reachable]).toEqual(expect.arrayContaining(['SELECT:log-file', 'BUTTON:Cancel run', 'A:Runs', 'A:Computes']));
    } finally {
      await client().cancelRun(run);
    }
  });

  it('follows the browser: light and dark; and writes the README screenshots (runs list, a run light and dark)', async () => {
    const failed = await client().submitRun({ project, script: 'fail.py' });
    const running = await client().submitRun({ project, script: 'sleep.py' });
    await expect(client().waitForRun(failed.runId, { initialIntervalMs: 50 })).rejects.toThrow('The script fail.py exited with code 3.');
    try {
      fs.mkdirSync(DOCS, { recursive: true });
      const light = await watch({ colorScheme: 'light' });
      await light.page.goto(`${emulator.url}/`);
      await light.page.locator(`tr[data-run-id="${running.runId}"] .status[data-status="Running"]`).waitFor({ timeout: 15000 });
      await light.page.locator(`tr[data-run-id="${failed.runId}"] .status[data-status="Failed"]`).waitFor();
      expect(await light.page.evaluate(() => getComputedStyle(document.body).backgroundColor)).toBe('rgb(246, 247, 249)');
      await light.page.screenshot({ path: path.join(DOCS, 'dashboard-runs.png') });
      const dark = await watch({ colorScheme: 'dark' });
      for (const [watched, file] of [
        [light, 'dashboard-run-light.png'],
        [dark, 'dashboard-run-dark.png'],
      ] as const) {
        await watched.page.goto(`${emulator.url}/${runLink(trained.runId)}`);
        await watched.page.locator('figure.chart[data-metric="loss"][data-points="12"]').waitFor();
        await watched.page.locator('li.file[data-path="outputs/model.json"] .size', { hasText: 'B' }).waitFor();
        await watched.page.waitForFunction(() => document.querySelector('pre.log')?.textContent?.includes('wrote outputs'));
        await watched.page.screenshot({ path: path.join(DOCS, file), fullPage: true });
      }
      expect(await dark.page.evaluate(() => getComputedStyle(document.body).backgroundColor)).toBe('rgb(17, 20, 24)');
      // The chart takes the theme's colours, and changes them when the browser's setting changes.
      const lineColour = (watched: WatchedPage) =>
        watched.page
          .locator('figure.chart[data-metric="loss"] .u-legend .u-marker')
          .nth(1)
          .evaluate((m) => getComputedStyle(m).borderColor);
      expect(await lineColour(light)).toBe('rgb(15, 108, 189)');
      expect(await lineColour(dark)).toBe('rgb(74, 163, 255)');
      await light.page.emulateMedia({ colorScheme: 'dark' });
      await light.page.waitForFunction(() => getComputedStyle(document.body).backgroundColor === 'rgb(17, 20, 24)');
      // The chart is drawn again on the media query's change event, and uPlot styles its legend a moment later.
      await light.page.waitForFunction(
        () => {
          const marker = document.querySelectorAll('figure.chart[data-metric="loss"] .u-legend .u-marker')[1];
          return !!marker && getComputedStyle(marker).borderColor === 'rgb(74, 163, 255)';
        },
        undefined,
        { timeout: 5000 },
      );
      expect(await light.page.locator('figure.chart[data-metric="loss"] canvas').count()).toBe(1);
      for (const file of ['dashboard-runs.png', 'dashboard-run-light.png', 'dashboard-run-dark.png']) {
        const png = fs.readFileSync(path.join(DOCS, file));
        expect(png.subarray(1, 4).toString('latin1')).toBe('PNG');
        expect(png.readUInt32BE(16)).toBe(1280);
      }
    } finally {
      await client().cancelRun(running);
    }
  });
});

describe('what a page must survive', () => {
  it('a run with 60 metrics: charts of the first 48, every metric in the table', async () => {
    const run = await client().submitRun({ project, script: 'many.py' });
    await client().waitForRun(run.runId, { initialIntervalMs: 50 });
    const { page } = await watch();
    await page.goto(`${emulator.url}/${runLink(run.runId)}`);
    await page.locator('.metric-table tbody tr').nth(59).waitFor({ timeout: 15000 });
    expect(await page.locator('figure.chart').count()).toBe(48);
    expect(await page.locator('figure.chart').last().getAttribute('data-metric')).toBe('m47');
    expect(await page.locator('.metrics-view p', { hasText: 'Charts of the first 48 metrics; the table lists them all.' }).isVisible()).toBe(true);
  });

  it('a run that is not there: says so once and stops asking; a link with broken encoding opens the runs list', async () => {
    const watched = await watch();
    const { page } = watched;
    // The page's timers run on a clock the test moves: a minute passes without waiting for it.
    await page.clock.install();
    await page.goto(`${emulator.url}/${runLink('no_such_run')}`);
    await page.locator('.problem', { hasText: 'Run no_such_run was not found in experiment train.' }).waitFor();
    await page.clock.runFor(60_000);
    await page.evaluate(() => new Promise((resolve) => setTimeout(resolve, 0)));
    expect(watched.requests.filter((r) => r.url.includes('/runs/no_such_run')).map((r) => new URL(r.url).pathname.split('/').pop())).toEqual(['no_such_run']);
    await page.goto(`${emulator.url}/#/runs/%E0%A4%A/x`);
    await page.locator('h1', { hasText: 'Runs' }).waitFor();
    // The browser logged the one 404; nothing else.
    expect(watched.errors).toEqual(['Failed to load resource: the server responded with a status of 404 (Not Found)']);
    watched.errors.length = 0;
  });
});
