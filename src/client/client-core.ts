/**
 * The one request path of every action: validate the input, find the base URL and the token,
 * build the request, send it through the pipeline, read the answer.
 */
import { isObject } from '../spec/is-object';
import type { Account } from '../account/account';
import { resolveBaseUrl, resolveManagementUrl } from '../account/base-url';
import { tokenSourceForAccount } from '../auth/token-source-for-account';
import type { TokenSource } from '../auth/token-source';
import { buildRequest } from '../http/build-request';
import type { PipelinePolicy, PipelineRequest, PipelineResponse, SendRequest } from '../http/pipeline';
import { bearerTokenPolicy } from '../http/policies/bearer-token';
import type { Logger } from '../http/policies/logging';
import { readResponse, serviceErrorOf } from '../http/read-response';
import { standardPipeline } from '../http/standard-pipeline';
import { validateInput } from '../http/validate-input';
import type { AnswerHead, CallOptions, RetryOptions, UnknownFieldsPolicy } from '../http/call-options';
import { AzureMLAbortError, AzureMLAccountError, AzureMLResponseFormatError, AzureMLTimeoutError } from '../errors';
import { displayUrl, withoutUserInfo } from '../account/secure-url';
import { DEFAULT_MAX_FILE_RESPONSE_BYTES } from '../http/limits';
import { secretValues } from '../http/scrub';
import { runHistorySpec } from '../spec/runhistory/spec';
import type { IntegrationSpec, OperationSpec } from '../spec/operation-spec';
import { EXPERIMENT_FIELDS, locatorFields, withoutWorkflowFields, type ExperimentLocator } from '../workflow/locator';

export interface ClientOptions {
  /** Where tokens come from, instead of the account's own fields. */
  tokenSource?: TokenSource;
  /** Put before the package's own User-Agent, e.g. `my-flow/1.2`. */
  userAgentPrefix?: string;
  /** Extra policies (hooks), run inside the built-in ones, just before the transport. */
  policies?: PipelinePolicy[];
  /** Told with the account after its tokens were refreshed (to persist them). A throw is ignored. */
  onTokenRefresh?: (account: Account) => void;
  /** Logs each request and answer, sanitized (no secrets, no bodies). Also on with DEBUG=azureml-execution. */
  logger?: Logger;
  /** Retry policy of every call (default: 3 retries, backoff from 1 s capped at 64 s). */
  retry?: RetryOptions;
  /** Per-attempt idle timeout (default 120000 ms). */
  timeoutMs?: number;
  /** Overall deadline of every call (default none). */
  deadlineMs?: number;
  /** Largest JSON answer or error body, after decompression (default 64 MiB). */
  maxResponseBytes?: number;
  /** Largest file answer, such as Runs_StartLocalRun's zip, after decompression (default 1 GiB). */
  maxFileResponseBytes?: number;
  /**
   * Defaults for the subscriptionId, resourceGroupName, workspaceName and experimentName of every
   * call (actions and workflow), so that a run can be named by its id alone.
   */
  workspace?: Partial<ExperimentLocator>;
  /**
   * What sends the requests, after the policies (default: Node's http and https with keep-alive
   * agents). `createTransport({ idleTimers })` makes one with a test's clock.
   */
  transport?: SendRequest;
  /** Definition fields the swagger does not list: `pass` (default: sent, nothing said), `warn` or `error`. */
  unknownFields?: UnknownFieldsPolicy;
  /** Told the client's warnings (unknown fields with `warn`, ignore files a submission may not mean); default process.emitWarning. */
  onWarning?: (message: string) => void;
  /**
   * Which API the workflow (submitRun, cancelRun...) uses: `v1` (the Execution Service, the
   * default) or `v2` (command jobs of Azure Resource Manager). The account's `api` field says it too.
   */
  api?: 'v1' | 'v2';
}

export const DEFAULT_TIMEOUT_MS = 120_000;

