/**
 * `azureml-exec` as users run it: the built command in its own process, against the emulator,
 * with settings from the environment. stdout (the result), stderr (progress) and the exit code
 * are each checked.
 */
import { spawn } from 'child_process';
import * as path from 'path';
import { create, startEmulator, type Emulator } from '../src';
import { Progress } from '../src/cli/progress';
import { emulatorEnvironment } from './helpers/emulator-env';
import { projectFolders } from './helpers/project-folders';
import { runCli, type CliResult } from './helpers/run-cli';

const WS = { subscriptionId: '6a8bd9bb-1df3-4bca-9b24-27a7f3e5b9e7', resourceGroupName: 'rg', workspaceName: 'ws', experimentName: 'cli' };

let emulator: Emulator;
let env: Record<string, string>;
const folders = projectFolders('azureml-cli-');
const project = folders.make;

/** Runs the command; `onStdout` sees stdout as it comes (to act while it runs). */
function cli(args: string[], options: { env?: Record<string, string | undefined>; onStdout?: (text: string, child: ReturnType<typeof spawn>) => void } = {}): Promise<CliResult> {
  return runCli(args, options.env ?? env, options.onStdout);
}

beforeAll(async () => {
  emulator = await startEmulator({ maxConcurrentRuns: 4, killGraceMs: 300, pageSize: 2 });
  env = emulatorEnvironment(emulator, WS, 'cli-token');
});
afterAll(async () => {
  await emulator.close();
  folders.cleanup();
});

/** Polls `check` every 50 ms, for at most 10 s. */
async function until(check: () => Promise<boolean>): Promise<void> {
  for (const deadline = Date.now() + 10000; !(await check());) {
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 50));
  }
}

const history = () => create({ access_token: 't', host: emulator.url }, { workspace: WS });
const RUN_ID = /^cli_\d{10}_[0-9a-f]{8}$/;

