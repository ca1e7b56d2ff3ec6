/**
 * The smaller workflow verbs alone, over scripted actions: which log getRunLog reads (by rank,
 * by name, by what the run lists), how run definitions given as text or objects are checked, and
 * the exact queries of the run lists.
 */
import { AzureMLNotFoundError, AzureMLValidationError } from '../src';
import type { PipelineResponse, SendRequest } from '../src/http/pipeline';
import type { ServiceActions, WorkflowContext } from '../src/workflow/context';
import { prepareRunDefinition } from '../src/workflow/definition';
import { iterateChildRuns, listRuns, listRunsPage } from '../src/workflow/list-runs';
import { getRunLog, processLogsOf } from '../src/workflow/run-log';
import { failure } from './helpers/failure';

const WS = { subscriptionId: 's', resourceGroupName: 'rg', workspaceName: 'ws', experimentName: 'e' };
const BASE = 'http://127.0.0.1:1/';

/** A run listing these logs (each file's text), and the names read. */
function runWithLogs(logs: Record<string, string>) {
  const read: string[] = [];
  let details = 0;
  const client = {
    Runs_GetDetails: async () => (details++, { status: 'Running', logFiles: Object.fromEntries(Object.keys(logs).map((n) => [n, `${BASE}${n}`])) }),
  } as unknown as ServiceActions;
  const links: SendRequest = async (request) => {
    const name = request.url.slice(BASE.length);
    read.push(name);
    const data = Buffer.from(logs[name]);
    const response: PipelineResponse = { status: 206, headers: { 'content-range': `bytes 0-${data.length - 1}/${data.length}` }, body: data, request };
    return response;
  };
  const ctx: WorkflowContext = { client, defaults: WS, links };
  return { ctx, read, details: () => details };
}

describe('getRunLog', () => {
  it('checks rank before asking anything: a whole number, and not with file', async () => {
    const run = runWithLogs({});
    for (const rank of [-1, 1.5]) {
      const error = (await failure(getRunLog(run.ctx, 'r1', { rank }))) as AzureMLValidationError;
      expect(error.problems).toEqual([{ path: 'rank', message: `must be a whole number, 0 or more (got ${rank})` }]);
    }
    expect(((await failure(getRunLog(run.ctx, 'r1', { rank: 0, file: 'x.txt' }))) as AzureMLValidationError).problems).toEqual([
      { path: 'rank', message: 'cannot be given with file: give one or the other' },
    ]);
    expect(run.details()).toBe(0);
  });

  it("reads a rank's log, and names the ranks there are, in order, when it has none", async () => {
    const run = runWithLogs({ 'azureml-logs/70_driver_log_10.txt': 'ten', 'azureml-logs/70_driver_log_2.txt': 'two', 'azureml-logs/70_driver_log_0.txt': 'zero' });
    expect((await getRunLog(run.ctx, 'r1', { rank: 2 })).log).toBe('two');
    expect((await getRunLog(run.ctx, 'r1', { rank: 0 })).name).toBe('azureml-logs/70_driver_log_0.txt');
    const error = await failure(getRunLog(run.ctx, 'r1', { rank: 5 }));
    expect(error).toBeInstanceOf(AzureMLNotFoundError);
    expect(error.message).toBe('Run r1 has no log of rank 5 (its ranks: 0, 2, 10)');

    const single = runWithLogs({ 'azureml-logs/70_driver_log.txt': 'only' });
    expect((await getRunLog(single.ctx, 'r1', { rank: 0 })).log).toBe('only');
    expect((await failure(getRunLog(single.ctx, 'r1', { rank: 1 }))).message).toBe('Run r1 has no log of rank 1 (its ranks: 0)');
  });

  it('reads the main log the run lists: the v1 driver log, the v2 job log, then rank 0 of either', async () => {
    const cases: Array<[Record<string, string>, string]> = [
      [{ 'user_logs/std_log.txt': 'v2', 'azureml-logs/70_driver_log.txt': 'v1' }, 'azureml-logs/70_driver_log.txt'],
      [{ 'user_logs/std_log.txt': 'v2', 'azureml-logs/70_driver_log_0.txt': 'r0' }, 'user_logs/std_log.txt'],
      [{ 'user_logs/std_log_process_0.txt': 'p0', 'azureml-logs/70_driver_log_0.txt': 'r0' }, 'azureml-logs/70_driver_log_0.txt'],
      [{ 'user_logs/std_log_process_0.txt': 'p0' }, 'user_logs/std_log_process_0.txt'],
    ];
    for (const [logs, main] of cases) expect((await getRunLog(runWithLogs(logs).ctx, 'r1')).name).toBe(main);
    const none = await getRunLog(runWithLogs({}).ctx, 'r1');
    expect([none.name, none.log, none.totalBytes]).toEqual(['azureml-logs/70_driver_log.txt', '', 0]);
  });
});

