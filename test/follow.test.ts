/**
 * Following a log so that it keeps up: against a service that only offers polling, new bytes bring
 * the wait back to its start and the wait never passes followMaxIntervalMs (an injected sleep
 * records each wait: no real sleeps); against a link that offers the emulator's long poll, the
 * client holds reads instead of sleeping; and the emulator holds such a read until the log grows.
 */
import * as fs from 'fs';
import * as path from 'path';
import { create as createClient, startEmulator, type Emulator } from '../src';
import { waitForRun } from '../src/workflow/wait-for-run';
import { makeZip } from './helpers/make-zip';
import { startRecordingServer, type RecordingServer } from './helpers/recording-server';

const WS = { subscriptionId: '6a8bd9bb-1df3-4bca-9b24-27a7f3e5b9e7', resourceGroupName: 'rg', workspaceName: 'ws', experimentName: 'follow' };

let server: RecordingServer;
beforeEach(async () => {
  server = await startRecordingServer();
});
afterEach(() => server.close());

/**
 * A run whose details answer each status in turn, and whose log (served by the recording server)
 * holds `logs[i]` at poll i: the log a polling client finds each time.
 */
function scripted(steps: Array<{ status: string; log: string }>, headers: Record<string, string> = {}) {
  let poll = -1;
  const client = {
    Runs_GetDetails: async () => {
      poll = Math.min(poll + 1, steps.length - 1);
      return { runId: 'r', status: steps[poll].status, logFiles: { 'azureml-logs/70_driver_log.txt': `${server.url}/log?sig=s` } };
    },
  };
  server.reply((req) => {
    const log = Buffer.from(steps[Math.max(0, poll)].log);
    const from = Number(/bytes=(\d+)-/.exec(String(req.headers.range))?.[1] ?? 0);
    if (from >= log.length) return { status: 416, headers: { 'content-range': `bytes */${log.length}`, ...headers } };
    return { status: 206, headers: { 'content-range': `bytes ${from}-${log.length - 1}/${log.length}`, ...headers }, body: log.subarray(from) };
  });
  return { client: client as never, defaults: WS };
}

describe('following a log on a service that only offers polling', () => {
  it('starts the wait again when new bytes come, and never waits past followMaxIntervalMs', async () => {
    const quiet = (n: number, log: string) => Array.from({ length: n }, () => ({ status: 'Running', log }));
    const steps = [...quiet(8, 'a\n'), ...quiet(2, 'a\nb\n'), { status: 'Completed', log: 'a\nb\n' }];
    const slept: number[] = [];
    const printed: string[] = [];
    await waitForRun(scripted(steps), 'r', { initialIntervalMs: 2000, maxIntervalMs: 60000, onLog: (t) => printed.push(t), sleep: async (ms) => void slept.push(ms), settleMs: 0 });
    expect(printed).toEqual(['a\n', 'b\n']);
    // Grows by half from 2 s, capped at 10 s while following (not the 60 s of a plain wait); back to 2 s after "b".
    expect(slept).toEqual([2000, 3000, 4500, 6750, 10000, 10000, 10000, 10000, 2000, 3000]);
  });

  it('takes its own cap, and a plain wait (no onLog) keeps maxIntervalMs', async () => {
    const steps = [...Array.from({ length: 5 }, () => ({ status: 'Running', log: '' })), { status: 'Completed', log: '' }];
    const following: number[] = [];
    await waitForRun(scripted(steps), 'r', {
      initialIntervalMs: 1000,
      followMaxIntervalMs: 2000,
      onLog: () => undefined,
      sleep: async (ms) => void following.push(ms),
      settleMs: 0,
    });
    expect(following).toEqual([1000, 1500, 2000, 2000, 2000]);
    const plain: number[] = [];
    await waitForRun(scripted(steps), 'r', { initialIntervalMs: 1000, followMaxIntervalMs: 2000, sleep: async (ms) => void plain.push(ms), settleMs: 0 });
    expect(plain).toEqual([1000, 1500, 2250, 3375, 5063]);
  });
});

describe('following a link that offers the long poll', () => {
  it('holds reads with wait= instead of sleeping, and polls the status when the log goes quiet', async () => {
    const steps = [
      { status: 'Running', log: 'one\n' },
      { status: 'Running', log: 'one\n' },
      { status: 'Completed', log: 'one\n' },
    ];
    const slept: number[] = [];
    const printed: string[] = [];
    await waitForRun(scripted(steps, { 'x-azureml-emulator-log-wait': '30' }), 'r', {
      initialIntervalMs: 2000,
      onLog: (t) => printed.push(t),
      sleep: async (ms) => void slept.push(ms),
      settleMs: 0,
    });
    expect(printed).toEqual(['one\n']);
    expect(slept).toEqual([]);
    const waits = server.requests.map((r) => new URL(r.url, server.url).searchParams.get('wait'));
    // The first read of each poll catches up without waiting; then one held read (10 s: the follow cap), until the end.
    expect(waits).toEqual([null, '10', null, '10', null]);
    expect(server.requests.map((r) => r.headers.range)).toEqual(['bytes=0-8388607', 'bytes=4-8388611', 'bytes=4-8388611', 'bytes=4-8388611', 'bytes=4-8388611']);
  });
});