describe('submit', () => {
  it('zips the folder with its .amlignore, prints the run id, and the run sees exactly the files that went in', async () => {
    const dir = project({
      '.amlignore': 'data/\n*.tmp\n',
      'list.py':
        'import os\nfor root, dirs, files in sorted(os.walk(".")):\n    for f in sorted(files):\n        p = os.path.relpath(os.path.join(root, f))\n        if not p.startswith("azureml-logs"): print(p)',
      'lib/util.py': '',
      'data/huge.bin': 'x'.repeat(1000),
      'scratch.tmp': '',
    });
    const submitted = await cli(['submit', dir, '--script', 'list.py']);
    expect(submitted.code).toBe(0);
    expect(submitted.stdout).toMatch(/^cli_\d{10}_[0-9a-f]{8}\n$/);
    expect(submitted.stderr).toMatch(/^Zipped 3 files of .+ \(\d+ B\)\nUploaded \d+ B\n$/);

    const runId = submitted.stdout.trim();
    const waited = await cli(['wait', runId, '--poll', '0.05', '--follow']);
    expect(waited.code).toBe(0);
    expect(waited.stdout).toBe('.amlignore\nlist.py\nlib/util.py\n');
    expect(waited.stderr.split('\n').slice(-2)).toEqual([expect.stringMatching(new RegExp(`^Run ${runId} Completed after \\d+\\.\\d s$`)), '']);
  });

  it("takes seed 003's PascalCase definition file, script arguments after --, and follows the log as it grows", async () => {
    const dir = project({ 'hello.py': 'import sys, time\nfor i in range(3):\n    print("Hello!", i, sys.argv[1:], flush=True)\n    time.sleep(0.2)' });
    const chunks: string[] = [];
    const result = await cli(
      ['submit', dir, '--definition', path.join(__dirname, 'fixtures', 'seed-003-definition.json'), '--target', 'local', '--follow', '--poll', '0.05', '--', '--lr', '0.1'],
      {
        onStdout: (all) => chunks.push(all),
      },
    );
    expect(result.code).toBe(0);
    expect(result.stdout).toBe([0, 1, 2].map((i) => `Hello! ${i} ['--lr', '0.1']\n`).join(''));
    // The log came while the run went on, not all at the end.
    expect(chunks.length).toBeGreaterThan(1);
    expect(result.stderr).toMatch(/^Zipped 1 file of .+ \(\d+ B\)\nUploaded \d+\.\d KB\nStarted run cli_\d{10}_[0-9a-f]{8} in experiment cli\n/);
    expect(result.stderr).toMatch(/: Running\n/);
  });

  it('exits 1 with the run error for a failing script, after --arg and --env reach it', async () => {
    const dir = project({ 'fail.py': 'import os, sys\nprint(sys.argv[1:], os.environ["MODE"])\nprint("bad input", file=sys.stderr)\nsys.exit(3)' });
    const result = await cli(['submit', dir, '--script', 'fail.py', '--arg', '--x', '--arg', 'y', '--env', 'MODE=strict', '--wait', '--poll', '0.05']);
    expect(result.code).toBe(1);
    const runId = result.stdout.trim();
    expect(runId).toMatch(RUN_ID);
    expect(result.stderr.split('\n').slice(-3)).toEqual([
      expect.stringMatching(new RegExp(`^Run ${runId} Failed after \\d+\\.\\d s: UserError: The script fail.py exited with code 3\\. Last lines of stderr:$`)),
      'bad input',
      '',
    ]);
    expect((await cli(['logs', runId])).stdout).toBe("['--x', 'y'] strict\nbad input\n");
  });

  it('refuses bad input with exit 2 before sending anything', async () => {
    const dir = project({ 'a.py': '' });
    const runsBefore = emulator.runCount();
    const cases: Array<[string[], string]> = [
      [['submit', dir, '--script', 'missing.py'], `error: The script missing.py is not in the project ${dir} (it has 1 file: a.py)\n`],
      [['submit', dir], 'error: submit needs --script <file> (or a --definition that names one)\n'],
      [['submit', dir, '--definition', path.join(dir, 'nope.json')], `error: --definition ${path.join(dir, 'nope.json')}: no such file\n`],
      [['submit', dir, '--script', 'a.py', '--env', 'NOEQUALS'], 'error: --env NOEQUALS: give NAME=VALUE\n'],
      [
        ['submit', dir, '--script', 'a.py', '--run-id', 'bad id'],
        'error: Action azureml-execution/submitRun was given invalid input: runId must match the pattern ^[a-zA-Z0-9][\\w-]{0,255}$ (got "bad id")\n',
      ],
      [['runs', '--top', '0'], "error: option '--top <n>' argument '0' is invalid. must be a whole number, 1 or more\n(add --help for usage)\n"],
      [['runs', '--status', 'Complete'], expect.stringContaining('status must be a run status (did you mean Completed?)') as unknown as string],
      [['frobnicate'], "error: unknown command 'frobnicate'\n(add --help for usage)\n"],
    ];
    for (const [args, stderr] of cases) {
      const result = await cli(args);
      expect({ args, code: result.code, stderr: result.stderr, stdout: result.stdout }).toEqual({ args, code: 2, stderr, stdout: '' });
    }
    expect(emulator.runCount()).toBe(runsBefore);
  });

  it('names every missing setting, and never takes a token from the command line', async () => {
    const result = await cli(['runs'], { env: {} });
    expect(result.code).toBe(2);
    expect(result.stderr).toBe(
      'error: Missing settings: --host or AZUREML_HOST (or --region or AZUREML_REGION); --subscription-id or AZUREML_SUBSCRIPTION_ID; ' +
        '--resource-group or AZUREML_RESOURCE_GROUP; --workspace or AZUREML_WORKSPACE; --experiment or AZUREML_EXPERIMENT; ' +
        'AZUREML_ACCESS_TOKEN, or AZURE_TENANT_ID, AZURE_CLIENT_ID, AZURE_CLIENT_SECRET for a service principal\n',
    );
    const flags = await cli(['--host', emulator.url, '--subscription-id', WS.subscriptionId, '--resource-group', 'rg', '--workspace', 'ws', '--experiment', 'e', 'runs'], {
      env: { AZUREML_ACCESS_TOKEN: 't' },
    });
    expect([flags.code, flags.stderr]).toEqual([0, 'No runs\n']);
    expect((await cli(['--access-token', 'secret', 'runs'])).stderr).toBe("error: unknown option '--access-token'\n(add --help for usage)\n");
  });
});

