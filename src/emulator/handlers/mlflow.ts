/**
 * The MLflow tracking REST API, as Azure ML jobs log metrics today: each run gets MLFLOW_TRACKING_URI
 * (`<emulator>/mlflow/v1.0/subscriptions/.../workspaces/<ws>`), MLFLOW_RUN_ID (its run id) and
 * MLFLOW_TRACKING_TOKEN (its run token), and an unmodified MLflow client appends
 * `/api/2.0/mlflow/<method>`. Metrics logged here are the run's Run History metrics (the same
 * records); params and tags are kept on the run. Errors are MLflow's `{ error_code, message }`.
 */
import type { IncomingMessage, ServerResponse } from 'http';
import type { Principal } from '../auth';
import type { EmulatorContext } from '../context';
import { HttpError, readJson, sendJson } from '../http-util';
import { metricFromMlflow, metricPoints, type StoredMetric } from '../metrics-store';
import type { PlainRoute } from '../routes';
import { workspaceKey, type RunRecord, type RunStatus } from '../store';

const ROUTE =
  /^\/mlflow\/v1\.0\/subscriptions\/([^/]+)\/resourceGroups\/([^/]+)\/providers\/Microsoft\.MachineLearningServices\/workspaces\/([^/]+)\/api\/2\.0\/(?:preview\/)?mlflow\/(.+)$/i;

/** MLflow's own limits (mlflow/utils/validation.py). */
const LIMITS = { keyLength: 250, paramValueLength: 6000, tagValueLength: 8000, batchMetrics: 1000, batchParams: 100, batchTags: 100, paramsPerRun: 1000, tagsPerRun: 1000 };

class MlflowError extends Error {
  constructor(
    readonly status: number,
    readonly errorCode: string,
    message: string,
  ) {
    super(message);
  }
}

const invalid = (message: string) => new MlflowError(400, 'INVALID_PARAMETER_VALUE', message);

const MLFLOW_STATUS: Record<RunStatus, string> = {
  NotStarted: 'SCHEDULED',
  Queued: 'SCHEDULED',
  Preparing: 'SCHEDULED',
  Running: 'RUNNING',
  CancelRequested: 'RUNNING',
  Finalizing: 'RUNNING',
  Completed: 'FINISHED',
  Failed: 'FAILED',
  Canceled: 'KILLED',
};

function str(body: Record<string, unknown>, name: string, limit = LIMITS.keyLength): string {
  const value = body[name];
  if (typeof value !== 'string' || value === '') throw invalid(`Missing value for required parameter '${name}'.`);
  if (value.length > limit) throw invalid(`'${name}' exceeds the maximum length of ${limit} characters (got ${value.length}).`);
  return value;
}

/** A metric's timestamp and step: integers, as MLflow's protobuf has them (int64 given as numbers or strings). */
function integer(body: Record<string, unknown>, name: string, fallback: number): number {
  const value = body[name];
  if (value === undefined || value === null) return fallback;
  const n = typeof value === 'string' && /^-?\d+$/.test(value) ? Number(value) : value;
  if (typeof n !== 'number' || !Number.isSafeInteger(n)) throw invalid(`'${name}' must be an integer (got ${JSON.stringify(value)}).`);
  return n;
}

function runOf(ctx: EmulatorContext, workspace: string, principal: Principal, body: Record<string, unknown>): RunRecord {
  const runId = typeof body.run_id === 'string' && body.run_id ? body.run_id : typeof body.run_uuid === 'string' ? body.run_uuid : '';
  if (!runId) throw invalid("Missing value for required parameter 'run_id'.");
  const run = ctx.store.getRun(workspace, runId);
  if (principal.kind === 'run' && principal.runKey !== `${workspace}/${runId}`) {
    throw new MlflowError(403, 'PERMISSION_DENIED', 'A run token (MLFLOW_TRACKING_TOKEN) acts only for its own run.');
  }
  if (!run) throw new MlflowError(404, 'RESOURCE_DOES_NOT_EXIST', `Run '${runId}' not found.`);
  return run;
}

function metricJson(point: { value: unknown; step: number; timestamp: number }, key: string) {
  return { key, value: point.value, timestamp: point.timestamp, step: point.step };
}

