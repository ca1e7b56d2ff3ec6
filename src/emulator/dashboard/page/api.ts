/**
 * The dashboard's calls: the public APIs a client uses (Run History, artifacts, metrics, the v2
 * jobs and computes of Resource Manager, the log links with the emulator's long poll), plus the
 * one endpoint the emulator has for the dashboard (which workspaces exist). Every call carries
 * the owner's bearer token, as the APIs require; links the emulator hands out are called on the
 * page's own origin, so the page never reaches anything else.
 */
import type { ComputeResource, JobBaseResource, PaginatedComputeResourcesList } from '../../../spec/arm/types';
import type { PaginatedArtifactContentInformationList, PaginatedRunList, PaginatedRunMetricList, Run, RunDetails, RunMetric } from '../../../spec/runhistory/types';

/** The v2 API's version, from the v2 OpenAPI file (set by the build). */
declare const ARM_API_VERSION: string;

const TOKEN_KEY = 'azureml-emulator-dashboard-token';
/** Without --strict-auth the emulator takes any bearer token from its owner: this one. */
const OPEN_TOKEN = 'dashboard';

export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

export interface Workspace {
  subscriptionId: string;
  resourceGroupName: string;
  workspaceName: string;
  experiments: Array<{ name: string; latestCreatedRunCreatedUtc?: string }>;
  computes: number;
}

/** A run of the list: Run History's run, with where it lives. */
export interface ListedRun extends Run {
  runId: string;
  workspace: Workspace;
  experimentName: string;
}

/** Asks the user to sign in (strict auth): resolves with a token, or rejects when they give up. */
export type SignIn = (reason: string) => Promise<string>;
let signIn: SignIn = () => Promise.reject(new ApiError(401, 'Sign-in is not available'));
let pendingSignIn: Promise<string> | undefined;
/** The user closed the sign-in form: calls stop (no form every refresh) until they ask to sign in. */
let dismissed = false;
let onDismissed = () => undefined as void;

/** `handler` asks the user to sign in; `dismissedHandler` hears that they closed the form instead. */
export function setSignIn(handler: SignIn, dismissedHandler: () => void): void {
  signIn = handler;
  onDismissed = dismissedHandler;
}

/** The user asked to sign in again: the next call that needs it shows the form. */
export function resumeSignIn(): void {
  dismissed = false;
}

function token(): string {
  return sessionStorage.getItem(TOKEN_KEY) ?? OPEN_TOKEN;
}

/** A strict emulator's token for a client (the OAuth client_credentials grant, as any client gets one). */
export async function requestToken(clientId: string, clientSecret: string): Promise<void> {
  const form = new URLSearchParams({ grant_type: 'client_credentials', client_id: clientId, client_secret: clientSecret, scope: 'https://management.azure.com/.default' });
  const res = await fetch('/organizations/oauth2/v2.0/token', { method: 'POST', body: form });
  const answer = (await res.json().catch(() => ({}))) as { access_token?: string; error_description?: string };
  if (!res.ok || !answer.access_token) throw new ApiError(res.status, answer.error_description ?? `The token endpoint answered ${res.status}`);
  sessionStorage.setItem(TOKEN_KEY, answer.access_token);
}

/** The path and query of a link the emulator handed out: called on this page's origin. */
export function sameOrigin(link: string): string {
  const url = new URL(link, location.href);
  return url.pathname + url.search;
}

async function messageOf(res: Response): Promise<string> {
  const text = await res.text().catch(() => '');
  try {
    const body = JSON.parse(text) as { error?: { message?: string } };
    if (body.error?.message) return body.error.message;
  } catch {
    // not JSON
  }
  return `${res.status} ${res.statusText}`;
}