describe('status, cancel, logs, runs', () => {
  it('cancels a running run: the waiting side exits 3', async () => {
    const dir = project({ 'long.py': 'import time\nprint("started", flush=True)\ntime.sleep(30)' });
    const runId = (await cli(['submit', dir, '--script', 'long.py'])).stdout.trim();
    await until(async () => (await history().Runs_Get({ ...WS, runId })).status === 'Running');
    const waiting = cli(['wait', runId, '--poll', '0.05']);
    const cancel = await cli(['cancel', runId]);
    expect([cancel.code, cancel.stdout]).toEqual([0, `Cancel requested for run ${runId}\n`]);
    const waited = await waiting;
    expect(waited.code).toBe(3);
    expect(waited.stderr).toMatch(new RegExp(`Run ${runId} Canceled after [\\d.]+ s\\n$`));
    const status = await cli(['status', runId]);
    expect(status.stdout).toMatch(new RegExp(`^Run:      ${runId}\\nStatus:   Canceled\\nTarget:   local\\nStarted:  \\S+\\nEnded:    \\S+\\nDuration: \\d+\\.\\d s\\n$`));
    // Once more: it has ended, so there is nothing to cancel; the exit code says how it ended.
    const again = await cli(['cancel', runId]);
    expect([again.code, again.stdout]).toEqual([3, '']);
    expect(again.stderr).toMatch(new RegExp(`^Run ${runId} has already ended: Canceled at \\S+; nothing to cancel\\n$`));
  });

  it('says a Completed run has ended instead of cancelling it, and exits 0 (1 for Failed)', async () => {
    const dir = project({ 'ok.py': 'print("done")', 'bad.py': 'raise SystemExit(1)' });
    const ok = (await cli(['submit', dir, '--script', 'ok.py', '--wait', '--poll', '0.05'])).stdout.trim();
    const bad = (await cli(['submit', dir, '--script', 'bad.py', '--wait', '--poll', '0.05'])).stdout.trim();
    const cancelOk = await cli(['cancel', ok]);
    expect(cancelOk.code).toBe(0);
    expect(cancelOk.stderr).toMatch(new RegExp(`^Run ${ok} has already ended: Completed at \\S+; nothing to cancel\\n$`));
    expect((await cli(['cancel', bad])).code).toBe(1);
    expect(JSON.parse((await cli(['--json', 'cancel', ok])).stdout)).toEqual({ runId: ok, status: 'Completed', canceled: false });
    expect((await history().Runs_Get({ ...WS, runId: ok })).status).toBe('Completed');
  });

  it('waits for several runs at once: a line as each ends, exit 1 naming the failed ones (0 when all completed)', async () => {
    const dir = project({ 'quick.py': 'print("q")', 'slow.py': 'import time\ntime.sleep(0.5)\nprint("s")', 'bad.py': 'import sys\nprint("broken", file=sys.stderr)\nsys.exit(2)' });
    const ids = [];
    for (const script of ['slow.py', 'quick.py', 'bad.py']) ids.push((await cli(['submit', dir, '--script', script])).stdout.trim());
    const [slow, quick, bad] = ids;
    const all = await cli(['wait', slow, quick, bad, '--poll', '0.05']);
    expect(all.code).toBe(1);
    const lines = all.stderr.split('\n').filter((line) => line.startsWith('Run ') || line.includes('runs'));
    expect(lines).toEqual(
      expect.arrayContaining([
        expect.stringMatching(new RegExp(`^Run ${quick} Completed after \\d+\\.\\d s$`)),
        expect.stringMatching(new RegExp(`^Run ${slow} Completed after \\d+\\.\\d s$`)),
        expect.stringMatching(new RegExp(`^Run ${bad} Failed after \\d+\\.\\d s: UserError: The script bad\\.py exited with code 2\\.`)),
        `1 of 3 runs failed: ${bad}`,
      ]),
    );
    const json = await cli(['--json', 'wait', quick, slow, '--poll', '0.05']);
    expect([json.code, JSON.parse(json.stdout)]).toEqual([
      0,
      [
        { runId: quick, status: 'Completed' },
        { runId: slow, status: 'Completed' },
      ],
    ]);
    const plain = await cli(['wait', quick, slow, '--poll', '0.05']);
    expect([plain.code, plain.stderr.trim().split('\n').pop()]).toEqual([0, 'All 2 runs completed']);
    const follow = await cli(['wait', quick, slow, '--follow']);
    expect([follow.code, follow.stderr]).toEqual([2, 'error: --follow takes one run: wait for several without it\n']);
  });

  it('stops waiting on Ctrl-C with exit 130; the run goes on', async () => {
    const dir = project({ 'slow.py': 'import time\nprint("up", flush=True)\ntime.sleep(30)' });
    const runId = (await cli(['submit', dir, '--script', 'slow.py'])).stdout.trim();
    const result = await cli(['logs', runId, '--follow', '--poll', '0.05'], { onStdout: (all, child) => all.includes('up\n') && child.kill('SIGINT') });
    expect(result.code).toBe(130);
    expect(result.stdout).toBe('up\n');
    expect(result.stderr.endsWith(`Stopped waiting; the run goes on (cancel it with: azureml-exec cancel ${runId})\n`)).toBe(true);
    expect((await history().Runs_Get({ ...WS, runId })).status).toBe('Running');
    await history().cancelRun(runId);
  });

  it('prints logs from a byte offset, lists runs, and gives JSON with --json', async () => {
    const local = { ...env, AZUREML_EXPERIMENT: 'cli_listing' };
    const dir = project({ 'ok.py': 'print("alpha")\nprint("beta")', 'bad.py': 'import sys\nsys.exit(2)' });
    const ok = (await cli(['submit', dir, '--script', 'ok.py', '--wait', '--poll', '0.05'], { env: local })).stdout.trim();
    const bad = (await cli(['submit', dir, '--script', 'bad.py', '--wait', '--poll', '0.05'], { env: local })).stdout.trim();

    expect((await cli(['logs', ok, '--from-byte', '6'], { env: local })).stdout).toBe('beta\n');
    const log = JSON.parse((await cli(['--json', 'logs', ok], { env: local })).stdout);
    expect(log).toEqual({ runId: ok, name: 'azureml-logs/70_driver_log.txt', log: 'alpha\nbeta\n', fromByte: 0, nextByte: 11, totalBytes: 11, status: 'Completed' });

    const table = (await cli(['runs'], { env: local })).stdout.split('\n');
    expect(table[0].split(/ {2,}/)).toEqual(['RUN ID', 'STATUS', 'CREATED', 'DURATION', 'TARGET']);
    expect(table.slice(1, 3).map((l) => l.split(/\s+/).slice(0, 2))).toEqual([
      [bad, 'Failed'],
      [ok, 'Completed'],
    ]);
    // Columns line up: each value starts under its heading.
    expect([table[1].indexOf('Failed'), table[2].indexOf('Completed'), table[1].indexOf(' local') + 1]).toEqual([
      table[0].indexOf('STATUS'),
      table[0].indexOf('STATUS'),
      table[0].indexOf('TARGET'),
    ]);
    const failedOnly = JSON.parse((await cli(['--json', 'runs', '--status', 'Failed'], { env: local })).stdout);
    expect(failedOnly.map((r: { runId: string }) => r.runId)).toEqual([bad]);
    const status = JSON.parse((await cli(['status', bad, '--json'], { env: local })).stdout);
    expect([status.runId, status.status, status.error.error.innerError]).toEqual([bad, 'Failed', { code: 'ScriptFailed' }]);
  });

  it('lists one page of runs by default (saying there are more), every page with --all, the newest n with --top', async () => {
    const local = { ...env, AZUREML_EXPERIMENT: 'cli_paging' };
    const client = create({ access_token: 't', host: emulator.url }, { workspace: { ...WS, experimentName: 'cli_paging' } });
    const dir = project({ 'ok.py': 'print("ok")' });
    const ids: string[] = [];
    for (let i = 0; i < 3; i++) ids.unshift((await client.submitRun({ project: dir, script: 'ok.py', runId: `cli_paging_${i}` })).runId);
    const firstPage = await cli(['--json', 'runs'], { env: local });
    expect(JSON.parse(firstPage.stdout).map((r: { runId: string }) => r.runId)).toEqual(ids.slice(0, 2));
    expect(firstPage.stderr).toBe('More runs than this page: --all for every one, --top <n> for the newest n\n');
    const all = await cli(['--json', 'runs', '--all'], { env: local });
    expect([JSON.parse(all.stdout).map((r: { runId: string }) => r.runId), all.stderr]).toEqual([ids, '']);
    const top = await cli(['--json', 'runs', '--top', '3'], { env: local });
    expect([JSON.parse(top.stdout).map((r: { runId: string }) => r.runId), top.stderr]).toEqual([ids, '']);
    for (const runId of ids) await client.waitForRun(runId, { initialIntervalMs: 30 });
  });

  it('exits 5 for a run that does not exist, and 4 on another service error, with the service code and message (in JSON too)', async () => {
    const result = await cli(['status', 'no_such_run']);
    expect(result.code).toBe(5);
    expect(result.stderr).toBe(
      'error: Action azure_machinelearningservices_runhistory/Runs_GetDetails failed with status code 404: UserError: Run no_such_run was not found in experiment cli\n',
    );
    const json = await cli(['--json', 'cancel', 'no_such_run']);
    expect(json.code).toBe(5);
    const { error } = JSON.parse(json.stdout);
    expect([error.name, error.statusCode, error.code]).toEqual(['AzureMLServiceError', 404, 'UserError']);
    expect(json.stdout).not.toContain('cli-token');
    emulator.faults.set([{ operation: 'Runs_GetDetails', status: 403, times: 1 }]);
    const refused = await cli(['status', 'no_such_run']);
    expect([refused.code, refused.stderr]).toEqual([
      4,
      'error: Action azure_machinelearningservices_runhistory/Runs_GetDetails failed with status code 403: UserError: Injected fault: 403\n',
    ]);
  });
});