/** An answer to a poll: its status, headers and parsed JSON body (undefined when empty). */
export interface PolledAnswer extends AnswerHead {
  body: unknown;
}

/** Operations that start work: they get a run id of the client's making, so a retry cannot start a second run. */
const STARTS_RUN = new Set(['Runs_StartRun', 'Runs_StartSnapshotRun', 'Runs_StartLocalRun']);
/** Of those, the ones that create a run in Run History, where an ambiguous failure can be checked. */
const CREATES_RUN = new Set(['Runs_StartRun', 'Runs_StartSnapshotRun']);

/** `{experiment}_{unix seconds}_{8 hex}`, as the Azure ML Python SDK makes run ids; valid for the swagger's pattern. */
export function newRunId(experimentName: string): string {
  let prefix = experimentName.replace(/[^\w-]/g, '_').slice(0, 200);
  if (!/^[a-zA-Z0-9]/.test(prefix)) prefix = `run${prefix}`;

  const hex = (require('crypto') as typeof import('crypto')).randomBytes(4).toString('hex');
  return `${prefix}_${Math.floor(Date.now() / 1000)}_${hex}`;
}

function combineSignals(call: CallOptions, deadlineMs: number | undefined): AbortSignal | undefined {
  const signals = [call.signal, deadlineMs ? AbortSignal.timeout(deadlineMs) : undefined].filter((s): s is AbortSignal => !!s);
  return signals.length > 1 ? AbortSignal.any(signals) : signals[0];
}

export class ClientCore {
  /** One pipeline per integration: each has the token source chosen for it (APIs differ in audience). */
  private readonly pipelines = new Map<string, SendRequest>();
  private links?: SendRequest;
  /** The locator fields of options.workspace that are set, or undefined: computed once, off the hot path. */
  private readonly workspaceDefaults?: Partial<ExperimentLocator>;

  constructor(
    readonly account: Account,
    private readonly options: ClientOptions = {},
  ) {
    const defaults = locatorFields(options.workspace);
    if (Object.keys(defaults).length) this.workspaceDefaults = defaults;
  }

  private buildPipeline(integrationId: string, action: string, retry: RetryOptions | undefined): SendRequest {
    const tokenSource = this.options.tokenSource ?? tokenSourceForAccount(this.account, integrationId, action);
    const { userAgentPrefix, logger, policies, onTokenRefresh, transport } = this.options;
    return standardPipeline({
      userAgentPrefix,
      retry,
      logger,
      policies,
      transport,
      authorize: (logging) => [bearerTokenPolicy(tokenSource, { onRefresh: onTokenRefresh, tokenPolicies: logging })],
    });
  }

  private getPipeline(integrationId: string, action: string, callRetry: RetryOptions | undefined): SendRequest {
    if (callRetry) return this.buildPipeline(integrationId, action, { ...this.options.retry, ...callRetry });
    let pipeline = this.pipelines.get(integrationId);
    if (!pipeline) this.pipelines.set(integrationId, (pipeline = this.buildPipeline(integrationId, action, this.options.retry)));
    return pipeline;
  }

  /**
   * The pipeline of links (log files, artifact SAS URLs): the client's user agent, retries and
   * logging, never its bearer token nor its own policies (a link may point at another host).
   */
  linkPipeline(): SendRequest {
    const { userAgentPrefix, logger, retry, transport } = this.options;
    return (this.links ??= standardPipeline({ userAgentPrefix, logger, retry, transport }));
  }

