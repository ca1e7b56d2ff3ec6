/**
 * Runs of an experiment, page after page: Runs_GetByQuery answers at most a page and a
 * continuation token; the iterators follow the tokens so callers see one sequence of runs.
 */
import type { CallOptions } from '../http/call-options';
import { AzureMLValidationError } from '../errors';
import type { QueryParams, Run } from '../spec/runhistory/types';
import { workflowAction, type WorkflowContext } from './context';
import { followPages } from './paging';
import { closestName } from '../spec/closest-name';
import { RUN_STATUSES } from '../spec/run-status';
import { resolveExperiment, resolveRun, type ExperimentLocator, type RunRef } from './locator';

export interface IterateRunsInput extends Partial<ExperimentLocator> {
  /** Run History's query (an OData filter, orderBy, top); continuation tokens are followed for you. */
  queryParams?: Omit<QueryParams, 'continuationToken'>;
}

export interface ListRunsInput extends Partial<ExperimentLocator> {
  /** Only runs in this status (e.g. Running, Failed). */
  status?: string;
  /** At most this many runs (default all). */
  top?: number;
  /** Default `CreatedUtc desc`: the newest first. */
  orderBy?: string;
  /** An OData filter of your own, joined to the status with `and`. */
  filter?: string;
}

export function iterateRuns(ctx: WorkflowContext, input: IterateRunsInput = {}, call: CallOptions = {}): AsyncGenerator<Run, void, undefined> {
  const action = workflowAction('iterateRuns');
  const experiment = resolveExperiment(input, ctx.defaults, action);
  const query = input.queryParams ?? {};
  return followPages(
    (continuationToken) => ctx.client.Runs_GetByQuery({ ...experiment, queryParams: { ...query, ...(continuationToken ? { continuationToken } : {}) } }, call),
    action,
  );
}

export function iterateChildRuns(ctx: WorkflowContext, ref: RunRef, call: CallOptions = {}): AsyncGenerator<Run, void, undefined> {
  const action = workflowAction('iterateChildRuns');
  const run = resolveRun(ref, ctx.defaults, action);
  return followPages((token) => ctx.client.Runs_GetChild({ ...run, ...(token ? { $continuationtoken: token } : {}) }, call), action);
}

/** `Status eq 'Failed'`, with the status checked first: a typo would only ever match nothing. */
function statusFilter(status: string, action: string): string {
  const known = RUN_STATUSES.find((s) => s.toLowerCase() === status.toLowerCase());
  if (!known) {
    const guess = closestName(status, [...RUN_STATUSES]);
    throw new AzureMLValidationError({
      action,
      problems: [{ path: 'status', message: `must be a run status${guess ? ` (did you mean ${guess}?)` : ''}: ${RUN_STATUSES.join(', ')} (got ${JSON.stringify(status)})` }],
    });
  }
  return `Status eq '${known}'`;
}

/** One page of runs, and the token of the next page when there is one. */
export interface RunsPage {
  runs: Run[];
  /** Give it back as `continuationToken` for the next page; absent on the last page. */
  continuationToken?: string;
}

export interface ListRunsPageInput extends ListRunsInput {
  /** Where to start: the token of an earlier page (default the first page). */
  continuationToken?: string;
}

/** The query of a run list, checked: the status (a typo would match nothing), top, the filter. */
function runsQuery(input: ListRunsInput, action: string): Omit<QueryParams, 'continuationToken'> {
  const { top } = input;
  if (top !== undefined && (!Number.isSafeInteger(top) || top < 1)) {
    throw new AzureMLValidationError({ action, problems: [{ path: 'top', message: `must be a whole number, 1 or more (got ${JSON.stringify(top)})` }] });
  }
  const filter = [input.status !== undefined ? statusFilter(input.status, action) : undefined, input.filter].filter(Boolean).join(' and ');
  const queryParams: Omit<QueryParams, 'continuationToken'> = { orderBy: input.orderBy ?? 'CreatedUtc desc' };
  if (filter) queryParams.filter = filter;
  if (top !== undefined) queryParams.top = top;
  return queryParams;
}

/** One page of the experiment's runs, newest first: what a list screen shows before "more". */
export async function listRunsPage(ctx: WorkflowContext, input: ListRunsPageInput = {}, call: CallOptions = {}): Promise<RunsPage> {
  const action = workflowAction('listRunsPage');
  const experiment = resolveExperiment(input, ctx.defaults, action);
  const queryParams: QueryParams = runsQuery(input, action);
  if (input.continuationToken) queryParams.continuationToken = input.continuationToken;
  const page = await ctx.client.Runs_GetByQuery({ ...experiment, queryParams }, call);
  const runs = (page.value ?? []).slice(0, input.top ?? Infinity);
  return page.continuationToken && runs.length === (page.value ?? []).length ? { runs, continuationToken: page.continuationToken } : { runs };
}

export async function listRuns(ctx: WorkflowContext, input: ListRunsInput = {}, call: CallOptions = {}): Promise<Run[]> {
  const action = workflowAction('listRuns');
  const { top } = input;
  const queryParams = runsQuery(input, action);
  const runs: Run[] = [];
  for await (const run of iterateRuns(ctx, { ...input, queryParams }, call)) {
    runs.push(run);
    if (top !== undefined && runs.length >= top) break;
  }
  return runs;
}