describe("the emulator's long poll", () => {
  let emulator: Emulator;
  beforeAll(async () => {
    emulator = await startEmulator();
  });
  afterAll(() => emulator.close());

  async function runningRun(script: string) {
    const client = createClient({ access_token: 't', host: emulator.url }, { workspace: WS });
    const { runId } = await client.submitRun({ project: makeZip([{ name: 'main.py', data: script }]), script: 'main.py' });
    for (let i = 0; i < 200; i++) {
      const details = await client.Runs_GetDetails({ ...WS, runId });
      const url = details.logFiles?.['azureml-logs/70_driver_log.txt'];
      const log = url ? await (await fetch(url)).text() : '';
      if (log.includes('ready')) return { client, runId, url: url!, size: Buffer.byteLength(log) };
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
    throw new Error('the run did not print ready');
  }

  it('answers a held read with the bytes written while it waited', async () => {
    const { client, runId, url, size } = await runningRun('import time\nprint("ready", flush=True)\ntime.sleep(30)\n');
    try {
      const held = fetch(`${url}&wait=30`, { headers: { range: `bytes=${size}-` } });
      // Written into the log file as the script would (the run's own folder, under the data folder).
      // This run's folder: the one its log link names.
      const dir = decodeURIComponent(/\/emulator\/v1\.0\/runs\/([^/]+)\/files\//.exec(url)![1]);
      const runs = path.join(emulator.dataDir, 'runs');
      await new Promise((resolve) => setTimeout(resolve, 100));
      fs.appendFileSync(path.join(runs, dir, 'azureml-logs', '70_driver_log.txt'), 'late line\n');
      const answer = await held;
      expect([answer.status, await answer.text(), answer.headers.get('x-azureml-emulator-log-wait')]).toEqual([206, 'late line\n', '30']);
    } finally {
      await client.cancelRun(runId);
    }
  });

  it('answers a held read that nothing came to with 416 after the wait, and at once when the run has ended', async () => {
    const { client, runId, url, size } = await runningRun('import time\nprint("ready", flush=True)\ntime.sleep(30)\n');
    const started = Date.now();
    const quiet = await fetch(`${url}&wait=1`, { headers: { range: `bytes=${size}-` } });
    expect([quiet.status, quiet.headers.get('content-range')]).toEqual([416, `bytes */${size}`]);
    // It waited: a lower bound, which a loaded machine cannot break.
    expect(Date.now() - started).toBeGreaterThanOrEqual(950);
    await client.cancelRun(runId);
    await client.waitForRun(runId, { initialIntervalMs: 20, maxIntervalMs: 100 });
    const ended = await fetch(`${url}&wait=30`, { headers: { range: `bytes=${size}-` } });
    expect(ended.status).toBe(416);
  });

  it("answers a held read when the run's status changes, before its wait is over", async () => {
    const { client, runId, url, size } = await runningRun('import time\nprint("ready", flush=True)\ntime.sleep(30)\n');
    const held = fetch(`${url}&wait=30`, { headers: { range: `bytes=${size}-` } });
    await client.cancelRun(runId);
    // Without the status check this read would be held for 30 s, past this test's 15 s timeout.
    expect((await held).status).toBe(416);
  }, 15_000);

  it('with since=, holds a read that asks again for its last byte (a browser sees no 416) and answers it with that byte and what came', async () => {
    const { client, runId, url, size } = await runningRun('import time\nprint("ready", flush=True)\ntime.sleep(30)\n');
    try {
      const started = Date.now();
      const quiet = await fetch(`${url}&wait=1&since=${size}`, { headers: { range: `bytes=${size - 1}-` } });
      expect([quiet.status, await quiet.text(), quiet.headers.get('content-range')]).toEqual([206, '\n', `bytes ${size - 1}-${size - 1}/${size}`]);
      // It waited for more than `since` (the Range alone has a byte at once): a lower bound, which a loaded machine cannot break.
      expect(Date.now() - started).toBeGreaterThanOrEqual(950);
      const held = fetch(`${url}&wait=30&since=${size}`, { headers: { range: `bytes=${size - 1}-` } });
      // This run's folder: the one its log link names.
      const dir = decodeURIComponent(/\/emulator\/v1\.0\/runs\/([^/]+)\/files\//.exec(url)![1]);
      const runs = path.join(emulator.dataDir, 'runs');
      fs.appendFileSync(path.join(runs, dir, 'azureml-logs', '70_driver_log.txt'), 'late line\n');
      const answer = await held;
      expect([answer.status, await answer.text()]).toEqual([206, '\nlate line\n']);
      for (const since of ['-1', 'x', '1e3', '1234567890123456']) {
        const refused = await fetch(`${url}&wait=1&since=${since}`);
        expect([refused.status, ((await refused.json()) as { error: { message: string } }).error.message]).toEqual([400, `since must be a byte count (got "${since}")`]);
      }
    } finally {
      await client.cancelRun(runId);
    }
  });

  it('refuses a wait it does not take', async () => {
    const { client, runId, url } = await runningRun('import time\nprint("ready", flush=True)\ntime.sleep(30)\n');
    try {
      for (const wait of ['0', '31', 'abc', '-1']) {
        const answer = await fetch(`${url}&wait=${wait}`);
        expect([answer.status, ((await answer.json()) as { error: { message: string } }).error.message]).toEqual([
          400,
          `wait must be a number of seconds from 1 to 30 (got "${wait}")`,
        ]);
      }
    } finally {
      await client.cancelRun(runId);
    }
  });
});

describe('results that settle after the end', () => {
  /** A run that ended at `endedAt`, whose metric records number counts[i] at the i-th count. */
  function settling(counts: number[], endedAt = '2026-11-25T12:00:00Z', fail?: Error) {
    const calls: string[] = [];
    let countIndex = -1;
    const client = {
      Runs_GetDetails: async () => ({ runId: 'r', status: 'Completed', endTimeUtc: endedAt }),
      RunMetrics_GetByQuery: async () => {
        if (fail) throw fail;
        countIndex = Math.min(countIndex + 1, counts.length - 1);
        calls.push(`metrics ${counts[countIndex]}`);
        return { value: Array.from({ length: counts[countIndex] }, (_, i) => ({ runId: 'r', name: 'm', cells: [{ m: i }] })) };
      },
      RunArtifacts_ListSasByPrefix: async () => ({ value: [{ path: 'outputs/a', contentUri: 'x' }] }),
    };
    return { ctx: { client: client as never, defaults: WS }, calls };
  }

  it('counts the metrics and artifacts after the end until two counts agree, the first interval apart', async () => {
    let clock = Date.parse('2026-11-25T12:00:01Z');
    const slept: number[] = [];
    const { ctx, calls } = settling([3, 4, 5, 5, 9]);
    const final = await waitForRun(ctx, 'r', { initialIntervalMs: 200, now: () => clock, sleep: async (ms) => void (slept.push(ms), (clock += ms)) });
    expect(final.status).toBe('Completed');
    expect(calls).toEqual(['metrics 3', 'metrics 4', 'metrics 5', 'metrics 5']);
    expect(slept).toEqual([200, 200, 200]);
  });

  it('stops at settleMs, waits not at all for a run that ended longer ago, and is off with 0', async () => {
    let clock = Date.parse('2026-11-25T12:00:00Z');
    const growing = settling([1, 2, 3, 4, 5, 6, 7, 8, 9]);
    const slept: number[] = [];
    await waitForRun(growing.ctx, 'r', { initialIntervalMs: 2000, settleMs: 1200, now: () => clock, sleep: async (ms) => void (slept.push(ms), (clock += ms)) });
    expect(slept).toEqual([500, 500, 200]);
    const old = settling([1, 2]);
    await waitForRun(old.ctx, 'r', { now: () => Date.parse('2026-11-25T12:00:06Z'), sleep: async () => undefined });
    expect(old.calls).toEqual([]);
    const off = settling([1, 2]);
    await waitForRun(off.ctx, 'r', { settleMs: 0, now: () => Date.parse('2026-11-25T12:00:00Z'), sleep: async () => undefined });
    expect(off.calls).toEqual([]);
  });

  it('ends the settling, not the wait, when the results cannot be counted', async () => {
    const { AzureMLServiceError } = await import('../src');
    const forbidden = new AzureMLServiceError({ action: 'x', statusCode: 403, body: '{}', headers: {} });
    const { ctx } = settling([1], '2026-11-25T12:00:00Z', forbidden);
    const final = await waitForRun(ctx, 'r', { now: () => Date.parse('2026-11-25T12:00:01Z'), sleep: async () => undefined });
    expect(final.status).toBe('Completed');
    const broken = settling([1], '2026-11-25T12:00:00Z', new TypeError('a bug'));
    await expect(waitForRun(broken.ctx, 'r', { now: () => Date.parse('2026-11-25T12:00:01Z'), sleep: async () => undefined })).rejects.toThrow('a bug');
  });
});