  async run(spec: IntegrationSpec, op: OperationSpec, input: unknown, call: CallOptions = {}): Promise<unknown> {
    const action = `${spec.id}/${op.operationId}`;
    const deadlineMs = call.deadlineMs ?? this.options.deadlineMs;
    const signal = combineSignals(call, deadlineMs);
    try {
      if (signal?.aborted) throw signal.reason;
      // A submitted run (or a spread of it) is a valid input: its definition and project stay out.
      let given = this.withWorkspaceDefaults(
        op,
        withoutWorkflowFields(input, (name) => op.parameters.some((p) => p.name === name)),
      );
      // The API version the operations were generated from, unless the caller names another.
      if (spec.apiVersion && isObject(given) && given['api-version'] === undefined && op.parameters.some((p) => p.name === 'api-version')) {
        given = { ...given, 'api-version': spec.apiVersion };
      }
      // A run id this call made is known to be ours: after an ambiguous failure, a run with it was
      // started by this call. A caller's own id may name a run that existed before: a 409 then says so.
      let ownRunId = false;
      if (STARTS_RUN.has(op.operationId) && isObject(given)) {
        const fields = given;
        if (fields.runId === undefined && typeof fields.experimentName === 'string') {
          given = { ...fields, runId: newRunId(fields.experimentName) };
          ownRunId = true;
        }
      }
      const validated = await validateInput(spec, op, given, action, {
        unknownFields: call.unknownFields ?? this.options.unknownFields,
        onWarning: call.onWarning ?? this.options.onWarning,
      });
      const baseUrl = spec.defaultHost ? resolveManagementUrl(this.account, spec.id, spec.defaultHost, action) : resolveBaseUrl(this.account, spec.id, action);
      const send = this.getPipeline(spec.id, action, call.retry);
      const request = buildRequest(op, validated, baseUrl, action);
      request.signal = signal;
      request.timeoutMs = call.timeoutMs ?? this.options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
      if (op.responseKind === 'binary') {
        request.maxResponseBytes = this.options.maxFileResponseBytes ?? DEFAULT_MAX_FILE_RESPONSE_BYTES;
        request.maxResponseSetting = 'maxFileResponseBytes';
      } else if (this.options.maxResponseBytes !== undefined) {
        request.maxResponseBytes = this.options.maxResponseBytes;
      }
      const account = this.account;
      request.secrets = () => secretValues([account.access_token, account.refresh_token, account.client_secret]);
      if (call.onUploadProgress) request.onUploadProgress = call.onUploadProgress;
      const ownsRun = ownRunId && CREATES_RUN.has(op.operationId);
      if (ownsRun) request.recover = () => this.findStartedRun(validated.input, request, signal);
      const response = await send(request);
      call.onResponse?.({ status: response.status, headers: response.headers });
      // A retry answered 409 to the run id of an earlier, ambiguous attempt of this call: that attempt started it.
      if (response.status === 409 && (response.attempts ?? 1) > 1 && ownsRun) return { runId: validated.input.runId };
      return readResponse(op, response);
    } catch (error) {
      if (signal?.aborted) {
        if (call.signal?.aborted) throw new AzureMLAbortError({ action, reason: call.signal.reason });
        throw new AzureMLTimeoutError({ action, deadlineMs: deadlineMs! });
      }
      throw error;
    }
  }