function runJson(ctx: EmulatorContext, run: RunRecord) {
  const records = ctx.metrics.list(run);
  const names = [...new Set(records.map((r) => r.name))];
  const latest = names
    .map((name) => ({ name, points: metricPoints(records, name).filter((p) => typeof p.value === 'number') }))
    .filter(({ points }) => points.length)
    // MLflow's latest value of a metric: the highest step, then the latest time.
    .map(({ name, points }) =>
      metricJson(
        points.reduce((a, b) => (b.step > a.step || (b.step === a.step && b.timestamp >= a.timestamp) ? b : a)),
        name,
      ),
    );
  const info: Record<string, unknown> = {
    run_id: run.runId,
    run_uuid: run.runId,
    run_name: run.runId,
    experiment_id: run.experimentId,
    user_id: '',
    status: MLFLOW_STATUS[run.status],
    artifact_uri: `azureml://experiments/${run.experimentName}/runs/${run.runId}/artifacts`,
    lifecycle_stage: 'active',
  };
  if (run.startTimeUtc) info.start_time = Date.parse(run.startTimeUtc);
  if (run.endTimeUtc) info.end_time = Date.parse(run.endTimeUtc);
  const pairs = (map: Record<string, string> | undefined) => Object.entries(map ?? {}).map(([key, value]) => ({ key, value }));
  return { info, data: { metrics: latest, params: pairs(run.params), tags: pairs(run.tags) } };
}

function checkMetric(body: Record<string, unknown>, now: number): { key: string; value: number; timestamp: number; step: number } {
  const key = str(body, 'key');
  const value = body.value;
  // MLflow's JSON carries NaN and the infinities as strings.
  const number = value === 'NaN' ? NaN : value === 'Infinity' ? Infinity : value === '-Infinity' ? -Infinity : value;
  if (typeof number !== 'number') throw invalid(`'value' must be a number (got ${JSON.stringify(value)}).`);
  return { key, value: number, timestamp: integer(body, 'timestamp', now), step: integer(body, 'step', 0) };
}

function setParams(ctx: EmulatorContext, run: RunRecord, params: Array<{ key: string; value: string }>): void {
  const current = { ...(run.params ?? {}) };
  for (const { key, value } of params) {
    // MLflow params are written once: the same value again is fine, another is an error.
    if (current[key] !== undefined && current[key] !== value) {
      throw invalid(
        `Changing param values is not allowed. Param with key='${key}' was already logged with value='${current[key]}' for run ID='${run.runId}'. Attempted logging new value '${value}'.`,
      );
    }
    current[key] = value;
  }
  if (Object.keys(current).length > LIMITS.paramsPerRun) throw invalid(`A run keeps at most ${LIMITS.paramsPerRun} params.`);
  ctx.store.updateRun(run, { params: current });
}

function setTags(ctx: EmulatorContext, run: RunRecord, tags: Array<{ key: string; value: string }>): void {
  const current = { ...(run.tags ?? {}), ...Object.fromEntries(tags.map((t) => [t.key, t.value])) };
  if (Object.keys(current).length > LIMITS.tagsPerRun) throw invalid(`A run keeps at most ${LIMITS.tagsPerRun} tags.`);
  ctx.store.updateRun(run, { tags: current });
}

function pairsOf(body: Record<string, unknown>, field: string, max: number, valueLimit: number): Array<{ key: string; value: string }> {
  const list = body[field] ?? [];
  if (!Array.isArray(list)) throw invalid(`'${field}' must be a list.`);
  if (list.length > max) throw invalid(`A batch takes at most ${max} ${field} (got ${list.length}).`);
  return list.map((item: unknown) => {
    const entry = (item && typeof item === 'object' ? item : {}) as Record<string, unknown>;
    return { key: str(entry, 'key'), value: typeof entry.value === 'string' ? str(entry, 'value', valueLimit) : String(entry.value ?? '') };
  });
}