/** One call with the owner's token; a 401 asks for sign-in once and tries again. */
export async function call(
  method: string,
  path: string,
  options: { body?: unknown; headers?: Record<string, string>; signal?: AbortSignal; ok?: number[] } = {},
): Promise<Response> {
  for (let attempt = 0; ; attempt++) {
    if (dismissed) throw new ApiError(401, 'Not signed in: use Sign in at the top of the page.');
    const headers: Record<string, string> = { authorization: `Bearer ${token()}`, ...options.headers };
    if (options.body !== undefined) headers['content-type'] = 'application/json';
    const res = await fetch(path, { method, headers, body: options.body === undefined ? undefined : JSON.stringify(options.body), signal: options.signal });
    if (res.status === 401 && attempt === 0) {
      const reason = await messageOf(res);
      pendingSignIn ??= signIn(reason)
        .catch((error: unknown) => {
          dismissed = true;
          onDismissed();
          throw error;
        })
        .finally(() => (pendingSignIn = undefined));
      await pendingSignIn;
      continue;
    }
    if (!res.ok && !(options.ok ?? []).includes(res.status)) throw new ApiError(res.status, await messageOf(res));
    return res;
  }
}

async function json<T>(method: string, path: string, body?: unknown, signal?: AbortSignal): Promise<T> {
  return (await (await call(method, path, { body, signal })).json()) as T;
}

const e = encodeURIComponent;
const workspacePath = (w: Workspace) =>
  `/subscriptions/${e(w.subscriptionId)}/resourceGroups/${e(w.resourceGroupName)}/providers/Microsoft.MachineLearningServices/workspaces/${e(w.workspaceName)}`;
const experimentPath = (w: Workspace, experiment: string) => `/history/v1.0${workspacePath(w)}/experiments/${e(experiment)}`;
const runPath = (w: Workspace, experiment: string, runId: string) => `${experimentPath(w, experiment)}/runs/${e(runId)}`;
const arm = (path: string) => `${path}${path.includes('?') ? '&' : '?'}api-version=${ARM_API_VERSION}`;

/** The dashboard's own endpoint: the workspaces and experiments the emulator has seen. */
export async function listWorkspaces(signal?: AbortSignal): Promise<Workspace[]> {
  return (await json<{ value: Workspace[] }>('GET', '/emulator/dashboard/v1.0/workspaces', undefined, signal)).value;
}

/** The newest runs of an experiment (Runs_GetByQuery), v1 runs and v2 jobs alike. */
export async function newestRuns(w: Workspace, experiment: string, top: number, signal?: AbortSignal): Promise<ListedRun[]> {
  const page = await json<PaginatedRunList>('POST', `${experimentPath(w, experiment)}/runs:query`, { orderBy: 'CreatedUtc desc', top }, signal);
  return (page.value ?? []).filter((run): run is Run & { runId: string } => typeof run.runId === 'string').map((run) => ({ ...run, workspace: w, experimentName: experiment }));
}

export const getRun = (w: Workspace, experiment: string, runId: string, signal?: AbortSignal) => json<Run>('GET', runPath(w, experiment, runId), undefined, signal);
export const getDetails = (w: Workspace, experiment: string, runId: string, signal?: AbortSignal) =>
  json<RunDetails>('GET', `${runPath(w, experiment, runId)}/details`, undefined, signal);
export const getJob = (w: Workspace, id: string, signal?: AbortSignal) => json<JobBaseResource>('GET', arm(`${workspacePath(w)}/jobs/${e(id)}`), undefined, signal);

/** A v2 job (runType azureml.CommandJob) is cancelled through Jobs_Cancel, a v1 run through its cancelUri. */
export const isJob = (run: Run) => run.runType === 'azureml.CommandJob';

export async function cancelRun(w: Workspace, experiment: string, run: Run): Promise<void> {
  if (isJob(run)) await call('POST', arm(`${workspacePath(w)}/jobs/${e(run.runId ?? '')}/cancel`), { ok: [202] });
  else await call('POST', run.cancelUri ? sameOrigin(run.cancelUri) : `/execution/v1.0${workspacePath(w)}/experiments/${e(experiment)}/runId/${e(run.runId ?? '')}/cancel`);
}

