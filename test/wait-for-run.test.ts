/**
 * waitForRun alone, over a scripted Run History and scripted log links, on an injected clock and
 * sleep: what onLog is given (pieces, whole characters, whole lines per rank), how many bytes each
 * read asks for, how the wait between polls moves, and the long poll a link may offer.
 */
import { AzureMLAbortError, AzureMLTimeoutError } from '../src';
import { LOG_WAIT_HEADER } from '../src/http/fetch-range';
import type { PipelineResponse, SendRequest } from '../src/http/pipeline';
import type { ServiceActions, WorkflowContext } from '../src/workflow/context';
import { waitForRun, type WaitForRunOptions } from '../src/workflow/wait-for-run';

const WS = { subscriptionId: 's', resourceGroupName: 'rg', workspaceName: 'ws', experimentName: 'e' };
const BASE = 'http://127.0.0.1:1/';
const MiB = 1024 * 1024;

/** One poll's view of the run: its status and the logs as they are then. */
interface Poll {
  status: string;
  logs?: Record<string, string | Buffer>;
}

/**
 * A run that goes through `polls`, one per Runs_GetDetails (the last repeats); its logs are
 * served from the poll last seen, or from what `held` gives for a read that waits (`wait=`).
 */
function scripted(polls: Poll[], extra: { offer?: number; held?: (name: string, from: number) => Buffer | undefined; tick?: () => void } = {}) {
  let index = -1;
  const reads: string[] = [];
  const current = () => polls[Math.max(0, Math.min(index, polls.length - 1))];
  const client = {
    Runs_GetDetails: async () => {
      index++;
      const logs = current().logs ?? {};
      return { status: current().status, logFiles: Object.fromEntries(Object.keys(logs).map((name) => [name, `${BASE}${name}`])) };
    },
  } as unknown as ServiceActions;
  const links: SendRequest = async (request) => {
    const url = new URL(request.url);
    const name = url.pathname.slice(1);
    const wait = url.searchParams.get('wait');
    const from = Number(/^bytes=(\d+)-/.exec(request.headers.range)![1]);
    const to = Number(/-(\d+)$/.exec(request.headers.range)![1]);
    reads.push(`${name} ${request.headers.range}${wait ? ` wait=${wait}` : ''}`);
    extra.tick?.();
    const stored = current().logs?.[name];
    let data: Buffer | undefined = stored === undefined ? undefined : Buffer.from(stored);
    if (wait && extra.held) data = extra.held(name, from) ?? data;
    const headers: PipelineResponse['headers'] = extra.offer ? { [LOG_WAIT_HEADER]: String(extra.offer) } : {};
    if (!data) return { status: 404, headers, body: Buffer.alloc(0), request };
    if (from >= data.length) return { status: 416, headers: { ...headers, 'content-range': `bytes */${data.length}` }, body: Buffer.alloc(0), request };
    const end = Math.min(to, data.length - 1);
    return { status: 206, headers: { ...headers, 'content-range': `bytes ${from}-${end}/${data.length}` }, body: data.subarray(from, end + 1), request };
  };
  const ctx: WorkflowContext = { client, defaults: WS, links };
  const given: string[] = [];
  const sleeps: number[] = [];
  const options: WaitForRunOptions = {
    onLog: (text) => given.push(text),
    initialIntervalMs: 100,
    maxIntervalMs: 1000,
    settleMs: 0,
    sleep: async (ms) => void sleeps.push(ms),
    now: () => 0,
  };
  return { ctx, options, given, sleeps, reads, polls: () => index + 1 };
}

const DRIVER = 'azureml-logs/70_driver_log.txt';

