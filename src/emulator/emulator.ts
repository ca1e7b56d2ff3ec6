/**
 * A local Azure ML emulator: the Execution Service and the Run History operations a flow needs,
 * an OAuth token endpoint, and a runner that executes the submitted scripts for real. State lives
 * under a data folder and survives restarts.
 */
import { randomBytes } from 'crypto';
import * as fs from 'fs';
import * as http from 'http';
import type { AddressInfo } from 'net';
import * as os from 'os';
import * as path from 'path';
import { v2Spec } from '../spec/arm/spec';
import { executionSpec } from '../spec/execution/spec';
import { runHistorySpec } from '../spec/runhistory/spec';
import { EmulatorAuth, type EmulatorClient } from './auth';
import type { EmulatorContext } from './context';
import { artifactHandlers } from './handlers/artifacts';
import { blobRoutes } from './handlers/blob';
import { codeHandlers } from './handlers/codes';
import { computeHandlers, computeOperationRoutes } from './handlers/computes';
import { dashboardApiRoutes } from './handlers/dashboard';
import { dashboardAssetRoutes } from './dashboard/assets';
import { ComputePool } from './compute-pool';
import { jobHandlers, jobOperationRoutes } from './handlers/jobs';
import { ArmError, armErrorBody, checkApiVersion } from './arm';
import { prepareCommandJob } from './job-command';
import { BlobSigner } from './blob-sas';
import { BlobStore } from './blob-store';
import { executionHandlers } from './handlers/execution';
import { fileRoutes } from './handlers/files';
import { historyHandlers } from './handlers/history';
import { metricHandlers } from './handlers/metrics';
import { mlflowRoutes, trackingUri } from './handlers/mlflow';
import { oauthRoutes } from './handlers/oauth';
import { drain, Faults, interceptAnswer, type FaultRule } from './faults';
import { HttpError, sendError, sendJson } from './http-util';
import { checkName } from './names';
import { compileRoutes, matchRoute, validatedInput, type OperationHandlers, type PlainRoute } from './routes';
import { MetricsStore } from './metrics-store';
import { workspaceOf } from './run-lookup';
import { Runner } from './runner';
import { PRIVATE_FILE, Store } from './store';
import { allowedHosts, isLoopbackHost } from './host-check';

export interface EmulatorOptions {
  /** 0 (the default) picks a free port. */
  port?: number;
  /** Loopback by default (127.0.0.1). Any other address needs `allowRemote` and `strictAuth`. */
  host?: string;
  /**
   * Serve on a non-loopback address. Anyone who can reach it can run code on this machine, so it
   * also needs `strictAuth` (and then the Host check, which guards loopback from web pages, is off).
   */
  allowRemote?: boolean;
  /** Where state, snapshots, logs and outputs live; a new temporary folder by default (removed on close). */
  dataDir?: string;
  /**
   * Accept only bearer tokens the emulator issued and that have not expired, and issue them only
   * to `clients`. Without clients, one is made and written to `{dataDir}/client-credentials.json` (0600).
   */
  strictAuth?: boolean;
  /** Strict mode: the clients that get tokens (client_credentials, authorization_code). */
  clients?: EmulatorClient[];
  /** Lifetime of issued access tokens (default 3600 s). */
  tokenLifetimeSeconds?: number;
  /** Runs executing at once (default 2); the others wait in Queued. */
  maxConcurrentRuns?: number;
  /** Largest project.zip (default 25 MB, the service's startrun limit). */
  maxZipBytes?: number;
  /** Largest size a project may expand to (default 1 GiB). */
  maxExtractedBytes?: number;
  /** Python used for scripts (default python3). */
  python?: string;
  /** Runs per page of run queries (default 50). */
  pageSize?: number;
  /** Time between SIGTERM and SIGKILL when a run is stopped (default 2000 ms). */
  killGraceMs?: number;
  /** The most processes one run may start (a distributed run's nodes x processes per node; default 16): more fails the run. */
  maxProcessesPerRun?: number;
  /** Faults to inject from the start (see `faults.set`). */
  faults?: FaultRule[];
  /** The clock issued tokens expire by, and compute clusters change by, in ms (default Date.now): tests move it instead of waiting. */
  now?: () => number;
  /** How long creating, resizing or deleting a compute cluster takes (default 1000 ms). */
  computeProvisioningMs?: number;
  /** The most nodes a compute cluster may have (default 100): a larger maxNodeCount fails its provisioning, as a quota does. */
  nodeQuota?: number;
}

