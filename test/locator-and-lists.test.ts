/**
 * Locators and run lists in-process: how a run or an experiment is resolved from a call and the
 * client's defaults (with the exact problems), and the exact queries and page walks of the lists.
 */
import type { ServiceActions, WorkflowContext } from '../src/workflow/context';
import { iterateChildRuns, listRuns } from '../src/workflow/list-runs';
import { locatorFields, markWorkflowFields, resolveExperiment, resolveRun, withoutWorkflowFields, WORKFLOW_FIELDS } from '../src/workflow/locator';

const WORKSPACE = { subscriptionId: '6a8bd9bb-1df3-4bca-9b24-27a7f3e5b9e7', resourceGroupName: 'rg', workspaceName: 'ws' };
const EXPERIMENT = { ...WORKSPACE, experimentName: 'exp' };
const INVALID = (action: string) => `Action azureml-execution/${action} was given invalid input: `;
const FROM_CALL = 'is required (give it in the call, or in create(account, { workspace }))';

describe('resolveRun and resolveExperiment', () => {
  it('takes a run id, or an object with one, over the defaults', () => {
    expect(resolveRun('r1', EXPERIMENT, 'a')).toEqual({ ...EXPERIMENT, runId: 'r1' });
    expect(resolveRun({ runId: 'r2', experimentName: 'other' }, EXPERIMENT, 'a')).toEqual({ ...EXPERIMENT, experimentName: 'other', runId: 'r2' });
  });

  it.each([null, undefined, 5, true])('refuses %p as a run', (ref) => {
    expect(() => resolveRun(ref as never, EXPERIMENT, 'azureml-execution/getRun')).toThrow(`${INVALID('getRun')}runId is required: give a run id, or an object with runId`);
  });

  it('names a missing run id and each missing locator field, in order', () => {
    expect(() => resolveRun('', EXPERIMENT, 'azureml-execution/getRun')).toThrow(`${INVALID('getRun')}runId is required`);
    expect(() => resolveRun({ runId: 7 } as never, EXPERIMENT, 'azureml-execution/getRun')).toThrow(`${INVALID('getRun')}runId is required`);
    let problems: unknown;
    try {
      resolveRun({ runId: '', workspaceName: 'ws' }, { subscriptionId: 's' }, 'azureml-execution/getRun');
    } catch (error) {
      problems = (error as { problems: unknown }).problems;
    }
    expect(problems).toEqual([
      { path: 'runId', message: 'is required' },
      { path: 'resourceGroupName', message: FROM_CALL },
      { path: 'experimentName', message: FROM_CALL },
    ]);
    expect(() => resolveExperiment({ experimentName: '' }, WORKSPACE, 'azureml-execution/listRuns')).toThrow(`${INVALID('listRuns')}experimentName ${FROM_CALL}`);
    expect(resolveExperiment(undefined, EXPERIMENT, 'listRuns')).toEqual(EXPERIMENT);
  });

  it('keeps only set locator fields: empty, null and other fields are left out', () => {
    expect(locatorFields({ subscriptionId: 's', resourceGroupName: '', workspaceName: null as never, experimentName: undefined, runId: 'x', extra: 1 } as never)).toEqual({
      subscriptionId: 's',
    });
    expect(locatorFields({ workspaceName: 0 as never })).toEqual({ workspaceName: 0 });
    expect(locatorFields(undefined)).toEqual({});
  });
});

describe('workflow fields', () => {
  it('leaves out the marked fields that the operation does not take, and nothing else', () => {
    const run = markWorkflowFields({ ...EXPERIMENT, runId: 'r', definition: {}, project: {}, note: 'kept' }, ['definition', 'project', 5 as never]);
    expect(withoutWorkflowFields({ ...run }, (name) => name === 'project')).toEqual({
      ...EXPERIMENT,
      runId: 'r',
      project: {},
      note: 'kept',
      [WORKFLOW_FIELDS]: ['definition', 'project', 5],
    });
    // Not marked (or marked with something else than a list): given back as it is, the same object.
    const plain = { ...EXPERIMENT, definition: {} };
    expect(withoutWorkflowFields(plain, () => false)).toBe(plain);
    const odd = { definition: {}, [WORKFLOW_FIELDS]: 'definition' };
    expect(withoutWorkflowFields(odd, () => false)).toBe(odd);
    expect(withoutWorkflowFields('r1', () => false)).toBe('r1');
    expect(withoutWorkflowFields(null, () => false)).toBe(null);
  });
});

