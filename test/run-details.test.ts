/**
 * getRunDetails and getMetrics alone, over scripted Run History actions: what the one-answer
 * summary holds, the duration on an injected clock, and which metric records are believed.
 */
import { getRunDetails } from '../src/workflow/results/details';
import { getMetrics } from '../src/workflow/results/metrics';
import type { ServiceActions, WorkflowContext } from '../src/workflow/context';

const WS = { subscriptionId: 's', resourceGroupName: 'rg', workspaceName: 'ws', experimentName: 'e' };

function context(details: Record<string, unknown>, metrics: unknown[] = [], artifacts: unknown[] = []) {
  const asked: Array<[string, unknown]> = [];
  const client = {
    Runs_GetDetails: async (input: unknown) => (asked.push(['Runs_GetDetails', input]), details),
    RunMetrics_GetByQuery: async (input: unknown) => (asked.push(['RunMetrics_GetByQuery', input]), { value: metrics }),
    RunArtifacts_ListSasByPrefix: async (input: unknown) => (asked.push(['RunArtifacts_ListSasByPrefix', input]), { value: artifacts }),
  } as unknown as ServiceActions;
  const ctx: WorkflowContext = { client, defaults: WS };
  return { ctx, asked };
}

describe('getRunDetails', () => {
  it("sums up an ended run: status, times, duration, definition, logs, each metric's last value, artifact paths", async () => {
    const { ctx, asked } = context(
      {
        status: 'Completed',
        target: 'cpu-cluster',
        startTimeUtc: '2026-11-26T10:00:00Z',
        endTimeUtc: '2026-11-26T10:01:30Z',
        runDefinition: { script: 'train.py' },
        logFiles: { 'azureml-logs/70_driver_log.txt': 'https://x/70', 'logs/user.txt': 'https://x/u' },
        error: { error: { code: 'UserError', message: 'no' } },
        tags: { team: 'a' },
        properties: { ContentSnapshotId: 'snap' },
      },
      [
        { runId: 'r1', name: 'loss', cells: [{ loss: 0.9 }, { loss: 0.5 }], createdUtc: 't1' },
        {
          runId: 'r1',
          name: 'acc',
          cells: [
            { acc: 0.7, step: 2 },
            { acc: 0.6, step: 1 },
          ],
          createdUtc: 't2',
        },
      ],
      [{ path: 'outputs/model.pkl', contentUri: 'https://x/m' }, { contentUri: 'https://x/no-path' }, { path: 'outputs/a.txt' }],
    );
    expect(await getRunDetails(ctx, 'r1')).toEqual({
      runId: 'r1',
      experimentName: 'e',
      status: 'Completed',
      target: 'cpu-cluster',
      startTimeUtc: '2026-11-26T10:00:00Z',
      endTimeUtc: '2026-11-26T10:01:30Z',
      durationMs: 90_000,
      definition: { script: 'train.py' },
      logFiles: ['azureml-logs/70_driver_log.txt', 'logs/user.txt'],
      metrics: { loss: 0.5, acc: 0.7 },
      artifacts: ['outputs/model.pkl', 'outputs/a.txt'],
      error: { error: { code: 'UserError', message: 'no' } },
      tags: { team: 'a' },
      properties: { ContentSnapshotId: 'snap' },
    });
    expect(asked).toEqual([
      ['Runs_GetDetails', { ...WS, runId: 'r1' }],
      ['RunMetrics_GetByQuery', { ...WS, queryParams: { filter: "RunId eq 'r1'" } }],
      ['RunArtifacts_ListSasByPrefix', { ...WS, runId: 'r1', path: '' }],
    ]);
  });

  it('times a running run to now, leaves out what the service did not say, and never gives a negative duration', async () => {
    const running = context({ status: 'Running', startTimeUtc: '2026-11-26T10:00:00Z', tags: {}, properties: {} });
    expect(await getRunDetails(running.ctx, 'r1', { now: () => Date.parse('2026-11-26T10:00:05Z') })).toStrictEqual({
      runId: 'r1',
      experimentName: 'e',
      status: 'Running',
      startTimeUtc: '2026-11-26T10:00:00Z',
      durationMs: 5000,
      logFiles: [],
      metrics: {},
      artifacts: [],
    });
    const queued = context({});
    expect(await getRunDetails(queued.ctx, 'r1', { now: () => 0 })).toStrictEqual({ runId: 'r1', experimentName: 'e', status: '', logFiles: [], metrics: {}, artifacts: [] });
    const skewed = context({ status: 'Running', startTimeUtc: '2026-11-26T10:00:05Z' });
    expect((await getRunDetails(skewed.ctx, 'r1', { now: () => Date.parse('2026-11-26T10:00:00Z') })).durationMs).toBe(0);
    const garbled = context({ status: 'Running', startTimeUtc: 'soon' });
    expect('durationMs' in (await getRunDetails(garbled.ctx, 'r1'))).toBe(false);
  });
});

describe('getMetrics', () => {
  it('quotes the run id as OData does, and believes only the records of the run asked for', async () => {
    const { ctx, asked } = context({}, [
      { runId: "it's", name: 'loss', cells: [{ loss: 1 }] },
      { runId: 'other', name: 'loss', cells: [{ loss: 99 }] },
      { name: 'loss', cells: [{ loss: 2 }] },
    ]);
    expect(await getMetrics(ctx, "it's")).toEqual({
      loss: [
        { value: 1, step: 0, time: '' },
        { value: 2, step: 1, time: '' },
      ],
    });
    expect(asked).toEqual([['RunMetrics_GetByQuery', { ...WS, queryParams: { filter: "RunId eq 'it''s'" } }]]);
  });
});
