/**
 * The Run History operations a submit-and-watch flow needs: experiments, runs, run details with
 * log file links, and run queries with a small OData subset (filter by eq, orderBy, top, pages).
 */
import type { ServerResponse } from 'http';
import type { EmulatorContext } from '../context';
import { fileUrl as linkTo } from '../file-links';
import { HttpError, sendJson } from '../http-util';
import { pageOf, parseFilter } from '../odata';
import type { OperationHandlers } from '../routes';
import { processLogName } from '../process-plan';
import { findRun, workspaceOf } from '../run-lookup';
import type { RunRecord } from '../store';

function experimentJson(ctx: EmulatorContext, workspace: string, name: string) {
  const e = ctx.store.getExperiment(workspace, name);
  if (!e) return undefined;
  const out: Record<string, unknown> = { experimentId: e.experimentId, name: e.name, createdUtc: e.createdUtc, tags: {} };
  if (e.latestCreatedRunId) Object.assign(out, { latestCreatedRunId: e.latestCreatedRunId, latestCreatedRunCreatedUtc: e.latestCreatedRunCreatedUtc });
  return out;
}

export function handleExperimentCreate(ctx: EmulatorContext, input: Record<string, unknown>, res: ServerResponse): void {
  const workspace = workspaceOf(input);
  ctx.store.ensureExperiment(workspace, String(input.experimentName), new Date().toISOString());
  sendJson(res, 200, experimentJson(ctx, workspace, String(input.experimentName)));
}

export function handleExperimentGet(ctx: EmulatorContext, input: Record<string, unknown>, res: ServerResponse): void {
  const experiment = experimentJson(ctx, workspaceOf(input), String(input.experimentName));
  if (!experiment) throw new HttpError(404, 'UserError', `Experiment ${String(input.experimentName)} was not found`, { target: 'experimentName', innerCode: 'ExperimentNotFound' });
  sendJson(res, 200, experiment);
}

const fileUrl = (ctx: EmulatorContext, run: RunRecord, file: string) => linkTo(ctx.baseUrl, run, file);

/** The Execution Service's cancel link of a run, as Run History gives it (`cancelUri`). */
function cancelUriOf(ctx: EmulatorContext, run: RunRecord): string {
  const [subscription, resourceGroup, workspace] = run.workspace.split('/').map(encodeURIComponent);
  return `${ctx.baseUrl}/execution/v1.0/subscriptions/${subscription}/resourceGroups/${resourceGroup}/providers/Microsoft.MachineLearningServices/workspaces/${workspace}/experiments/${encodeURIComponent(run.experimentName)}/runId/${encodeURIComponent(run.runId)}/cancel`;
}

function runJson(ctx: EmulatorContext, run: RunRecord): Record<string, unknown> {
  const out: Record<string, unknown> = {
    runNumber: run.runNumber,
    rootRunId: run.runId,
    experimentId: run.experimentId,
    createdUtc: run.createdUtc,
    runId: run.runId,
    status: run.status,
    target: run.target,
    runType: run.runType,
    scriptName: (run.definition.configuration as { script?: string } | undefined)?.script,
    properties: { ContentSnapshotId: run.snapshotId },
    tags: { ...run.tags },
    dataContainerId: `dcid.${run.runId}`,
    hidden: false,
    revision: 1,
    cancelUri: cancelUriOf(ctx, run),
  };
  // A v2 job's display name is the run's name, as the studio shows it.
  const displayName = run.job?.displayName;
  if (typeof displayName === 'string' && displayName) out.name = displayName;
  if (run.parentRunId) Object.assign(out, { parentRunId: run.parentRunId });
  if (run.startTimeUtc) out.startTimeUtc = run.startTimeUtc;
  if (run.endTimeUtc) out.endTimeUtc = run.endTimeUtc;
  if (run.error) out.error = run.error;
  return out;
}

export function handleRunGet(ctx: EmulatorContext, input: Record<string, unknown>, res: ServerResponse): void {
  sendJson(res, 200, runJson(ctx, findRun(ctx, input)));
}

/** RunDetails, with `logFiles` (name -> URL, readable with Range) and, an emulator addition, `outputFiles`. */
export function handleRunDetails(ctx: EmulatorContext, input: Record<string, unknown>, res: ServerResponse): void {
  const run = findRun(ctx, input);
  const started = run.status === 'Running' || run.status === 'Finalizing' || run.status === 'CancelRequested' || run.startTimeUtc !== undefined;
  const details: Record<string, unknown> = {
    runId: run.runId,
    target: run.target,
    status: run.status,
    warnings: [],
    tags: { ...run.tags },
    properties: { ContentSnapshotId: run.snapshotId },
    runDefinition: run.definition,
    // The names the run set when it started (a run of an older emulator: its one log).
    logFiles: started ? Object.fromEntries((run.logNames ?? [processLogName(run, 0, 1)]).map((name) => [name, fileUrl(ctx, run, name)])) : {},
    outputFiles: Object.fromEntries(run.outputs.map((file) => [file, fileUrl(ctx, run, `work/${file}`)])),
    revision: 1,
  };
  if (run.parentRunId) details.parentRunId = run.parentRunId;
  if (run.startTimeUtc) details.startTimeUtc = run.startTimeUtc;
  if (run.endTimeUtc) details.endTimeUtc = run.endTimeUtc;
  if (run.error) details.error = run.error;
  sendJson(res, 200, details);
}