/** Runs_GetByQuery that answers the given pages in turn and records each query. */
function pagedContext(pages: Array<{ value?: unknown[]; continuationToken?: string | null }>) {
  const queries: Array<Record<string, unknown>> = [];
  const children: Array<Record<string, unknown>> = [];
  const answer = () => pages.shift() ?? { value: [] };
  const client = {
    Runs_GetByQuery: async (input: Record<string, unknown>) => {
      queries.push(input);
      return answer();
    },
    Runs_GetChild: async (input: Record<string, unknown>) => {
      children.push(input);
      return answer();
    },
  };
  const ctx: WorkflowContext = { client: client as unknown as ServiceActions, defaults: EXPERIMENT };
  return { ctx, queries, children };
}
const runs = (from: number, count: number) => Array.from({ length: count }, (_, i) => ({ runId: `r${from + i}` }));

describe('listRuns', () => {
  it('asks newest first, with no filter and no top when none is given, and follows every page', async () => {
    const { ctx, queries } = pagedContext([
      { value: runs(0, 2), continuationToken: 'a' },
      { value: runs(2, 1), continuationToken: null },
    ]);
    expect(await listRuns(ctx)).toEqual(runs(0, 3));
    expect(queries).toEqual([
      { ...EXPERIMENT, queryParams: { orderBy: 'CreatedUtc desc' } },
      { ...EXPERIMENT, queryParams: { orderBy: 'CreatedUtc desc', continuationToken: 'a' } },
    ]);
  });

  it('joins the status and a filter of your own with and, and takes an order of your own', async () => {
    const { ctx, queries } = pagedContext([{ value: [] }, { value: [] }, { value: [] }]);
    await listRuns(ctx, { status: 'failed', filter: "Tags/team eq 'a'", orderBy: 'StartTimeUtc asc' });
    await listRuns(ctx, { filter: "Tags/team eq 'a'" });
    await listRuns(ctx, { status: 'Running' });
    expect(queries.map((q) => q.queryParams)).toEqual([
      { orderBy: 'StartTimeUtc asc', filter: "Status eq 'Failed' and Tags/team eq 'a'" },
      { orderBy: 'CreatedUtc desc', filter: "Tags/team eq 'a'" },
      { orderBy: 'CreatedUtc desc', filter: "Status eq 'Running'" },
    ]);
  });

  it('stops at top: it asks for top, cuts a longer page, and fetches no page past it', async () => {
    const cut = pagedContext([{ value: runs(0, 5), continuationToken: 'a' }]);
    expect(await listRuns(cut.ctx, { top: 2 })).toEqual(runs(0, 2));
    expect(cut.queries).toEqual([{ ...EXPERIMENT, queryParams: { orderBy: 'CreatedUtc desc', top: 2 } }]);
    const boundary = pagedContext([{ value: runs(0, 2), continuationToken: 'a' }, { value: runs(2, 2) }]);
    expect(await listRuns(boundary.ctx, { top: 2 })).toEqual(runs(0, 2));
    expect(boundary.queries).toHaveLength(1);
    const across = pagedContext([{ value: runs(0, 2), continuationToken: 'a' }, { value: runs(2, 2), continuationToken: 'b' }, { value: runs(4, 2) }]);
    expect(await listRuns(across.ctx, { top: 3 })).toEqual(runs(0, 3));
    expect(across.queries).toHaveLength(2);
  });

  it('refuses a top that is not a whole number of 1 or more, and a status that is not one', async () => {
    const { ctx, queries } = pagedContext([]);
    await expect(listRuns(ctx, { top: 0 })).rejects.toThrow(`${INVALID('listRuns')}top must be a whole number, 1 or more (got 0)`);
    await expect(listRuns(ctx, { top: 2.5 })).rejects.toThrow(`${INVALID('listRuns')}top must be a whole number, 1 or more (got 2.5)`);
    await expect(listRuns(ctx, { status: 'Faild' })).rejects.toThrow(`${INVALID('listRuns')}status must be a run status (did you mean Failed?): `);
    expect(queries).toEqual([]);
  });

  it('stops, saying why, when the service gives the same continuation token twice', async () => {
    const { ctx, queries } = pagedContext([
      { value: runs(0, 1), continuationToken: 'a' },
      { value: runs(1, 1), continuationToken: 'b' },
      { value: runs(2, 1), continuationToken: 'a' },
    ]);
    await expect(listRuns(ctx)).rejects.toThrow('Action azureml-execution/iterateRuns got the same continuation token twice; stopped paging');
    expect(queries).toHaveLength(3);
  });
});

describe('iterateChildRuns', () => {
  it('pages with $continuationtoken, the parameter Runs_GetChild takes', async () => {
    const { ctx, children } = pagedContext([{ value: runs(0, 1), continuationToken: 'next' }, { value: runs(1, 1) }]);
    const seen: unknown[] = [];
    for await (const run of iterateChildRuns(ctx, 'parent')) seen.push(run);
    expect(seen).toEqual(runs(0, 2));
    expect(children).toEqual([
      { ...EXPERIMENT, runId: 'parent' },
      { ...EXPERIMENT, runId: 'parent', $continuationtoken: 'next' },
    ]);
  });
});
