/**
 * End to end over real HTTP on ephemeral ports, through the public client: the emulator runs the
 * submitted scripts for real.
 */
import { execFile } from 'child_process';
import * as fs from 'fs';
import * as http from 'http';
import * as os from 'os';
import * as path from 'path';
import { promisify } from 'util';
import { AzureMLRunFailedError, AzureMLServiceError, create, runHistory, startEmulator, waitForRun, type Emulator, type WaitForRunOptions } from '../src';
import { makeZip, type RawEntry } from './helpers/make-zip';

const WS = { subscriptionId: '6a8bd9bb-1df3-4bca-9b24-27a7f3e5b9e7', resourceGroupName: 'rg', workspaceName: 'ws', experimentName: 'e2e' };
const FAST = { initialIntervalMs: 50, maxIntervalMs: 200 };

let emulator: Emulator;
let account: { access_token: string; host: string };
const tmpDirs: string[] = [];

function tmpDir(prefix: string): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  tmpDirs.push(dir);
  return dir;
}

beforeAll(async () => {
  emulator = await startEmulator({ maxConcurrentRuns: 4, killGraceMs: 500 });
  account = { access_token: 'e2e-token', host: emulator.url };
});
afterAll(async () => {
  await emulator.close();
  for (const dir of tmpDirs) fs.rmSync(dir, { recursive: true, force: true });
});

const zip = (files: Record<string, string>): Buffer => makeZip(Object.entries(files).map(([name, data]): RawEntry => ({ name, data })));

async function submit(files: Record<string, string>, configuration: Record<string, unknown>, extra: { runId?: string; account?: typeof account } = {}) {
  const { runId } = await create(extra.account ?? account).Runs_StartRun({
    ...WS,
    runId: extra.runId,
    runDefinitionFile: { configuration: { framework: 'Python', target: 'local', ...configuration } },
    projectZipFile: zip(files),
  });
  return runId;
}

async function finish(runId: string, options: WaitForRunOptions = {}) {
  return waitForRun(account, { ...WS, runId }, { ...FAST, ...options });
}

async function details(runId: string) {
  return runHistory.create(account).Runs_GetDetails({ ...WS, runId });
}