describe('show, metrics, download', () => {
  const EXAMPLE = path.join(__dirname, '..', 'examples', 'metrics');

  it("shows a run's details, its metrics as a table and as JSON, and downloads its outputs (then skips them)", async () => {
    const submitted = await cli(['submit', EXAMPLE, '--script', 'train.py', '--wait', '--', '3']);
    expect(submitted.code).toBe(0);
    const runId = submitted.stdout.trim();
    const metrics = await history().getMetrics(runId);
    const show = await cli(['show', runId]);
    expect(show.code).toBe(0);
    expect(show.stdout).toContain(`Run:        ${runId}\nExperiment: cli\nStatus:     Completed\nTarget:     local\n`);
    expect(show.stdout).toContain('Script:     train.py\nLogs:\n  azureml-logs/70_driver_log.txt\nMetrics:\n');
    expect(show.stdout).toContain(`  loss = ${metrics.loss[2].value}\n`);
    expect(show.stdout).toMatch(/Artifacts:\n {2}azureml-logs\/70_driver_log.txt\n {2}outputs\/model.json\n {2}outputs\/reports\/summary.txt\n$/);

    const table = await cli(['metrics', runId]);
    const short = (v: unknown) => String(Number((v as number).toPrecision(6)));
    expect(table).toEqual({
      code: 0,
      stderr: '',
      stdout: [
        'NAME          LAST      STEPS',
        `accuracy      ${short(metrics.accuracy[2].value).padEnd(8)}  3`,
        `final_bias    ${short(metrics.final_bias[0].value).padEnd(8)}  1`,
        `final_loss    ${short(metrics.final_loss[0].value).padEnd(8)}  1`,
        `final_weight  ${short(metrics.final_weight[0].value).padEnd(8)}  1`,
        `loss          ${short(metrics.loss[2].value).padEnd(8)}  3`,
        '',
      ].join('\n'),
    });
    const json = await cli(['--json', 'metrics', runId]);
    expect(JSON.parse(json.stdout)).toEqual(Object.fromEntries(Object.entries(metrics).map(([name, points]) => [name, points.map(({ value, step }) => ({ value, step }))])));

    const to = project({});
    const first = await cli(['download', runId, '--to', to]);
    expect(first.code).toBe(0);
    expect(
      first.stdout
        .split('\n')
        .filter(Boolean)
        .map((l) => l.trim().split(/\s+/).pop()),
    ).toEqual([path.join(to, 'outputs', 'model.json'), path.join(to, 'outputs', 'reports', 'summary.txt')]);
    expect(first.stderr).toMatch(/Downloaded 2 files \(\d+ B\) to /);
    const again = await cli(['download', runId, '--to', to]);
    expect(again.stdout).toBe(
      `skipped (already there)  ${path.join(to, 'outputs', 'model.json')}\nskipped (already there)  ${path.join(to, 'outputs', 'reports', 'summary.txt')}\n`,
    );
    expect(again.stderr).toBe(`Downloaded 0 files (0 B) to ${to}; 2 already there\n`);
  });

  it('exits 5 for a prefix that matches nothing and for an unknown run; 2 without --to', async () => {
    const submitted = await cli(['submit', project({ 'a.py': 'print(1)' }), '--script', 'a.py', '--wait']);
    const runId = submitted.stdout.trim();
    const none = await cli(['download', runId, '--to', project({}), '--prefix', 'models/']);
    expect([none.code, none.stderr]).toEqual([5, `error: Run ${runId} has no artifacts under models/\n`]);
    const noMetrics = await cli(['metrics', runId]);
    expect([noMetrics.code, noMetrics.stdout, noMetrics.stderr]).toEqual([0, '', `Run ${runId} has no metrics\n`]);
    const unknown = await cli(['show', 'no_such_run']);
    expect(unknown.code).toBe(5);
    const usage = await cli(['download', runId]);
    expect([usage.code, usage.stderr.split('\n')[0]]).toEqual([2, "error: required option '--to <dir>' not specified"]);
  });
});