describe('following the main log', () => {
  it('gives each new piece as it comes, a character cut between reads whole, and looks again soon while the log grows', async () => {
    const s = scripted([
      { status: 'Running', logs: { [DRIVER]: Buffer.from([...Buffer.from('hello '), 0xc3]) } },
      { status: 'Running', logs: { [DRIVER]: 'hello é\n' } },
      { status: 'Running', logs: { [DRIVER]: 'hello é\n' } },
      { status: 'Running', logs: { [DRIVER]: 'hello é\n' } },
      { status: 'Completed', logs: { [DRIVER]: 'hello é\nbye' } },
    ]);
    const statuses: string[] = [];
    const details = await waitForRun(s.ctx, 'r1', { ...s.options, onStatus: (status) => statuses.push(status) });
    expect(details.status).toBe('Completed');
    expect(s.given).toEqual(['hello ', 'é\n', 'bye']);
    expect(statuses).toEqual(['Running', 'Completed']);
    // Reset to the first wait after each growth, then growing by half.
    expect(s.sleeps).toEqual([100, 100, 150, 225]);
    expect(s.reads).toEqual([
      `${DRIVER} bytes=0-${8 * MiB - 1}`,
      `${DRIVER} bytes=7-${7 + 8 * MiB - 1}`,
      `${DRIVER} bytes=9-${9 + 8 * MiB - 1}`,
      `${DRIVER} bytes=9-${9 + 8 * MiB - 1}`,
      `${DRIVER} bytes=9-${9 + 8 * MiB - 1}`,
    ]);
  });

  it('reads a log that grew by more than one read in pieces of 8 MiB within the same poll, and no further than its end', async () => {
    const big = Buffer.alloc(9 * MiB, 'a');
    const s = scripted([
      { status: 'Running', logs: { [DRIVER]: big } },
      { status: 'Completed', logs: { [DRIVER]: big } },
    ]);
    let given = 0;
    await waitForRun(s.ctx, 'r1', { ...s.options, onLog: (text) => void (given += text.length) });
    expect(given).toBe(9 * MiB);
    expect(s.reads).toEqual([`${DRIVER} bytes=0-${8 * MiB - 1}`, `${DRIVER} bytes=${8 * MiB}-${16 * MiB - 1}`, `${DRIVER} bytes=${9 * MiB}-${17 * MiB - 1}`]);

    const exact = Buffer.alloc(8 * MiB, 'b');
    const e = scripted([{ status: 'Completed', logs: { [DRIVER]: exact } }]);
    await waitForRun(e.ctx, 'r1', { ...e.options, onLog: () => undefined });
    expect(e.reads).toEqual([`${DRIVER} bytes=0-${8 * MiB - 1}`]);
  });

  it('does not start when the signal is already aborted', async () => {
    const s = scripted([{ status: 'Running' }]);
    const controller = new AbortController();
    controller.abort(new Error('stop'));
    await expect(waitForRun(s.ctx, 'r1', { ...s.options, signal: controller.signal })).rejects.toBeInstanceOf(AzureMLAbortError);
    expect(s.polls()).toBe(0);
  });
});

describe('following every process', () => {
  const RANK0 = 'azureml-logs/70_driver_log_0.txt';
  const RANK1 = 'azureml-logs/70_driver_log_1.txt';

  it('gives whole lines with their rank, holds a line until its end or the run’s, and a character cut between reads whole', async () => {
    const s = scripted([
      { status: 'Running', logs: { [RANK1]: 'x\n', [RANK0]: Buffer.from([...Buffer.from('a\nb'), 0xc3]) } },
      { status: 'Running', logs: { [RANK1]: 'x\n', [RANK0]: 'a\nbé\nc' } },
      { status: 'Completed', logs: { [RANK1]: 'x\n', [RANK0]: 'a\nbé\ncd' } },
    ]);
    await waitForRun(s.ctx, 'r1', { ...s.options, allProcesses: true });
    expect(s.given).toEqual(['[rank 0] a\n', '[rank 1] x\n', '[rank 0] bé\n', '[rank 0] cd\n']);
    // Growth brings the wait back to its start.
    expect(s.sleeps).toEqual([100, 100]);
  });

  it('gives a line that never ends once more than 64 KiB of it are held, and holds one of exactly 64 KiB', async () => {
    const s = scripted([
      { status: 'Running', logs: { [RANK0]: 'y'.repeat(64 * 1024) } },
      { status: 'Running', logs: { [RANK0]: `${'y'.repeat(64 * 1024)}z` } },
      { status: 'Completed', logs: { [RANK0]: `${'y'.repeat(64 * 1024)}z` } },
    ]);
    await waitForRun(s.ctx, 'r1', { ...s.options, allProcesses: true });
    expect(s.given).toEqual([`[rank 0] ${'y'.repeat(64 * 1024)}z\n`]);
  });

  it('follows a run of one process by its main log, line by line, without a rank', async () => {
    const s = scripted([
      { status: 'Running', logs: { [DRIVER]: 'p\nq' } },
      { status: 'Running', logs: { [DRIVER]: 'p\nq' } },
      { status: 'Completed', logs: { [DRIVER]: 'p\nq' } },
    ]);
    await waitForRun(s.ctx, 'r1', { ...s.options, allProcesses: true });
    expect(s.given).toEqual(['p\n', 'q\n']);
    expect(s.sleeps).toEqual([100, 150]);
  });
});