export interface Emulator {
  /** The base URL, e.g. http://127.0.0.1:41234: the account's `host`. */
  url: string;
  /** The OAuth authority host: `{url}`, with token endpoints at `{url}/{tenant}/oauth2/v2.0/token`. */
  authorityHost: string;
  dataDir: string;
  /** Strict mode: the client id that gets tokens, and the file holding its secret when the emulator made it. */
  credentials?: { clientIds: string[]; file?: string };
  /** Token requests by grant type, for tests and demos. */
  tokenRequests: Record<string, number>;
  /** Fault injection: `faults.set([{ operation: 'Runs_StartRun', status: 503, times: 1 }])`. */
  faults: Faults;
  /** How many runs exist: a dropped answer must never make two. */
  runCount(): number;
  close(): Promise<void>;
}

const allOperations = [...executionSpec.operations, ...runHistorySpec.operations, ...v2Spec.operations];
/** The v2 API's operations: Azure Resource Manager's rules (api-version, error shape, nulls) apply to them. */
const ARM_OPERATIONS = new Set(v2Spec.operations);

/** Every operation the emulator answers: a new API is a spec in spec/ and a table in handlers/. */
const OPERATION_HANDLERS: OperationHandlers = {
  ...executionHandlers,
  ...historyHandlers,
  ...artifactHandlers,
  ...metricHandlers,
  ...codeHandlers,
  ...jobHandlers,
  ...computeHandlers,
};

/** Routes outside the specs: OAuth, file links, MLflow, the blob endpoint, v2 operation results, the dashboard. */
const PLAIN_ROUTES: readonly PlainRoute[] = [
  ...oauthRoutes,
  ...fileRoutes,
  ...mlflowRoutes,
  ...blobRoutes,
  ...jobOperationRoutes,
  ...computeOperationRoutes,
  ...dashboardApiRoutes,
  ...dashboardAssetRoutes,
];

/** Strict mode's clients: the given ones, else one made now and written to a private file. */
function strictClients(options: EmulatorOptions, dataDir: string): { clients: EmulatorClient[]; file?: string } {
  if (options.clients?.length) {
    for (const c of options.clients) if (!c.clientId || !c.clientSecret) throw new Error('every client needs a clientId and a clientSecret');
    return { clients: options.clients };
  }
  const file = path.join(dataDir, 'client-credentials.json');
  if (fs.existsSync(file)) {
    const saved = JSON.parse(fs.readFileSync(file, 'utf8')) as { client_id: string; client_secret: string };
    return { clients: [{ clientId: saved.client_id, clientSecret: saved.client_secret }], file };
  }
  const client = { clientId: `emulator-${randomBytes(6).toString('hex')}`, clientSecret: randomBytes(24).toString('base64url') };
  fs.writeFileSync(file, `${JSON.stringify({ client_id: client.clientId, client_secret: client.clientSecret }, null, 2)}\n`, { mode: PRIVATE_FILE, flag: 'wx' });
  return { clients: [client], file };
}

/**
 * What the service sets for a run, pointing at this emulator: the variables the Azure ML run
 * context reads (with a token for this run alone) and MLflow's.
 */
function serviceEnvironment(baseUrl: string, run: { workspace: string; runId: string; experimentName: string }, token: string): Record<string, string> {
  const [subscription, resourceGroup, workspace] = run.workspace.split('/');
  return {
    AZUREML_RUN_TOKEN: token,
    AZUREML_SERVICE_ENDPOINT: baseUrl,
    AZUREML_ARM_SUBSCRIPTION: subscription,
    AZUREML_ARM_RESOURCEGROUP: resourceGroup,
    AZUREML_ARM_WORKSPACE_NAME: workspace,
    AZUREML_ARM_PROJECT_NAME: run.experimentName,
    MLFLOW_TRACKING_URI: trackingUri(baseUrl, run),
    MLFLOW_RUN_ID: run.runId,
    MLFLOW_TRACKING_TOKEN: token,
  };
}