describe('the progress display', () => {
  function fakeStream(isTTY: boolean) {
    const writes: string[] = [];
    return { writes, stream: { isTTY, columns: 50, write: (text: string) => writes.push(text) } };
  }

  it('redraws one line on a terminal, with the upload progress and elapsed time, and clears it around log output', () => {
    let now = 0;
    const { writes, stream } = fakeStream(true);
    const progress = new Progress(stream, () => now);
    progress.upload(512, 2048);
    now = 1500;
    progress.upload(2048, 2048);
    progress.print(() => writes.push('LOG'));
    progress.status('Run r: Running with a very long status line that does not fit');
    progress.done();
    expect(writes).toEqual([
      '\r\x1b[2KUploading 25% (512 B of 2.0 KB) · 0.0 s',
      '\r\x1b[2KUploading 100% (2.0 KB of 2.0 KB) · 1.5 s',
      '\r\x1b[2K',
      'LOG',
      '\r\x1b[2KUploading 100% (2.0 KB of 2.0 KB) · 1.5 s',
      '\r\x1b[2KRun r: Running with a very long status line that ',
      '\r\x1b[2K',
    ]);
  });

  it('writes plain lines elsewhere: each status once, the upload only when done', () => {
    const { writes, stream } = fakeStream(false);
    const progress = new Progress(stream);
    progress.upload(512, 2048);
    progress.upload(2048, 2048);
    progress.status('Run r: Running');
    progress.status('Run r: Running');
    progress.status('Run r: Completed');
    progress.done();
    expect(writes).toEqual(['Uploaded 2.0 KB\n', 'Run r: Running\n', 'Run r: Completed\n']);
  });
});
