/**
 * `getRunDetails`: what a person asks about a run in one answer: its status and times, its
 * definition, the names of its logs, the last value of each metric and the paths of its
 * artifacts (Runs_GetDetails, RunMetrics_GetByQuery and RunArtifacts_ListSasByPrefix, at once).
 */
import type { CallOptions } from '../../http/call-options';
import type { ErrorResponse, RunDetails } from '../../spec/runhistory/types';
import { workflowAction, type WorkflowContext } from '../context';
import { resolveRun, type RunRef } from '../locator';
import { iterateArtifacts } from './artifacts';
import { iterateMetricRecords, pointsByName } from './metrics';

export interface RunSummary {
  runId: string;
  experimentName: string;
  status: string;
  target?: string;
  startTimeUtc?: string;
  endTimeUtc?: string;
  /** From start to end (or to now, while it runs), when it has started. */
  durationMs?: number;
  /** The definition the run was submitted with. */
  definition?: RunDetails['runDefinition'];
  /** The names of its log files (read them with getRunLog's `file`). */
  logFiles: string[];
  /** Each metric's last value (by step). */
  metrics: Record<string, unknown>;
  /** The paths of its artifacts (outputs/, logs/, azureml-logs/ ...). */
  artifacts: string[];
  error?: ErrorResponse;
  tags?: Record<string, string | null>;
  properties?: Record<string, string | null>;
}

export async function getRunDetails(ctx: WorkflowContext, ref: RunRef, call: CallOptions & { now?: () => number } = {}): Promise<RunSummary> {
  const action = workflowAction('getRunDetails');
  const run = resolveRun(ref, ctx.defaults, action);
  const { now = Date.now, ...options } = call;
  const collect = async <T>(items: AsyncIterable<T>): Promise<T[]> => {
    const out: T[] = [];
    for await (const item of items) out.push(item);
    return out;
  };
  const [details, records, artifacts] = await Promise.all([
    ctx.client.Runs_GetDetails(run, options),
    collect(iterateMetricRecords(ctx, run, action, options)),
    collect(iterateArtifacts(ctx, run, '', action, options)),
  ]);
  const metrics = Object.fromEntries(Object.entries(pointsByName(records)).map(([name, points]) => [name, points[points.length - 1]?.value]));
  const summary: RunSummary = {
    runId: run.runId,
    experimentName: run.experimentName,
    status: String(details.status ?? ''),
    logFiles: Object.keys(details.logFiles ?? {}),
    metrics,
    artifacts: artifacts.map((a) => a.path).filter((p): p is string => typeof p === 'string'),
  };
  if (details.target) summary.target = details.target;
  if (details.startTimeUtc) summary.startTimeUtc = details.startTimeUtc;
  if (details.endTimeUtc) summary.endTimeUtc = details.endTimeUtc;
  const started = details.startTimeUtc ? Date.parse(details.startTimeUtc) : NaN;
  const ended = details.endTimeUtc ? Date.parse(details.endTimeUtc) : now();
  if (Number.isFinite(started) && Number.isFinite(ended)) summary.durationMs = Math.max(0, ended - started);
  if (details.runDefinition) summary.definition = details.runDefinition;
  if (details.error) summary.error = details.error;
  if (details.tags && Object.keys(details.tags).length) summary.tags = details.tags;
  if (details.properties && Object.keys(details.properties).length) summary.properties = details.properties;
  return summary;
}