async function until(check: () => Promise<boolean>, what: string, timeoutMs = 10000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

describe('a run that succeeds', () => {
  it('runs the script with its arguments and environment, logs stdout and stderr, keeps outputs', async () => {
    const script = [
      'import os, sys',
      'print("Hello!", sys.argv[1:], os.environ["GREETING"], os.environ["AZUREML_RUN_ID"])',
      'print("to stderr", file=sys.stderr)',
      'os.makedirs("outputs/nested", exist_ok=True)',
      'open("outputs/model.txt", "w").write("weights")',
      'open("outputs/nested/metrics.json", "w").write("{}")',
    ].join('\n');
    const runId = await submit(
      { 'train.py': script, 'data/input.csv': 'a,b\n' },
      { script: 'train.py', arguments: ['--epochs', '3'], environment: { environmentVariables: { GREETING: 'hi' } } },
      { runId: 'e2e_success_1' },
    );
    expect(runId).toBe('e2e_success_1');
    const statuses: string[] = [];
    let log = '';
    const final = await finish(runId, { onStatus: (s) => statuses.push(s), onLog: (t) => (log += t) });
    expect(final.status).toBe('Completed');
    expect(statuses[statuses.length - 1]).toBe('Completed');
    expect(log).toBe(`Hello! ['--epochs', '3'] hi e2e_success_1\nto stderr\n`);
    // outputFiles: the emulator's addition to RunDetails (name -> signed URL).
    const outputFiles = (final as { outputFiles?: Record<string, string> }).outputFiles!;
    expect(Object.keys(outputFiles)).toEqual(['outputs/model.txt', 'outputs/nested/metrics.json']);
    const model = await fetch(outputFiles['outputs/model.txt']);
    expect(await model.text()).toBe('weights');
    expect(final.startTimeUtc! <= final.endTimeUtc!).toBe(true);
    const run = await runHistory.create(account).Runs_Get({ ...WS, runId });
    expect(run).toMatchObject({ runId, status: 'Completed', target: 'local', runType: 'experiment', scriptName: 'train.py' });
  });

  it('accepts a PascalCase definition (as the service does) and a generated run id', async () => {
    const { runId } = await create(account).Runs_StartRun({
      ...WS,
      runDefinitionFile: JSON.stringify({
        Configuration: {
          Script: 'hello.py',
          Arguments: ['234'],
          SourceDirectoryDataStore: null,
          Framework: 'Python',
          Environment: { Python: { InterpreterPath: 'python', UserManagedDependencies: false } },
        },
      }),
      projectZipFile: zip({ 'hello.py': 'import sys\nprint("Hello!", sys.argv[1])' }),
    });
    expect(runId).toMatch(/^e2e_\d{10}_[0-9a-f]{8}$/);
    let log = '';
    expect((await finish(runId, { onLog: (t) => (log += t) })).runDefinition).toMatchObject({ configuration: { script: 'hello.py', arguments: ['234'] } });
    expect(log).toBe('Hello! 234\n');
  });

  it('runs .js scripts with node', async () => {
    let log = '';
    await finish(await submit({ 'main.js': 'console.log("from node", process.argv[2])' }, { script: 'main.js', arguments: ['x'] }), { onLog: (t) => (log += t) });
    expect(log).toBe('from node x\n');
  });
});

describe('runs that do not succeed', () => {
  it('fails with the exit code and the stderr tail', async () => {
    const runId = await submit({ 'fail.py': 'import sys\nprint("working")\nprint("bad input: 42", file=sys.stderr)\nsys.exit(3)' }, { script: 'fail.py' });
    const error = (await finish(runId).catch((e: unknown) => e)) as AzureMLRunFailedError;
    expect(error).toBeInstanceOf(AzureMLRunFailedError);
    expect(error.message).toBe(`Run ${runId} failed: UserError: The script fail.py exited with code 3. Last lines of stderr:\nbad input: 42`);
    expect(error.runError?.error?.innerError).toEqual({ code: 'ScriptFailed' });
    expect(error.details.status).toBe('Failed');
  });

  it('stops a run over maxRunDurationSeconds', async () => {
    const runId = await submit({ 'slow.py': 'import time\nprint("start", flush=True)\ntime.sleep(30)' }, { script: 'slow.py', maxRunDurationSeconds: 1 });
    // The script sleeps 30 s, past the test's own timeout: only the limit can end it in time.
    const error = (await finish(runId).catch((e: unknown) => e)) as AzureMLRunFailedError;
    expect(error.message).toBe(`Run ${runId} failed: UserError: The run exceeded maxRunDurationSeconds (1 s) and was stopped.`);
  });

  it('cancels a running run and kills its whole process tree', async () => {
    const dir = tmpDir('azureml-cancel-');
    const script = [
      'import os, subprocess, sys, time',
      `child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])`,
      `open(${JSON.stringify(path.join(dir, 'pids'))}, "w").write(f"{os.getpid()} {child.pid}")`,
      'print("running", flush=True)',
      'time.sleep(60)',
    ].join('\n');
    const runId = await submit({ 'long.py': script }, { script: 'long.py' });
    const pidFile = path.join(dir, 'pids');
    await until(async () => fs.existsSync(pidFile) && fs.readFileSync(pidFile, 'utf8').includes(' '), 'the script to start');
    const pids = fs.readFileSync(pidFile, 'utf8').split(' ').map(Number);
    expect(pids.every(alive)).toBe(true);
    expect(await create(account).Runs_CancelRunWithUri({ ...WS, runId })).toEqual({ runId });
    const final = await finish(runId);
    expect(final.status).toBe('Canceled');
    await until(async () => !pids.some(alive), 'the process tree to be gone', 5000);
    // Cancelling again answers the same, without error.
    expect(await create(account).Runs_CancelRunWithUri({ ...WS, runId })).toEqual({ runId });
  });
});

describe('snapshots and local runs', () => {
  it('runs a kept snapshot again with snapshotrun', async () => {
    const first = await submit({ 'echo.py': 'import sys\nprint("args", sys.argv[1:])' }, { script: 'echo.py', arguments: ['one'] });
    const firstDetails = await finish(first);
    const snapshotId = (firstDetails.properties as Record<string, string>)['ContentSnapshotId'];
    expect(snapshotId).toMatch(/^[0-9a-f-]{36}$/);
    const { runId } = await create(account).Runs_StartSnapshotRun({ ...WS, definition: { snapshotId, configuration: { script: 'echo.py', arguments: ['two'] } } });
    let log = '';
    await finish(runId, { onLog: (t) => (log += t) });
    expect(log).toBe("args ['two']\n");
  });

  it('refuses an unknown snapshot', async () => {
    const error = (await create(account)
      .Runs_StartSnapshotRun({ ...WS, definition: { snapshotId: '0b7c36f9-5e2b-4f1a-9d3e-1c2b3a4d5e6f', configuration: { script: 'x.py' } } })
      .catch((e: unknown) => e)) as AzureMLServiceError;
    expect(error.statusCode).toBe(400);
    expect(error.code).toBe('UserError');
    expect(error.serviceMessage).toBe('Snapshot 0b7c36f9-5e2b-4f1a-9d3e-1c2b3a4d5e6f was not found');
  });

  it('answers startlocalrun with a zip that runs the project on this machine', async () => {
    const first = await submit({ 'local.py': 'import os, sys\nprint("local", *sys.argv[1:], os.environ.get("MODE"))' }, { script: 'local.py' });
    const snapshotId = ((await finish(first)).properties as Record<string, string>)['ContentSnapshotId'];
    const archive = await create(account).Runs_StartLocalRun({
      ...WS,
      definition: { snapshotId, configuration: { script: 'local.py', arguments: ['A'], environment: { environmentVariables: { MODE: 'offline' } } } },
    });
    expect(archive.subarray(0, 4).toString('latin1')).toBe('PK\x03\x04');
    const dir = tmpDir('azureml-local-');
    fs.writeFileSync(path.join(dir, 'local-run.zip'), archive);
    await promisify(execFile)('python3', ['-c', `import zipfile; zipfile.ZipFile(${JSON.stringify(path.join(dir, 'local-run.zip'))}).extractall(${JSON.stringify(dir)})`]);
    expect(fs.readdirSync(dir).sort()).toEqual(['azureml_local_run.py', 'definition.json', 'local-run.zip', 'project']);
    const { stdout } = await promisify(execFile)('python3', [path.join(dir, 'azureml_local_run.py')]);
    expect(stdout).toBe('local A offline\n');
  });
});

describe('the run queue', () => {
  it('keeps runs over the concurrency limit Queued until a slot frees', async () => {
    const limited = await startEmulator({ maxConcurrentRuns: 1, killGraceMs: 200 });
    try {
      const acct = { access_token: 't', host: limited.url };
      // The first run holds the one slot until it is cancelled: no race with the clock.
      const a = await submit({ 'hold.py': 'import time\ntime.sleep(60)' }, { script: 'hold.py' }, { account: acct });
      const b = await submit({ 'quick.py': 'print("b ran")' }, { script: 'quick.py' }, { account: acct });
      const rh = runHistory.create(acct);
      expect((await rh.Runs_Get({ ...WS, runId: a })).status).not.toBe('Queued');
      expect((await rh.Runs_Get({ ...WS, runId: b })).status).toBe('Queued');
      await create(acct, { workspace: WS }).cancelRun(a);
      await waitForRun(acct, { ...WS, runId: b }, FAST);
      const [ra, rb] = await Promise.all([rh.Runs_Get({ ...WS, runId: a }), rh.Runs_Get({ ...WS, runId: b })]);
      expect([ra.status, rb.status]).toEqual(['Canceled', 'Completed']);
      expect(rb.startTimeUtc! >= ra.endTimeUtc!).toBe(true);
    } finally {
      await limited.close();
    }
  });
});

describe('restarts', () => {
  it('keeps experiments and runs across a restart; a run cut short is Failed with the reason', async () => {
    const dataDir = tmpDir('azureml-restart-');
    const first = await startEmulator({ dataDir, killGraceMs: 200 });
    const acct1 = { access_token: 't', host: first.url };
    const done = await submit({ 'quick.py': 'print("done")' }, { script: 'quick.py' }, { account: acct1, runId: 'restart_done' });
    await waitForRun(acct1, { ...WS, runId: done }, FAST);
    const cut = await submit({ 'long.py': 'import time\nprint("begin", flush=True)\ntime.sleep(30)' }, { script: 'long.py' }, { account: acct1, runId: 'restart_cut' });
    const cutLog = async () => {
      const url = (await runHistory.create(acct1).Runs_GetDetails({ ...WS, runId: cut })).logFiles?.['azureml-logs/70_driver_log.txt'];
      return url ? (await fetch(url)).text() : '';
    };
    await until(async () => (await cutLog()) === 'begin\n', 'the long run to print');
    await first.close();

    const second = await startEmulator({ dataDir });
    try {
      const rh = runHistory.create({ access_token: 't', host: second.url });
      expect((await rh.Experiments_Get(WS)).name).toBe('e2e');
      expect((await rh.Runs_Get({ ...WS, runId: done })).status).toBe('Completed');
      const cutRun = await rh.Runs_GetDetails({ ...WS, runId: cut });
      expect(cutRun.status).toBe('Failed');
      expect(cutRun.error?.error?.message).toBe('The emulator stopped while the run was Running; it was not resumed.');
      // Its log survives, served by the new instance.
      const log = await fetch(cutRun.logFiles!['azureml-logs/70_driver_log.txt']);
      expect(await log.text()).toBe('begin\n');
    } finally {
      await second.close();
    }
  });
});

describe('run history queries', () => {
  it('filters by status, orders, caps with top, and pages with a continuation token', async () => {
    const small = await startEmulator({ pageSize: 2 });
    try {
      const acct = { access_token: 't', host: small.url };
      const ids: string[] = [];
      for (let i = 0; i < 5; i++) ids.push(await submit({ 'q.py': `import sys\nsys.exit(${i % 2})` }, { script: 'q.py' }, { account: acct, runId: `query_${i}` }));
      for (const id of ids) await waitForRun(acct, { ...WS, runId: id }, FAST).catch(() => undefined);
      const rh = runHistory.create(acct);
      const first = await rh.Runs_GetByQuery({ ...WS, queryParams: { filter: "Status eq 'Completed'", orderBy: 'RunNumber asc' } });
      expect(first.value!.map((r) => r.runId)).toEqual(['query_0', 'query_2']);
      expect(first.continuationToken).toBeDefined();
      const second = await rh.Runs_GetByQuery({ ...WS, queryParams: { filter: "Status eq 'Completed'", orderBy: 'RunNumber asc', continuationToken: first.continuationToken } });
      expect(second.value!.map((r) => r.runId)).toEqual(['query_4']);
      expect(second.continuationToken).toBeUndefined();
      const top = await rh.Runs_GetByQuery({ ...WS, queryParams: { orderBy: 'RunNumber desc', top: 1 } });
      expect(top.value!.map((r) => r.runId)).toEqual(['query_4']);
      const bad = (await rh.Runs_GetByQuery({ ...WS, queryParams: { filter: 'Status gt 1' } }).catch((e: unknown) => e)) as AzureMLServiceError;
      expect(bad.statusCode).toBe(400);
      expect(bad.code).toBe('ValidationError');
    } finally {
      await small.close();
    }
  });

  it('lists the child runs of a run', async () => {
    const parent = await submit({ 'p.py': 'print(1)' }, { script: 'p.py' }, { runId: 'parent_1' });
    const { runId: child } = await create(account).Runs_StartRun({
      ...WS,
      runId: 'child_1',
      runDefinitionFile: { parentRunId: parent, configuration: { script: 'c.py' } },
      projectZipFile: zip({ 'c.py': 'print(2)' }),
    });
    const children = await runHistory.create(account).Runs_GetChild({ ...WS, runId: parent });
    expect(children.value!.map((r) => [r.runId, r.parentRunId])).toEqual([[child, parent]]);
  });
});

describe('logs over HTTP Range', () => {
  it('follows a growing log without reading a byte twice', async () => {
    const script = 'import time\nfor i in range(5):\n    print(f"line {i}", flush=True)\n    time.sleep(0.2)';
    const runId = await submit({ 'grow.py': script }, { script: 'grow.py' });
    const pieces: string[] = [];
    await finish(runId, { onLog: (t) => pieces.push(t) });
    expect(pieces.join('')).toBe('line 0\nline 1\nline 2\nline 3\nline 4\n');
    expect(pieces.length).toBeGreaterThan(1);
    const url = (await details(runId)).logFiles!['azureml-logs/70_driver_log.txt'];
    const ranged = await fetch(url, { headers: { range: 'bytes=7-13' } });
    expect(ranged.status).toBe(206);
    expect(ranged.headers.get('content-range')).toBe('bytes 7-13/35');
    expect(await ranged.text()).toBe('line 1\n');
    expect((await fetch(url, { headers: { range: 'bytes=35-' } })).status).toBe(416);
    expect((await fetch(url.replace(/sig=[^&]+/, 'sig=wrong'))).status).toBe(403);
  });
});

describe('requests the emulator refuses', () => {
  async function raw(pathname: string, headers: Record<string, string> = {}) {
    return new Promise<{ status: number; headers: http.IncomingHttpHeaders; body: string }>((resolve, reject) => {
      const req = http.request(`${emulator.url}${pathname}`, { method: 'POST', headers: { 'content-length': '0', ...headers } }, (res) => {
        let body = '';
        res.on('data', (c) => (body += c));
        res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body }));
      });
      req.on('error', reject);
      req.end();
    });
  }

  it('needs a bearer token: 401 with WWW-Authenticate and an ErrorResponse', async () => {
    const res = await raw(
      `/execution/v1.0/subscriptions/${WS.subscriptionId}/resourceGroups/rg/providers/Microsoft.MachineLearningServices/workspaces/ws/experiments/e2e/runId/x/cancel`,
    );
    expect(res.status).toBe(401);
    expect(res.headers['www-authenticate']).toBe('Bearer');
    expect(JSON.parse(res.body).error).toEqual({ code: 'UserError', message: 'The request has no bearer token in Authorization.', innerError: { code: 'AuthenticationRequired' } });
  });

  it('refuses a zip with ../ entries and writes nothing outside', async () => {
    const before = fs.readdirSync(path.dirname(emulator.dataDir));
    const error = (await create(account)
      .Runs_StartRun({
        ...WS,
        runDefinitionFile: { configuration: { script: 'ok.py' } },
        projectZipFile: makeZip([
          { name: 'ok.py', data: '' },
          { name: '../escaped.txt', data: 'x' },
        ]),
      })
      .catch((e: unknown) => e)) as AzureMLServiceError;
    expect(error.statusCode).toBe(400);
    expect(error.serviceMessage).toBe('project.zip entry "../escaped.txt" escapes the project folder (..)');
    expect(fs.readdirSync(path.dirname(emulator.dataDir))).toEqual(before);
    expect(fs.existsSync(path.join(emulator.dataDir, 'escaped.txt'))).toBe(false);
  });

  it('refuses absolute paths and links in a zip', async () => {
    const start = (entries: RawEntry[]) =>
      create(account)
        .Runs_StartRun({ ...WS, runDefinitionFile: { configuration: { script: 'ok.py' } }, projectZipFile: makeZip([{ name: 'ok.py', data: '' }, ...entries]) })
        .catch((e: AzureMLServiceError) => e.serviceMessage);
    expect(await start([{ name: '/etc/evil', data: 'x' }])).toBe('project.zip entry "/etc/evil" is an absolute path');
    expect(await start([{ name: 'link', data: '/etc/passwd', symlink: true }])).toBe('project.zip entry "link" is a symbolic link');
  });

  it('refuses a corrupt zip', async () => {
    const corrupt = Buffer.concat([Buffer.from('PK\x03\x04', 'latin1'), Buffer.alloc(64, 7)]);
    const error = (await create(account)
      .Runs_StartRun({ ...WS, runDefinitionFile: { configuration: { script: 'a.py' } }, projectZipFile: corrupt })
      .catch((e: unknown) => e)) as AzureMLServiceError;
    expect(error.statusCode).toBe(400);
    expect(error.serviceMessage).toMatch(/^project\.zip is not a valid zip archive: /);
  });

  it('refuses a definition whose script is not in the project', async () => {
    const error = (await create(account)
      .Runs_StartRun({ ...WS, runDefinitionFile: { configuration: { script: 'missing.py' } }, projectZipFile: zip({ 'train.py': '' }) })
      .catch((e: unknown) => e)) as AzureMLServiceError;
    expect(error.message).toBe(
      'Action azure_machinelearningservices_execution/Runs_StartRun failed with status code 400: UserError: The script missing.py is not in the project (configuration.script must name a file of project.zip)',
    );
    expect(error.target).toBe('configuration.script');
    expect(error.innerErrorCodes).toEqual(['ScriptNotFound']);
  });

  it('refuses a project over the size limit with 413', async () => {
    const tiny = await startEmulator({ maxZipBytes: 1024 });
    try {
      const error = (await create({ access_token: 't', host: tiny.url })
        .Runs_StartRun({ ...WS, runDefinitionFile: { configuration: { script: 'a.py' } }, projectZipFile: zip({ 'a.py': 'x'.repeat(4096) }) })
        .catch((e: unknown) => e)) as AzureMLServiceError;
      expect(error.statusCode).toBe(413);
      expect(error.serviceMessage).toBe('project.zip is larger than the 1.0 KB startrun accepts');
    } finally {
      await tiny.close();
    }
  });

  it('refuses a second run with the same id (409)', async () => {
    await submit({ 'a.py': '' }, { script: 'a.py' }, { runId: 'dup_1' });
    const error = (await submit({ 'a.py': '' }, { script: 'a.py' }, { runId: 'dup_1' }).catch((e: unknown) => e)) as AzureMLServiceError;
    expect(error.statusCode).toBe(409);
    expect(error.innerErrorCodes).toEqual(['RunIdAlreadyExists']);
  });
});