const FILTER_FIELDS: Record<string, (run: RunRecord) => string | undefined> = {
  status: (run) => run.status,
  runid: (run) => run.runId,
  parentrunid: (run) => run.parentRunId,
  target: (run) => run.target,
  runtype: (run) => run.runType,
};

/** The filter of a run query (`Status eq 'Running' and Target eq 'local'`). */
export const parseRunFilter = (filter: string | undefined) => parseFilter(filter, FILTER_FIELDS);

const ORDER_FIELDS: Record<string, (run: RunRecord) => string | number> = {
  createdutc: (run) => run.createdUtc,
  starttimeutc: (run) => run.startTimeUtc ?? '',
  endtimeutc: (run) => run.endTimeUtc ?? '',
  runnumber: (run) => run.runNumber,
  runid: (run) => run.runId,
  status: (run) => run.status,
};

function sorter(orderBy: string[] | undefined): (a: RunRecord, b: RunRecord) => number {
  const keys = (orderBy?.length ? orderBy : ['RunNumber desc'])
    .flatMap((item) => item.split(','))
    .map((item) => {
      const [field, direction = 'asc'] = item.trim().split(/\s+/);
      const get = ORDER_FIELDS[field.toLowerCase()];
      if (!get) throw new HttpError(400, 'ValidationError', `Cannot order by ${field}: use ${Object.keys(ORDER_FIELDS).join(', ')}`, { target: 'orderBy' });
      return { get, sign: direction.toLowerCase() === 'desc' ? -1 : 1 };
    });
  return (a, b) => {
    for (const { get, sign } of keys) {
      const x = get(a);
      const y = get(b);
      if (x !== y) return (x < y ? -1 : 1) * sign;
    }
    return a.runNumber - b.runNumber;
  };
}

/** One page of runs: `top` caps the whole result, the page size caps each answer. */
function page(ctx: EmulatorContext, runs: RunRecord[], query: { filter?: string; orderBy?: string[]; top?: number; continuationToken?: string }) {
  const matching = runs.filter(parseRunFilter(query.filter)).sort(sorter(query.orderBy));
  const limited = query.top !== undefined ? matching.slice(0, query.top) : matching;
  return pageOf(limited, query.continuationToken, ctx.options.pageSize, (run) => runJson(ctx, run));
}

export function handleRunsQuery(ctx: EmulatorContext, input: Record<string, unknown>, res: ServerResponse): void {
  const workspace = workspaceOf(input);
  const experimentName = String(input.experimentName).toLowerCase();
  const query = (input.queryParams ?? {}) as { filter?: string; orderBy?: string; top?: number; continuationToken?: string };
  const runs = ctx.store.listRuns((run) => run.workspace === workspace && run.experimentName.toLowerCase() === experimentName);
  sendJson(res, 200, page(ctx, runs, { ...query, orderBy: query.orderBy ? [query.orderBy] : undefined }));
}

export function handleRunChildren(ctx: EmulatorContext, input: Record<string, unknown>, res: ServerResponse): void {
  const parent = findRun(ctx, input);
  const runs = ctx.store.listRuns((run) => run.workspace === parent.workspace && run.parentRunId === parent.runId);
  sendJson(
    res,
    200,
    page(ctx, runs, {
      filter: input.$filter as string | undefined,
      orderBy: input.$orderby as string[] | undefined,
      top: input.$top as number | undefined,
      continuationToken: input.$continuationtoken as string | undefined,
    }),
  );
}

/** Run History's operations, by operationId. */
export const historyHandlers: OperationHandlers = {
  Experiments_Create: { handle: (ctx, input, _req, res) => handleExperimentCreate(ctx, input, res) },
  Experiments_Get: { handle: (ctx, input, _req, res) => handleExperimentGet(ctx, input, res) },
  Runs_Get: { handle: (ctx, input, _req, res) => handleRunGet(ctx, input, res) },
  Runs_GetDetails: { handle: (ctx, input, _req, res) => handleRunDetails(ctx, input, res) },
  Runs_GetByQuery: { handle: (ctx, input, _req, res) => handleRunsQuery(ctx, input, res) },
  Runs_GetChild: { handle: (ctx, input, _req, res) => handleRunChildren(ctx, input, res) },
};