  /**
   * GET of a URL the service gave (a long-running operation's Location or Azure-AsyncOperation),
   * through the pipeline of `spec`: with the bearer token, so only on the API's own origin; a
   * URL elsewhere is refused before anything is sent.
   */
  async poll(spec: IntegrationSpec, url: string, call: CallOptions = {}): Promise<PolledAnswer> {
    const action = `${spec.id}/poll`;
    const baseUrl = spec.defaultHost ? resolveManagementUrl(this.account, spec.id, spec.defaultHost, action) : resolveBaseUrl(this.account, spec.id, action);
    let target: URL;
    try {
      target = new URL(url, baseUrl);
    } catch {
      throw new AzureMLResponseFormatError({ action, statusCode: 0, body: '', reason: `the service gave a polling URL that does not parse (${displayUrl(withoutUserInfo(url))})` });
    }
    if (target.origin !== new URL(baseUrl).origin || target.username || target.password) {
      throw new AzureMLResponseFormatError({
        action,
        statusCode: 0,
        body: '',
        reason: `the service gave a polling URL on another host (${displayUrl(target.href)}); the token is only sent to ${new URL(baseUrl).origin}`,
      });
    }
    const deadlineMs = call.deadlineMs ?? this.options.deadlineMs;
    const signal = combineSignals(call, deadlineMs);
    const send = this.getPipeline(spec.id, action, call.retry);
    try {
      const response = await send({
        method: 'get',
        url: target.href,
        baseUrl,
        headers: { accept: 'application/json' },
        responseType: 'buffer',
        action,
        signal,
        timeoutMs: call.timeoutMs ?? this.options.timeoutMs ?? DEFAULT_TIMEOUT_MS,
        secrets: () => secretValues([this.account.access_token, this.account.refresh_token, this.account.client_secret]),
      });
      if (response.status < 200 || response.status >= 300) throw serviceErrorOf(response);
      const text = response.body.toString('utf8').trim();
      let body: unknown;
      try {
        body = text ? JSON.parse(text) : undefined;
      } catch (error) {
        throw new AzureMLResponseFormatError({ action, statusCode: response.status, body: text, reason: `the body is not JSON (${(error as Error).message})` });
      }
      return { status: response.status, headers: response.headers, body };
    } catch (error) {
      if (signal?.aborted) {
        if (call.signal?.aborted) throw new AzureMLAbortError({ action, reason: call.signal.reason });
        throw new AzureMLTimeoutError({ action, deadlineMs: deadlineMs! });
      }
      throw error;
    }
  }

  /** The input with the client's workspace defaults for the locator fields it leaves out. */
  private withWorkspaceDefaults(op: OperationSpec, input: unknown): unknown {
    const defaults = this.workspaceDefaults;
    if (!defaults || !input || typeof input !== 'object' || Array.isArray(input)) return input;
    const fields = input as Record<string, unknown>;
    const filled: Record<string, unknown> = { ...fields };
    for (const name of EXPERIMENT_FIELDS) {
      if (filled[name] === undefined && defaults[name] !== undefined && op.parameters.some((p) => p.name === name)) filled[name] = defaults[name];
    }
    return filled;
  }

  /** Asks Run History whether the run of this id exists: if so, it was started, and is the answer. */
  private async findStartedRun(input: Record<string, unknown>, request: PipelineRequest, signal?: AbortSignal): Promise<PipelineResponse | undefined> {
    const { subscriptionId, resourceGroupName, workspaceName, experimentName, runId } = input;
    const getRun = runHistorySpec.operations.find((o) => o.operationId === 'Runs_Get')!;
    try {
      const run = (await this.run(runHistorySpec, getRun, { subscriptionId, resourceGroupName, workspaceName, experimentName, runId }, { signal, retry: { maxRetries: 1 } })) as {
        runId?: string;
      };
      const body = Buffer.from(JSON.stringify({ runId: run.runId ?? runId }));
      return { status: 200, headers: { 'content-type': 'application/json' }, body, request };
    } catch {
      return undefined; // not found, or unknown: the same run id makes sending again safe
    }
  }
}
/** Cores for accounts met in DataFire contexts, so that every action run with one account shares its state. */
const coresByAccount = new WeakMap<Account, ClientCore>();

export function clientCoreForAccount(account: Account): ClientCore {
  let core = coresByAccount.get(account);
  if (!core) coresByAccount.set(account, (core = new ClientCore(account)));
  return core;
}

/** The core of `create(account, options)`: its own with options, else the account's shared one. */
export function coreFor(account: Account, options: ClientOptions | undefined, integrationId: string): ClientCore {
  if (!account || typeof account !== 'object') throw new AzureMLAccountError({ message: `create() needs the ${integrationId} account object`, fields: [] });
  return options ? new ClientCore(account, options) : clientCoreForAccount(account);
}