export async function startEmulator(options: EmulatorOptions = {}): Promise<Emulator> {
  const bindHost = options.host ?? '127.0.0.1';
  if (!isLoopbackHost(bindHost)) {
    if (!options.allowRemote)
      throw new Error(`${bindHost} is not a loopback address: anyone who can reach it could run code on this machine (allow it with allowRemote / --allow-remote)`);
    if (!options.strictAuth)
      throw new Error(`serving on ${bindHost} needs strict auth (strictAuth / --strict-auth): without it anyone who can reach it could run code on this machine`);
  }
  const ownDataDir = !options.dataDir;
  const store = new Store(options.dataDir ? path.resolve(options.dataDir) : fs.mkdtempSync(path.join(os.tmpdir(), 'azureml-emulator-')));
  const dataDir = store.dataDir;
  const strict = options.strictAuth ? strictClients(options, dataDir) : undefined;
  store.failInterruptedRuns(new Date().toISOString());
  const auth = new EmulatorAuth({ strict: !!strict, clients: strict?.clients, tokenLifetimeSeconds: options.tokenLifetimeSeconds ?? 3600, now: options.now });
  const runKey = (run: { workspace: string; runId: string }) => `${run.workspace}/${run.runId}`;
  const now = options.now ?? Date.now;
  const computes = new ComputePool(store, {
    now,
    provisioningMs: options.computeProvisioningMs ?? 1000,
    nodeQuota: options.nodeQuota ?? 100,
    // Deferred: a read inside the runner's own pump must not start another pump within it.
    onChange: () => void setImmediate(() => runner.pump()),
  });
  const runner = new Runner(store, {
    maxConcurrentRuns: options.maxConcurrentRuns ?? 2,
    python: options.python ?? 'python3',
    killGraceMs: options.killGraceMs ?? 2000,
    maxProcessesPerRun: options.maxProcessesPerRun ?? 16,
    serviceEnvironment: (run) => serviceEnvironment(ctx.baseUrl, run, auth.issueRunToken(runKey(run))),
    onRunEnded: (run) => {
      auth.revokeRunTokens(runKey(run));
      if (run.deleting) store.deleteRun(run);
    },
    prepareJob: (run, work) => prepareCommandJob(ctx, run, work),
    place: (run, blocked) => computes.place(run, blocked),
    onRunReleased: (run) => computes.release(run),
    nextWakeInMs: () => computes.nextChangeInMs(),
  });
  const ctx: EmulatorContext = {
    store,
    metrics: new MetricsStore(store),
    runner,
    computes,
    auth,
    baseUrl: '',
    blobs: new BlobStore(dataDir),
    blobSigner: new BlobSigner(dataDir),
    now,
    options: {
      maxZipBytes: options.maxZipBytes ?? 25 * 1024 * 1024,
      maxExtractedBytes: options.maxExtractedBytes ?? 1024 * 1024 * 1024,
      maxZipEntries: 10000,
      pageSize: options.pageSize ?? 50,
      python: options.python ?? 'python3',
    },
  };
  const routes = compileRoutes(allOperations);
  const faults = new Faults();
  if (options.faults) faults.set(options.faults);

  const pendingDelays = new Set<() => void>();
  /** Waits `ms`; false when the connection closed or the emulator is closing first. */
  function delay(ms: number, res: http.ServerResponse): Promise<boolean> {
    return new Promise((resolve) => {
      const done = (waited: boolean) => {
        clearTimeout(timer);
        res.off('close', gone);
        pendingDelays.delete(gone);
        resolve(waited);
      };
      const gone = () => done(false);
      const timer = setTimeout(() => done(true), ms);
      res.once('close', gone);
      pendingDelays.add(gone);
    });
  }

  let hosts: Set<string> | undefined;
  /** Requests to the v2 API: their errors take Resource Manager's shape. */
  const armRequests = new WeakSet<http.IncomingMessage>();
  async function handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    // DNS rebinding: a web page whose name now points at 127.0.0.1 sends its own name as Host.
    if (hosts && !hosts.has(String(req.headers.host ?? '').toLowerCase())) {
      throw new HttpError(403, 'UserError', 'The Host header does not name this emulator: it answers only requests addressed to its own loopback address');
    }
    // `//execution/...`: the generated integration doubles the slash when the host ends in one.
    const url = new URL((req.url ?? '/').replace(/^\/{2,}/, '/'), ctx.baseUrl);
    const method = req.method ?? 'GET';
    // A GET route answers HEAD too (Node sends the headers alone).
    const plain = PLAIN_ROUTES.find((route) => (route.method === 'ANY' || route.method === method || (route.method === 'GET' && method === 'HEAD')) && route.matches(url.pathname));
    if (plain) return plain.handle(ctx, url, req, res);

    const match = matchRoute(routes, method, url);
    if (!match) throw new HttpError(404, 'UserError', `No operation at ${method} ${url.pathname}`);
    const id = match.op.operationId;
    const arm = ARM_OPERATIONS.has(match.op);
    if (arm) armRequests.add(req);
    // Resource Manager answers a missing or unknown api-version before anything else.
    if (arm) checkApiVersion(url);
    const fault = faults.pick(id);
    if (fault) {
      // A client that gave up, or an emulator closing, ends the wait: no timer outlives either.
      if (fault.delayMs && !(await delay(fault.delayMs, res))) return void req.socket.destroy();
      if (fault.reset === 'before-read') return void req.socket.destroy();
      if (fault.reset === 'after-read') {
        await drain(req);
        return void req.socket.destroy();
      }
      if (fault.status) {
        await drain(req);
        const headers: Record<string, string> = {};
        if (fault.retryAfter !== undefined) headers['retry-after'] = fault.retryAfter;
        if (fault.retryAfterMs !== undefined) headers['retry-after-ms'] = String(fault.retryAfterMs);
        const code = fault.status === 429 ? 'RequestThrottled' : fault.status >= 500 ? 'TransientError' : 'UserError';
        throw new HttpError(fault.status, code, `Injected fault: ${fault.status}`, {}, headers);
      }
      interceptAnswer(fault, res);
    }
    const principal = auth.check(req);
    // Names that reach files and state follow the service's naming rule: checked before the body is read.
    for (const field of ['experimentName', 'runId'] as const) if (match.input[field] !== undefined) checkName(match.input[field], field);
    const handler = OPERATION_HANDLERS[id];
    if (!handler) throw new HttpError(501, 'ServiceError', `The emulator does not implement ${id}`);
    // A run's token acts for its own run's metrics and artifacts, and for nothing else.
    if (principal.kind === 'run' && (!handler.runScoped || principal.runKey !== runKey({ workspace: workspaceOf(match.input), runId: String(match.input.runId) }))) {
      throw new HttpError(403, 'UserError', `A run token (AZUREML_RUN_TOKEN) may post metrics and use artifacts of its own run only; ${id} for this run is not allowed with it`, {
        innerCode: 'RunTokenScope',
      });
    }
    // Resource Manager reads a null as "not given" (x-nullable): Azure's SDKs send them.
    const input = await validatedInput(req, match, { skipFiles: handler.readsParts, withoutNulls: arm });
    return handler.handle(ctx, input, req, res);
  }

  const server = http.createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      if (res.headersSent) return res.destroy();
      if (error instanceof HttpError) {
        // The rest of a refused upload is not read: close the connection after answering.
        if (!req.complete) res.setHeader('connection', 'close');
        // The v2 API answers in Resource Manager's error shape.
        if (error instanceof ArmError || armRequests.has(req)) return sendJson(res, error.status, armErrorBody(error), error.headers);
        return sendError(res, error);
      }
      sendError(res, new HttpError(500, 'ServiceError', `The emulator failed: ${(error as Error).message}`));
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, bindHost, () => resolve());
  });
  const address = server.address() as AddressInfo;
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  ctx.baseUrl = `http://${host}:${address.port}`;
  // Served remotely, strict auth guards it; on loopback, only requests addressed to loopback are answered.
  if (isLoopbackHost(bindHost)) hosts = allowedHosts(address.address, address.port);

  let closing: Promise<void> | undefined;
  return {
    url: ctx.baseUrl,
    authorityHost: ctx.baseUrl,
    dataDir,
    ...(strict ? { credentials: { clientIds: strict.clients.map((c) => c.clientId), file: strict.file } } : {}),
    tokenRequests: auth.tokenRequests,
    faults,
    runCount: () => store.listRuns(() => true).length,
    close() {
      closing ??= (async () => {
        for (const end of [...pendingDelays]) end();
        await runner.close();
        await new Promise<void>((resolve) => {
          server.close(() => resolve());
          server.closeAllConnections();
        });
        if (ownDataDir) fs.rmSync(dataDir, { recursive: true, force: true });
      })();
      return closing;
    },
  };
}