describe('processLogsOf', () => {
  it('knows the per-process logs of both APIs by their whole names, ordered by rank', () => {
    const logFiles = Object.fromEntries(
      [
        'user_logs/std_log_process_3.txt',
        'azureml-logs/70_driver_log_12.txt',
        'azureml-logs/70_driver_log_1.txt.bak',
        'old/azureml-logs/70_driver_log_1.txt',
        'user_logs/std_log_process_x.txt',
        'azureml-logs/70_driver_log_.txt',
        'azureml-logs/70_driver_log_4.txt',
      ].map((n) => [n, `${BASE}${n}`]),
    );
    expect(processLogsOf({ logFiles })).toEqual([
      { name: 'user_logs/std_log_process_3.txt', rank: 3 },
      { name: 'azureml-logs/70_driver_log_4.txt', rank: 4 },
      { name: 'azureml-logs/70_driver_log_12.txt', rank: 12 },
    ]);
    expect(processLogsOf({ logFiles: { 'user_logs/std_log.txt': 'x' } })).toEqual([{ name: 'user_logs/std_log.txt' }]);
  });
});

describe('prepareRunDefinition', () => {
  it('reads JSON text with a leading byte order mark, and no other', () => {
    expect(prepareRunDefinition({ definition: '\uFEFF{"configuration":{"script":"a.py"}}' }, 'test').configuration!.script).toBe('a.py');
    const error = (() => {
      try {
        prepareRunDefinition({ definition: '{"configuration":\uFEFF{"script":"a.py"}}' }, 'test');
      } catch (e) {
        return e as AzureMLValidationError;
      }
      throw new Error('expected a throw');
    })();
    expect(error.problems).toEqual([{ path: 'definition', message: 'is not JSON: Unexpected token \'\uFEFF\', ..."guration":\uFEFF{"script""... is not valid JSON' }]);
  });

  it('says a configuration that is not an object must be one, once', () => {
    try {
      prepareRunDefinition({ definition: { configuration: 5 }, script: 'a.py' }, 'test');
      throw new Error('expected a throw');
    } catch (error) {
      expect((error as AzureMLValidationError).problems).toEqual([{ path: 'definition.configuration', message: 'must be an object' }]);
    }
  });
});

describe('run lists', () => {
  function lister(pages: Array<{ value?: unknown[]; continuationToken?: string }>) {
    const asked: unknown[] = [];
    let n = 0;
    const page = async (input: unknown) => (asked.push(input), pages[Math.min(n++, pages.length - 1)]);
    const ctx: WorkflowContext = { client: { Runs_GetByQuery: page, Runs_GetChild: page } as unknown as ServiceActions, defaults: WS };
    return { ctx, asked };
  }

  it('asks for one page with only the query given, and gives its token only when the page is whole', async () => {
    const first = lister([{ value: [{ runId: 'a' }, { runId: 'b' }], continuationToken: 'next' }]);
    expect(await listRunsPage(first.ctx)).toStrictEqual({ runs: [{ runId: 'a' }, { runId: 'b' }], continuationToken: 'next' });
    expect(first.asked).toStrictEqual([{ ...WS, queryParams: { orderBy: 'CreatedUtc desc' } }]);

    const more = lister([{ value: [{ runId: 'c' }, { runId: 'd' }], continuationToken: 'after' }]);
    expect(await listRunsPage(more.ctx, { top: 1, continuationToken: 'next', status: 'failed' })).toStrictEqual({ runs: [{ runId: 'c' }] });
    expect(more.asked).toStrictEqual([{ ...WS, queryParams: { orderBy: 'CreatedUtc desc', filter: "Status eq 'Failed'", top: 1, continuationToken: 'next' } }]);

    const empty = lister([{}]);
    expect(await listRunsPage(empty.ctx)).toStrictEqual({ runs: [] });
  });

  it('stops reading pages once it has top runs, and reads them all without top', async () => {
    const pages = [{ value: [{ runId: 'a' }, { runId: 'b' }], continuationToken: 't1' }, { value: [{ runId: 'c' }] }];
    const some = lister(pages);
    expect((await listRuns(some.ctx, { top: 2 })).map((r) => (r as { runId: string }).runId)).toEqual(['a', 'b']);
    expect(some.asked).toHaveLength(1);
    const all = lister(pages);
    expect((await listRuns(all.ctx)).map((r) => (r as { runId: string }).runId)).toEqual(['a', 'b', 'c']);
    expect(all.asked).toStrictEqual([
      { ...WS, queryParams: { orderBy: 'CreatedUtc desc' } },
      { ...WS, queryParams: { orderBy: 'CreatedUtc desc', continuationToken: 't1' } },
    ]);
  });

  it("pages a run's children with the token under its own name, and names itself in errors", async () => {
    const children = lister([
      { value: [{ runId: 'c1' }], continuationToken: 'x' },
      { value: [{ runId: 'c2' }], continuationToken: 'x' },
    ]);
    const seen: string[] = [];
    const error = await (async () => {
      for await (const child of iterateChildRuns(children.ctx, 'p1')) seen.push((child as { runId: string }).runId);
    })().catch((e: unknown) => e as Error);
    expect(seen).toEqual(['c1', 'c2']);
    expect((error as Error).message).toBe('Action azureml-execution/iterateChildRuns got the same continuation token twice; stopped paging');
    expect(children.asked).toStrictEqual([
      { ...WS, runId: 'p1' },
      { ...WS, runId: 'p1', $continuationtoken: 'x' },
    ]);
    const bad = lister([{}]);
    expect((await failure(listRunsPage(bad.ctx, { top: 0 }))).message).toContain('Action azureml-execution/listRunsPage');
  });
});
