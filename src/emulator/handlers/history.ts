/**
 * The Run History operations a submit-and-watch flow needs: experiments, runs, run details with
 * log file links, and run queries with a small OData subset (filter by eq, orderBy, top, pages).
 */
import type { ServerResponse } from 'http';
import type { EmulatorContext } from '../context';
import { HttpError, sendJson } from '../http-util';
import type { OperationHandlers } from '../routes';
import { DRIVER_LOG } from '../runner';
import { workspaceKey, type RunRecord } from '../store';

function workspaceOf(input: Record<string, unknown>): string {
  return workspaceKey(String(input.subscriptionId), String(input.resourceGroupName), String(input.workspaceName));
}

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

function findRun(ctx: EmulatorContext, input: Record<string, unknown>): RunRecord {
  const run = ctx.store.getRun(workspaceOf(input), String(input.runId));
  if (!run || run.experimentName.toLowerCase() !== String(input.experimentName).toLowerCase()) {
    throw new HttpError(404, 'UserError', `Run ${String(input.runId)} was not found in experiment ${String(input.experimentName)}`, { target: 'runId', innerCode: 'RunNotFound' });
  }
  return run;
}

function fileUrl(ctx: EmulatorContext, run: RunRecord, file: string): string {
  return `${ctx.baseUrl}/emulator/v1.0/runs/${encodeURIComponent(run.dir)}/files/${file.split('/').map(encodeURIComponent).join('/')}?sig=${run.fileToken}`;
}

function runJson(run: RunRecord): Record<string, unknown> {
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
    tags: {},
    hidden: false,
    revision: 1,
  };
  if (run.parentRunId) Object.assign(out, { parentRunId: run.parentRunId });
  if (run.startTimeUtc) out.startTimeUtc = run.startTimeUtc;
  if (run.endTimeUtc) out.endTimeUtc = run.endTimeUtc;
  if (run.error) out.error = run.error;
  return out;
}

export function handleRunGet(ctx: EmulatorContext, input: Record<string, unknown>, res: ServerResponse): void {
  sendJson(res, 200, runJson(findRun(ctx, input)));
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
    tags: {},
    properties: { ContentSnapshotId: run.snapshotId },
    runDefinition: run.definition,
    logFiles: started ? { [DRIVER_LOG]: fileUrl(ctx, run, DRIVER_LOG) } : {},
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

/** `Status eq 'Running' and Target eq 'local'`: the subset of OData filters the emulator knows. */
export function parseFilter(filter: string | undefined): (run: RunRecord) => boolean {
  if (!filter || !filter.trim()) return () => true;
  const clauses = filter.split(/\s+and\s+/i).map((clause) => {
    const match = /^\s*(\w+)\s+(eq|ne)\s+'((?:[^']|'')*)'\s*$/i.exec(clause);
    const field = match && FILTER_FIELDS[match[1].toLowerCase()];
    if (!match || !field) {
      throw new HttpError(
        400,
        'ValidationError',
        `The filter ${JSON.stringify(clause.trim())} is not supported: use <field> eq '<value>' with ${Object.keys(FILTER_FIELDS).join(', ')}, joined by and`,
        { target: 'filter' },
      );
    }
    const value = match[3].replace(/''/g, "'");
    const equal = match[2].toLowerCase() === 'eq';
    return (run: RunRecord) => (field(run) === value) === equal;
  });
  return (run) => clauses.every((clause) => clause(run));
}

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

function decodeToken(token: string | undefined): number {
  if (!token) return 0;
  const offset = Number(
    Buffer.from(token, 'base64url')
      .toString('utf8')
      .replace(/^offset:/, ''),
  );
  if (!Number.isInteger(offset) || offset < 0) throw new HttpError(400, 'ValidationError', 'The continuation token is not valid', { target: 'continuationToken' });
  return offset;
}

/** One page of runs: `top` caps the whole result, the page size caps each answer. */
function page(ctx: EmulatorContext, runs: RunRecord[], query: { filter?: string; orderBy?: string[]; top?: number; continuationToken?: string }) {
  const matching = runs.filter(parseFilter(query.filter)).sort(sorter(query.orderBy));
  const limited = query.top !== undefined ? matching.slice(0, query.top) : matching;
  const offset = decodeToken(query.continuationToken);
  const value = limited.slice(offset, offset + ctx.options.pageSize).map(runJson);
  const next = offset + value.length;
  const result: Record<string, unknown> = { value };
  if (next < limited.length) result.continuationToken = Buffer.from(`offset:${next}`).toString('base64url');
  return result;
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
