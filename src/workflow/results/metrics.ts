/**
 * A run's metrics by name, each a list of points in step order, from Run History
 * (RunMetrics_GetByQuery, every page). Both ways a run logs land here: azureml-core's run.log
 * (a scalar per post; its step is its place in the sequence) and MLflow (a scalar with its step,
 * `{ <name>: value, step }`). A table row (log_row) is a point whose value is the row.
 */
import type { CallOptions } from '../../http/call-options';
import { pointsByName, type RunMetrics } from '../../spec/metric-points';
import type { RunMetric } from '../../spec/runhistory/types';
import { workflowAction, type WorkflowContext } from '../context';
import { resolveRun, type RunLocator, type RunRef } from '../locator';
import { followPages } from '../paging';

export { pointsByName, type MetricPoint, type RunMetrics } from '../../spec/metric-points';

/** The query of one run's metrics, quoted as OData quotes. */
const runFilter = (runId: string) => `RunId eq '${runId.replace(/'/g, "''")}'`;

/** Every metric record of the run, across pages, in the order Run History keeps them. */
export function iterateMetricRecords(ctx: WorkflowContext, run: RunLocator, action: string, call: CallOptions = {}): AsyncGenerator<RunMetric, void, undefined> {
  const { runId: _runId, ...experiment } = run;
  const records = followPages(
    (token) => ctx.client.RunMetrics_GetByQuery({ ...experiment, queryParams: { filter: runFilter(run.runId), ...(token ? { continuationToken: token } : {}) } }, call),
    action,
  );
  return onlyOf(records, run.runId);
}

/** The records of one run: a service that answers more than the filter asked for is not believed. */
async function* onlyOf(records: AsyncIterable<RunMetric>, runId: string): AsyncGenerator<RunMetric, void, undefined> {
  for await (const record of records) if (record.runId === undefined || record.runId === runId) yield record;
}

export async function getMetrics(ctx: WorkflowContext, ref: RunRef, call: CallOptions = {}): Promise<RunMetrics> {
  const action = workflowAction('getMetrics');
  const run = resolveRun(ref, ctx.defaults, action);
  const records: RunMetric[] = [];
  for await (const record of iterateMetricRecords(ctx, run, action, call)) records.push(record);
  return pointsByName(records);
}