/** Every metric record of a run, across pages. */
export async function runMetrics(w: Workspace, experiment: string, runId: string, signal?: AbortSignal): Promise<RunMetric[]> {
  const records: RunMetric[] = [];
  let continuationToken: string | undefined;
  do {
    const queryParams = { filter: `RunId eq '${runId.replace(/'/g, "''")}'`, ...(continuationToken ? { continuationToken } : {}) };
    const page = await json<PaginatedRunMetricList>('POST', `${experimentPath(w, experiment)}/metrics:query`, queryParams, signal);
    records.push(...(page.value ?? []));
    continuationToken = page.continuationToken ?? undefined;
  } while (continuationToken && records.length < 200_000);
  return records;
}

/** A run's artifacts with their content links (RunArtifacts_ListSasByPrefix), across pages, at most `limit`. */
export async function runFiles(w: Workspace, experiment: string, runId: string, limit: number, signal?: AbortSignal): Promise<Array<{ path: string; contentUri: string }>> {
  const files: Array<{ path: string; contentUri: string }> = [];
  let continuationToken: string | undefined;
  do {
    const query = new URLSearchParams({ path: '' });
    if (continuationToken) query.set('continuationToken', continuationToken);
    const page = await json<PaginatedArtifactContentInformationList>('GET', `${runPath(w, experiment, runId)}/artifacts/prefix/contentinfo?${query}`, undefined, signal);
    for (const item of page.value ?? []) if (item.path && item.contentUri) files.push({ path: item.path, contentUri: item.contentUri });
    continuationToken = page.continuationToken ?? undefined;
  } while (continuationToken && files.length < limit);
  return files.slice(0, limit);
}

/** The size of a linked file (HEAD, as a blob's properties are read). */
export async function sizeOf(link: string, signal?: AbortSignal): Promise<number | undefined> {
  const res = await fetch(sameOrigin(link), { method: 'HEAD', signal });
  const length = Number(res.headers.get('content-length'));
  return res.ok && Number.isFinite(length) ? length : undefined;
}

/** The computes of a workspace (Compute_List, following nextLink). */
export async function listComputes(w: Workspace, signal?: AbortSignal): Promise<ComputeResource[]> {
  const out: ComputeResource[] = [];
  let next: string | undefined = arm(`${workspacePath(w)}/computes`);
  for (let pages = 0; next && pages < 50; pages++) {
    const page: PaginatedComputeResourcesList = await json<PaginatedComputeResourcesList>('GET', next, undefined, signal);
    out.push(...(page.value ?? []));
    next = page.nextLink ? sameOrigin(page.nextLink) : undefined;
  }
  return out;
}

/** A byte range of a linked file: `bytes` is what came, `total` the file's size then. */
export interface RangeRead {
  status: number;
  bytes: Uint8Array;
  start: number;
  total: number;
}

/**
 * Reads `range` (`bytes=-N`, `bytes=a-b`, or none for the whole file) of a log link. With
 * `waitSeconds`, the emulator's long poll holds the answer until the file is larger than `since`
 * bytes or the run's status changes.
 */
export async function readRange(link: string, range: string | undefined, options: { waitSeconds?: number; since?: number; signal?: AbortSignal } = {}): Promise<RangeRead> {
  const url = new URL(sameOrigin(link), location.href);
  if (options.waitSeconds) url.searchParams.set('wait', String(options.waitSeconds));
  if (options.since !== undefined) url.searchParams.set('since', String(options.since));
  const res = await fetch(url.pathname + url.search, { headers: range ? { range } : {}, signal: options.signal, cache: 'no-store' });
  const contentRange = res.headers.get('content-range') ?? '';
  const total = Number(/\/(\d+)$/.exec(contentRange)?.[1] ?? res.headers.get('content-length') ?? 0);
  if (res.status === 416) return { status: 416, bytes: new Uint8Array(), start: total, total };
  if (!res.ok) throw new ApiError(res.status, await messageOf(res));
  const start = res.status === 206 ? Number(/bytes (\d+)-/.exec(contentRange)?.[1] ?? 0) : 0;
  return { status: res.status, bytes: new Uint8Array(await res.arrayBuffer()), start, total };
}