describe('the long poll a link offers', () => {
  it('holds reads instead of sleeping, reads on while bytes come, and polls the status when the log goes quiet', async () => {
    const chunks = ['b', 'c'];
    const s = scripted(
      [
        { status: 'Running', logs: { [DRIVER]: 'a' } },
        { status: 'Completed', logs: { [DRIVER]: 'abc' } },
      ],
      { offer: 30, held: (_name, from) => (chunks.length ? Buffer.from(`${'a'.repeat(from)}${chunks.shift()!}`) : undefined) },
    );
    await waitForRun(s.ctx, 'r1', s.options);
    expect(s.given).toEqual(['a', 'b', 'c']);
    expect(s.sleeps).toEqual([]);
    // Held for at most the longest wait between polls (maxIntervalMs, 1 s here).
    expect(s.reads).toEqual([
      `${DRIVER} bytes=0-${8 * MiB - 1}`,
      `${DRIVER} bytes=1-${1 + 8 * MiB - 1} wait=1`,
      `${DRIVER} bytes=2-${2 + 8 * MiB - 1} wait=1`,
      `${DRIVER} bytes=3-${3 + 8 * MiB - 1} wait=1`,
      `${DRIVER} bytes=3-${3 + 8 * MiB - 1}`,
    ]);
  });

  it('polls the status at once when the log grows before the run was seen Running, and at least every second while it talks', async () => {
    const preparing = scripted(
      [
        { status: 'Preparing', logs: { [DRIVER]: '' } },
        { status: 'Completed', logs: { [DRIVER]: 'ab' } },
      ],
      { offer: 30, held: (_name, from) => Buffer.from('ab'.slice(0, from + 1)) },
    );
    await waitForRun(preparing.ctx, 'r1', preparing.options);
    expect(preparing.reads.filter((r) => r.includes('wait='))).toEqual([`${DRIVER} bytes=0-${8 * MiB - 1} wait=1`]);

    // Each read takes 600 ms on the clock: with 500 ms the longest wait, the first read with bytes ends the holding.
    let clock = 0;
    const talking = scripted(
      [
        { status: 'Running', logs: { [DRIVER]: '' } },
        { status: 'Completed', logs: { [DRIVER]: 'abcd' } },
      ],
      { offer: 30, held: (_name, from) => Buffer.from('abcd'.slice(0, from + 1)), tick: () => void (clock += 600) },
    );
    await waitForRun(talking.ctx, 'r1', { ...talking.options, maxIntervalMs: 500, now: () => clock });
    expect(talking.reads.filter((r) => r.includes('wait='))).toEqual([`${DRIVER} bytes=0-${8 * MiB - 1} wait=1`]);
    // With 1 s the longest wait, the second (1200 ms).
    clock = 0;
    const longer = scripted(
      [
        { status: 'Running', logs: { [DRIVER]: '' } },
        { status: 'Completed', logs: { [DRIVER]: 'abcd' } },
      ],
      { offer: 30, held: (_name, from) => Buffer.from('abcd'.slice(0, from + 1)), tick: () => void (clock += 600) },
    );
    await waitForRun(longer.ctx, 'r1', { ...longer.options, now: () => clock });
    expect(longer.reads.filter((r) => r.includes('wait='))).toEqual([`${DRIVER} bytes=0-${8 * MiB - 1} wait=1`, `${DRIVER} bytes=1-${1 + 8 * MiB - 1} wait=1`]);
  });

  it('holds no longer than the time left, and gives up at the deadline having seen the status there', async () => {
    let clock = 0;
    const s = scripted([{ status: 'Running', logs: { [DRIVER]: '' } }], { offer: 30, held: (_name, from) => Buffer.from('x'.repeat(from + 1)), tick: () => void (clock += 1500) });
    const error = await waitForRun(s.ctx, 'r1', { ...s.options, timeoutMs: 3000, now: () => clock }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AzureMLTimeoutError);
    // 1500 ms gone at the first hold: 1 s held (never less); then the deadline ends holding and the next poll gives up.
    expect(s.reads).toEqual([`${DRIVER} bytes=0-${8 * MiB - 1}`, `${DRIVER} bytes=0-${8 * MiB - 1} wait=1`, `${DRIVER} bytes=1-${1 + 8 * MiB - 1}`]);
    expect(s.polls()).toBe(2);
  });
});
