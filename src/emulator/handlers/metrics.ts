/**
 * Run History's metric operations: a run's script posts its metrics (one, or a batch) with its run
 * token; clients read one metric by id, or query an experiment's metrics by run and name, in pages.
 * The records are those MLflow's log-metric writes too (see ../metrics-store.ts).
 */
import type { IncomingMessage, ServerResponse } from 'http';
import type { EmulatorContext } from '../context';
import { HttpError, sendJson } from '../http-util';
import { metricFromPost, type StoredMetric } from '../metrics-store';
import { pageOf, parseFilter } from '../odata';
import type { OperationHandlers } from '../routes';
import { findRun, workspaceOf } from '../run-lookup';

/** Most metrics one RunMetrics_BatchPost takes. */
const MAX_BATCH = 1000;

const METRIC_FIELDS: Record<string, (metric: StoredMetric) => string | undefined> = {
  runid: (m) => m.runId,
  name: (m) => m.name,
  metrictype: (m) => m.metricType,
  metricid: (m) => m.metricId,
};

function post(ctx: EmulatorContext, input: Record<string, unknown>, res: ServerResponse, given: unknown[], field: string): void {
  const run = findRun(ctx, input);
  if (given.length > MAX_BATCH) throw new HttpError(400, 'ValidationError', `${field} has ${given.length} metrics; at most ${MAX_BATCH} per call`, { target: field });
  const now = new Date().toISOString();
  const metrics = given.map((metric, i) => {
    if (!metric || typeof metric !== 'object') throw new HttpError(400, 'ValidationError', `${field}[${i}] must be a Metric object`, { target: `${field}[${i}]` });
    return metricFromPost(run, metric as Record<string, unknown>, given.length === 1 && field === 'metricDto' ? field : `${field}[${i}]`, now);
  });
  ctx.metrics.append(run, metrics);
  // The swagger gives these operations no success body: 200 with an empty answer, as the service does.
  res.writeHead(200, { 'content-length': 0 });
  res.end();
}

/** Every metric record of the experiment's runs, oldest run first. */
function experimentMetrics(ctx: EmulatorContext, input: Record<string, unknown>): StoredMetric[] {
  const workspace = workspaceOf(input);
  const experiment = String(input.experimentName).toLowerCase();
  const runs = ctx.store.listRuns((run) => run.workspace === workspace && run.experimentName.toLowerCase() === experiment).sort((a, b) => a.runNumber - b.runNumber);
  return runs.flatMap((run) => ctx.metrics.list(run));
}

function query(ctx: EmulatorContext, input: Record<string, unknown>, req: IncomingMessage, res: ServerResponse): void {
  const params = (input.queryParams ?? {}) as { filter?: string; top?: number; continuationToken?: string };
  // A filter on one run reads that run alone: the common case, and the cheap one.
  const oneRun = /^\s*RunId\s+eq\s+'((?:[^']|'')*)'/i.exec(params.filter ?? '');
  let metrics: StoredMetric[];
  if (oneRun) {
    const run = ctx.store.getRun(workspaceOf(input), oneRun[1].replace(/''/g, "'"));
    metrics = run && run.experimentName.toLowerCase() === String(input.experimentName).toLowerCase() ? ctx.metrics.list(run) : [];
  } else {
    metrics = experimentMetrics(ctx, input);
  }
  const matching = metrics.filter(parseFilter(params.filter, METRIC_FIELDS));
  const limited = params.top !== undefined ? matching.slice(0, params.top) : matching;
  const size = ctx.options.pageSize * 10;
  sendJson(
    res,
    200,
    pageOf(
      limited,
      params.continuationToken,
      size,
      (m) => m,
      (token) => {
        const url = new URL(req.url ?? '/', ctx.baseUrl);
        url.searchParams.set('continuationToken', token);
        return url.toString();
      },
    ),
  );
}

/** Run History's metric operations, by operationId. A run's own token may post its metrics. */
export const metricHandlers: OperationHandlers = {
  RunMetrics_Post: { runScoped: true, handle: (ctx, input, _req, res) => post(ctx, input, res, [input.metricDto ?? {}], 'metricDto') },
  RunMetrics_BatchPost: {
    runScoped: true,
    handle: (ctx, input, _req, res) => post(ctx, input, res, ((input.batchMetricDto as { values?: unknown[] } | undefined)?.values ?? []) as unknown[], 'batchMetricDto.values'),
  },
  RunMetrics_Get: {
    handle: (ctx, input, _req, res) => {
      const metric = experimentMetrics(ctx, input).find((m) => m.metricId === input.metricId);
      if (!metric)
        throw new HttpError(404, 'UserError', `Metric ${String(input.metricId)} was not found in experiment ${String(input.experimentName)}`, {
          target: 'metricId',
          innerCode: 'MetricNotFound',
        });
      sendJson(res, 200, metric);
    },
  },
  RunMetrics_GetByQuery: { handle: (ctx, input, req, res) => query(ctx, input, req, res) },
};
