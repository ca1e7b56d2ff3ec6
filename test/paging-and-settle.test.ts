/**
 * Paging and the wait for results to settle, alone, over scripted Run History actions and an
 * injected clock: every page in order, a looping token refused, and counts taken until two agree.
 */
import { AzureMLError, AzureMLServiceError } from '../src';
import { followPages } from '../src/workflow/paging';
import { settleResults } from '../src/workflow/results/settle';
import type { ServiceActions, WorkflowContext } from '../src/workflow/context';

async function all<T>(items: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const item of items) out.push(item);
  return out;
}

describe('followPages', () => {
  it('yields every item of every page in order, following tokens to the end, and asks without a token first', async () => {
    const asked: Array<string | undefined> = [];
    const pages: Record<string, { value?: number[] | null; continuationToken?: string | null }> = {
      start: { value: [1, 2], continuationToken: 'b' },
      b: { value: null, continuationToken: 'c' },
      c: { value: [3], continuationToken: null },
    };
    const items = await all(followPages(async (token) => (asked.push(token), pages[token ?? 'start']), 'test/list'));
    expect([items, asked]).toEqual([
      [1, 2, 3],
      [undefined, 'b', 'c'],
    ]);
    // An empty token ends paging as well.
    expect(await all(followPages(async () => ({ value: [9], continuationToken: '' }), 'test/list'))).toEqual([9]);
  });

  it('stops with an error on a token met twice, after yielding what came', async () => {
    const tokens = ['a', 'b', 'a'];
    let page = 0;
    const seen: number[] = [];
    const error = await (async () => {
      for await (const item of followPages(async () => ({ value: [page], continuationToken: tokens[page++] }), 'test/list')) seen.push(item);
    })().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AzureMLError);
    expect((error as Error).message).toBe('Action test/list got the same continuation token twice; stopped paging');
    expect(seen).toEqual([0, 1, 2]);
  });
});

describe('settleResults', () => {
  const RUN = { subscriptionId: 's', resourceGroupName: 'rg', workspaceName: 'ws', experimentName: 'e', runId: 'r1' };

  /** Run History whose counts of metrics and artifacts go through `counts` (one per count), on a clock moved by sleep. */
  function scripted(counts: Array<[number, number] | Error>) {
    let clock = 1000;
    let n = 0;
    const log: string[] = [];
    let current: [number, number] | Error = [0, 0];
    const client = {
      RunMetrics_GetByQuery: async () => {
        current = counts[Math.min(n++, counts.length - 1)];
        if (current instanceof Error) throw current;
        log.push(`count ${current.join('/')} at ${clock}`);
        return { value: Array.from({ length: current[0] }, () => ({ runId: 'r1' })) };
      },
      RunArtifacts_ListSasByPrefix: async () => ({ value: Array.from({ length: (current as [number, number])[1] }, () => ({})) }),
    } as unknown as ServiceActions;
    const ctx: WorkflowContext = { client };
    const options = {
      settleMs: 5000,
      intervalMs: 2000,
      now: () => clock,
      sleep: async (ms: number) => {
        log.push(`sleep ${ms}`);
        clock += ms;
      },
    };
    return { ctx, options, log };
  }

  it('counts until two counts in a row agree', async () => {
    const { ctx, options, log } = scripted([
      [1, 0],
      [2, 1],
      [2, 1],
    ]);
    await settleResults(ctx, RUN, 'test/settle', options);
    expect(log).toEqual(['count 1/0 at 1000', 'sleep 2000', 'count 2/1 at 3000', 'sleep 2000', 'count 2/1 at 5000']);
  });

  it('gives up at settleMs, with a last sleep no longer than what is left', async () => {
    const { ctx, options, log } = scripted([
      [1, 0],
      [2, 0],
      [3, 0],
      [4, 0],
    ]);
    await settleResults(ctx, RUN, 'test/settle', options);
    expect(log).toEqual(['count 1/0 at 1000', 'sleep 2000', 'count 2/0 at 3000', 'sleep 2000', 'count 3/0 at 5000', 'sleep 1000', 'count 4/0 at 6000']);
  });

  it('does not wait when told not to, or for a run that ended longer than settleMs ago', async () => {
    const off = scripted([[1, 0]]);
    await settleResults(off.ctx, RUN, 'test/settle', { ...off.options, settleMs: 0 });
    expect(off.log).toEqual([]);

    const old = scripted([[1, 0]]);
    await settleResults(old.ctx, RUN, 'test/settle', { ...old.options, endedAt: 1000 - 5001 });
    expect(old.log).toEqual([]);

    const recent = scripted([
      [1, 0],
      [1, 0],
    ]);
    await settleResults(recent.ctx, RUN, 'test/settle', { ...recent.options, endedAt: 1000 - 5000 });
    expect(recent.log).toEqual(['count 1/0 at 1000', 'sleep 2000', 'count 1/0 at 3000']);

    const unknown = scripted([
      [1, 0],
      [1, 0],
    ]);
    await settleResults(unknown.ctx, RUN, 'test/settle', { ...unknown.options, endedAt: NaN });
    expect(unknown.log).toEqual(['count 1/0 at 1000', 'sleep 2000', 'count 1/0 at 3000']);
  });

  it('leaves results that cannot be counted to the calls that read them, but passes on an abort and a bug', async () => {
    const forbidden = new AzureMLServiceError({ action: 'test/settle', statusCode: 403, body: '', headers: {} });
    const denied = scripted([[1, 0], forbidden]);
    await expect(settleResults(denied.ctx, RUN, 'test/settle', denied.options)).resolves.toBeUndefined();

    const bug = new TypeError('a bug');
    const broken = scripted([bug]);
    await expect(settleResults(broken.ctx, RUN, 'test/settle', broken.options)).rejects.toBe(bug);

    const controller = new AbortController();
    controller.abort();
    const aborted = scripted([forbidden]);
    await expect(settleResults(aborted.ctx, RUN, 'test/settle', { ...aborted.options, signal: controller.signal })).rejects.toBe(forbidden);
  });
});