async function answer(ctx: EmulatorContext, method: string, req: IncomingMessage, url: URL, workspace: string, principal: Principal): Promise<unknown> {
  const body = req.method === 'GET' ? Object.fromEntries(url.searchParams) : (((await readJson(req, 4 * 1024 * 1024)) ?? {}) as Record<string, unknown>);
  if (!body || typeof body !== 'object' || Array.isArray(body)) throw invalid('The request body must be a JSON object.');
  const now = Date.now();
  switch (`${req.method} ${method}`) {
    case 'GET runs/get':
      return { run: runJson(ctx, runOf(ctx, workspace, principal, body)) };
    case 'POST runs/log-metric': {
      const run = runOf(ctx, workspace, principal, body);
      const m = checkMetric(body, now);
      ctx.metrics.append(run, [metricFromMlflow(run, m.key, m.value, m.timestamp, m.step)]);
      return {};
    }
    case 'POST runs/log-batch': {
      const run = runOf(ctx, workspace, principal, body);
      const metrics = body.metrics ?? [];
      if (!Array.isArray(metrics)) throw invalid("'metrics' must be a list.");
      if (metrics.length > LIMITS.batchMetrics) throw invalid(`A batch takes at most ${LIMITS.batchMetrics} metrics (got ${metrics.length}).`);
      const records: StoredMetric[] = metrics.map((item: unknown) => {
        const m = checkMetric((item && typeof item === 'object' ? item : {}) as Record<string, unknown>, now);
        return metricFromMlflow(run, m.key, m.value, m.timestamp, m.step);
      });
      const params = pairsOf(body, 'params', LIMITS.batchParams, LIMITS.paramValueLength);
      const tags = pairsOf(body, 'tags', LIMITS.batchTags, LIMITS.tagValueLength);
      // Checked whole before anything is kept: a batch is all or nothing.
      if (params.length) setParams(ctx, run, params);
      if (tags.length) setTags(ctx, run, tags);
      if (records.length) ctx.metrics.append(run, records);
      return {};
    }
    case 'POST runs/log-parameter': {
      const run = runOf(ctx, workspace, principal, body);
      setParams(ctx, run, [{ key: str(body, 'key'), value: str(body, 'value', LIMITS.paramValueLength) }]);
      return {};
    }
    case 'POST runs/set-tag': {
      const run = runOf(ctx, workspace, principal, body);
      setTags(ctx, run, [{ key: str(body, 'key'), value: typeof body.value === 'string' ? str(body, 'value', LIMITS.tagValueLength) : '' }]);
      return {};
    }
    case 'POST runs/update': {
      // The emulator runs the run and says how it ended: a client's status is taken as a no-op.
      const run = runOf(ctx, workspace, principal, body);
      return { run_info: runJson(ctx, run).info };
    }
    case 'GET metrics/get-history': {
      const run = runOf(ctx, workspace, principal, body);
      const key = str(body, 'metric_key');
      return { metrics: metricPoints(ctx.metrics.list(run), key).map((p) => metricJson(p, key)) };
    }
    default:
      throw new MlflowError(404, 'ENDPOINT_NOT_FOUND', `The emulator does not implement ${req.method} /api/2.0/mlflow/${method}.`);
  }
}

async function handleMlflow(ctx: EmulatorContext, url: URL, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const match = ROUTE.exec(url.pathname)!;
  try {
    const [subscription, resourceGroup, workspaceName] = match.slice(1, 4).map((part) => decodeURIComponent(part));
    const principal = ctx.auth.check(req);
    sendJson(res, 200, await answer(ctx, match[4], req, url, workspaceKey(subscription, resourceGroup, workspaceName), principal));
  } catch (error) {
    if (error instanceof MlflowError) return sendJson(res, error.status, { error_code: error.errorCode, message: error.message });
    if (error instanceof HttpError) {
      const code =
        error.status === 401 ? 'UNAUTHENTICATED' : error.status === 413 ? 'INVALID_PARAMETER_VALUE' : error.status === 400 ? 'INVALID_PARAMETER_VALUE' : 'INTERNAL_ERROR';
      return sendJson(res, error.status, { error_code: code, message: error.message }, error.headers);
    }
    if (error instanceof URIError) return sendJson(res, 400, { error_code: 'INVALID_PARAMETER_VALUE', message: 'The path is not valid percent-encoding.' });
    throw error;
  }
}

/** The MLflow tracking API of a workspace. */
export const mlflowRoutes: readonly PlainRoute[] = [{ method: 'ANY', matches: (pathname) => ROUTE.test(pathname), handle: handleMlflow }];

/** MLFLOW_TRACKING_URI for a run: the workspace's tracking root on this emulator. */
export function trackingUri(baseUrl: string, run: Pick<RunRecord, 'workspace'>): string {
  const [subscription, resourceGroup, workspaceName] = run.workspace.split('/').map(encodeURIComponent);
  return `${baseUrl}/mlflow/v1.0/subscriptions/${subscription}/resourceGroups/${resourceGroup}/providers/Microsoft.MachineLearningServices/workspaces/${workspaceName}`;
}
