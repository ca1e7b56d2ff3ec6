/**
 * Every error this package throws. One constructor shape: each class takes one object, whose
 * `action` names the action that failed and whose other fields become the error's fields.
 *
 * None of them holds a request, its headers, the account or a transport error object: those
 * carry the bearer token. What they hold is safe to log.
 *
 * Two copies of the package can be loaded in one process (a DataFire project with its own copy
 * beside a flow's), so `instanceof` against one copy's class would miss the other's errors. Each
 * error is branded with a registry symbol; `isAzureMLError(e, 'AzureMLServiceError')` and
 * `instanceof` both read the brand, so they hold across copies.
 */
import type { ErrorDetails, ErrorResponse, InnerErrorResponse } from './spec/execution/types';
import type { RunDetails } from './spec/runhistory/types';
import type { InputProblem } from './spec/validate';
import { scrubSecrets } from './http/scrub';

export type { InputProblem };

/** Symbol.for: the same symbol in every copy of the package. Its value: the error's class names, most derived first. */
const BRAND = Symbol.for('azureml-execution.error-classes');

/** The class names `isAzureMLError` can check for. */
export type AzureMLErrorName =
  | 'AzureMLError'
  | 'AzureMLValidationError'
  | 'AzureMLProjectError'
  | 'AzureMLAccountError'
  | 'AzureMLNetworkError'
  | 'AzureMLResponseFormatError'
  | 'AzureMLServiceError'
  | 'AzureMLAuthError'
  | 'AzureMLAbortError'
  | 'AzureMLTimeoutError'
  | 'AzureMLRunFailedError'
  | 'AzureMLNotFoundError'
  | 'AzureMLOperationFailedError'
  | 'AzureMLComputeFailedError';

interface ErrorByName {
  AzureMLError: AzureMLError;
  AzureMLValidationError: AzureMLValidationError;
  AzureMLProjectError: AzureMLProjectError;
  AzureMLAccountError: AzureMLAccountError;
  AzureMLNetworkError: AzureMLNetworkError;
  AzureMLResponseFormatError: AzureMLResponseFormatError;
  AzureMLServiceError: AzureMLServiceError;
  AzureMLAuthError: AzureMLAuthError;
  AzureMLAbortError: AzureMLAbortError;
  AzureMLTimeoutError: AzureMLTimeoutError;
  AzureMLRunFailedError: AzureMLRunFailedError;
  AzureMLNotFoundError: AzureMLNotFoundError;
  AzureMLOperationFailedError: AzureMLOperationFailedError;
  AzureMLComputeFailedError: AzureMLComputeFailedError;
}

/**
 * Whether `value` is an error of this package (of any copy of it), and of class `kind` (or a
 * subclass of it) when given: `isAzureMLError(error, 'AzureMLServiceError') && error.statusCode === 404`.
 */
export function isAzureMLError<K extends AzureMLErrorName = 'AzureMLError'>(value: unknown, kind?: K): value is ErrorByName[K] {
  if (!value || typeof value !== 'object') return false;
  const classes = (value as { [BRAND]?: unknown })[BRAND];
  return Array.isArray(classes) && classes.includes(kind ?? 'AzureMLError');
}

export interface AzureMLErrorInit {
  message: string;
  /** The action that failed, e.g. `azure_machinelearningservices_execution/Runs_StartRun`. */
  action?: string;
}

/** The base class: every error of this package is an AzureMLError. */
export class AzureMLError extends Error {
  /** The action that failed, e.g. `azure_machinelearningservices_execution/Runs_StartRun`. */
  readonly action?: string;

  constructor(init: AzureMLErrorInit) {
    super(init.message);
    this.name = new.target.name;
    if (init.action) this.action = init.action;
    const classes: string[] = [];
    for (let c: unknown = new.target; typeof c === 'function' && c !== Error; c = Object.getPrototypeOf(c)) classes.push((c as { name: string }).name);
    // Not enumerable: JSON, util.inspect and toJSON show only the error's own fields.
    Object.defineProperty(this, BRAND, { value: classes });
  }

  /** `error instanceof AzureMLServiceError` holds for an error from another copy of the package too. */
  static override [Symbol.hasInstance](value: unknown): boolean {
    return isAzureMLError(value, this.name as AzureMLErrorName);
  }

  toJSON(): Record<string, unknown> {
    const out: Record<string, unknown> = { name: this.name, message: this.message };
    for (const [key, value] of Object.entries(this)) if (value !== undefined) out[key] = value;
    return out;
  }
}

export interface ValidationErrorInit {
  action: string;
  problems: InputProblem[];
}

/** Bad input: nothing was sent. `statusCode` is 400 so that `datafire serve` answers 400. */
export class AzureMLValidationError extends AzureMLError {
  readonly statusCode = 400;
  readonly problems: InputProblem[];

  constructor(init: ValidationErrorInit) {
    super({ message: `Action ${init.action} was given invalid input: ${init.problems.map(describeProblem).join('; ')}`, action: init.action });
    this.problems = init.problems;
  }
}

function describeProblem(problem: InputProblem): string {
  return problem.path ? `${problem.path} ${problem.message}` : problem.message;
}

export interface ProjectErrorInit extends AzureMLErrorInit {
  /** The folder. */
  project: string;
}

/** A project folder that cannot be submitted (over the size or file limits, or without its script): nothing was sent. */
export class AzureMLProjectError extends AzureMLError {
  /** 400, so that `datafire serve` answers 400 too. */
  readonly statusCode = 400;
  /** The folder. */
  readonly project: string;

  constructor(init: ProjectErrorInit) {
    super(init);
    this.project = init.project;
  }
}

export interface AccountErrorInit extends AzureMLErrorInit {
  /** The account fields concerned. */
  fields: string[];
}

/** The account cannot be used (no host, no credentials...): nothing was sent. */
export class AzureMLAccountError extends AzureMLError {
  /** The account fields concerned. */
  readonly fields: string[];

  constructor(init: AccountErrorInit) {
    super(init);
    this.fields = init.fields;
  }
}

export interface NetworkErrorInit {
  action: string;
  /** The base URL the request went to. */
  host: string;
  /** What the transport said, e.g. `connect ECONNREFUSED 127.0.0.1:443`. */
  reason: string;
  /** The system error code, e.g. `ECONNREFUSED`. */
  code?: string;
  /** Why the retries ended, added to the message. */
  note?: string;
}

/** The request did not get an answer: connection refused, reset, DNS failure, TLS failure. */
export class AzureMLNetworkError extends AzureMLError {
  /** The system error code, e.g. `ECONNREFUSED`. */
  readonly code?: string;
  /** The base URL the request went to. */
  readonly host: string;
  /** What the transport said, e.g. `connect ECONNREFUSED 127.0.0.1:443`. */
  readonly reason: string;
  /** Attempts made, when the call was retried. */
  attempts?: number;

  constructor(init: NetworkErrorInit) {
    super({ message: `Action ${init.action} failed: no answer from ${init.host} (${init.reason})${init.note ? `; ${init.note}` : ''}`, action: init.action });
    this.host = init.host;
    this.reason = init.reason;
    if (init.code) this.code = init.code;
  }
}

export interface ResponseFormatErrorInit {
  action: string;
  statusCode: number;
  /** The body text (already scrubbed of secrets). */
  body: string;
  /** Why it cannot be read. */
  reason: string;
}

/** A 2xx answer whose body is not what the operation promises (not JSON, or missing a required field). */
export class AzureMLResponseFormatError extends AzureMLError {
  readonly statusCode: number;
  readonly body: string;

  constructor(init: ResponseFormatErrorInit) {
    super({ message: `Action ${init.action} got an answer it cannot read (status code ${init.statusCode}): ${init.reason}`, action: init.action });
    this.statusCode = init.statusCode;
    this.body = init.body;
  }
}

/** Response headers kept on errors: ids to quote to Azure support, retry hints, the auth challenge. Nothing else. */
const KEPT_RESPONSE_HEADERS = [
  'content-type',
  'date',
  'retry-after',
  'retry-after-ms',
  'x-ms-retry-after-ms',
  'x-ms-request-id',
  'x-ms-client-request-id',
  'x-ms-correlation-request-id',
  'request-id',
  'www-authenticate',
] as const;

export interface ServiceErrorInit {
  action: string;
  statusCode: number;
  body: string;
  headers: Record<string, string | string[] | undefined>;
  /** The answer is a 401 to a request sent again with a freshly refreshed token. */
  afterTokenRefresh?: boolean;
  /** Attempts made (1 when not retried). */
  attempts?: number;
  /** Why the retries ended, or why there were none. */
  retryNote?: string;
  /** Tokens and secrets the request carried: scrubbed from the body and the message (not kept). */
  secrets?: readonly string[];
}

/** The service answered with a status that is not 2xx. */
export class AzureMLServiceError extends AzureMLError {
  readonly statusCode: number;
  /** The raw body text, as DataFire gives it. */
  readonly body: string;
  /** The service's error code (`UserError`, `ValidationError`, ...), from ErrorResponse.error.code. */
  readonly code?: string;
  /** The service's message, from ErrorResponse.error.message. */
  readonly serviceMessage?: string;
  readonly target?: string;
  readonly details?: ErrorDetails[];
  readonly innerError?: InnerErrorResponse;
  /** The innerError codes from the outermost to the deepest, e.g. `['RunIdAlreadyExists']`. */
  readonly innerErrorCodes: string[];
  readonly correlation?: Record<string, string>;
  /** The parsed ErrorResponse, when the body was one. */
  readonly errorResponse?: ErrorResponse;
  readonly requestId?: string;
  readonly clientRequestId?: string;
  readonly correlationRequestId?: string;
  /** The allow-listed response headers (ids and retry hints). */
  readonly responseHeaders: Record<string, string>;
  /** Attempts made (1 when not retried). */
  readonly attempts: number;

  constructor(given: ServiceErrorInit) {
    const init = { ...given, body: scrubSecrets(given.body, given.secrets) };
    delete init.secrets;
    const parsed = parseErrorResponse(init.body);
    const root = parsed?.error;
    const refreshed = init.afterTokenRefresh ? ' (after refreshing the access token)' : '';
    const note = init.retryNote ? `; ${init.retryNote}` : '';
    super({ message: `Action ${init.action} failed with status code ${init.statusCode}${refreshed}: ${summarize(init, parsed)}${note}`, action: init.action });
    this.attempts = init.attempts ?? 1;
    this.statusCode = init.statusCode;
    this.body = init.body;
    this.responseHeaders = keepHeaders(init.headers);
    this.innerErrorCodes = innerCodes(root?.innerError);
    if (parsed) this.errorResponse = parsed;
    if (root?.code) this.code = root.code;
    if (root?.message) this.serviceMessage = root.message;
    if (root?.target) this.target = root.target;
    if (root?.details) this.details = root.details;
    if (root?.innerError) this.innerError = root.innerError;
    if (parsed?.correlation) this.correlation = parsed.correlation;
    const ids = this.responseHeaders;
    if (ids['x-ms-request-id'] ?? ids['request-id']) this.requestId = ids['x-ms-request-id'] ?? ids['request-id'];
    if (ids['x-ms-client-request-id']) this.clientRequestId = ids['x-ms-client-request-id'];
    if (ids['x-ms-correlation-request-id']) this.correlationRequestId = ids['x-ms-correlation-request-id'];
  }

  /** The deepest innerError code, which clients must prefer when they understand it; else the root code. */
  get deepestCode(): string | undefined {
    return this.innerErrorCodes[this.innerErrorCodes.length - 1] ?? this.code;
  }
}

function parseErrorResponse(body: string): ErrorResponse | undefined {
  if (!body || !/^\s*\{/.test(body)) return undefined;
  try {
    const value = JSON.parse(body) as unknown;
    if (value && typeof value === 'object' && 'error' in value && typeof (value as ErrorResponse).error === 'object') {
      return value as ErrorResponse;
    }
  } catch {
    // Not JSON after all: summarized as text.
  }
  return undefined;
}

function innerCodes(inner: InnerErrorResponse | undefined): string[] {
  const codes: string[] = [];
  // Bounded: a hostile body nests innerError thousands deep; 32 levels say all there is to say.
  for (let depth = 0; inner && depth < 32; depth++, inner = inner.innerError) {
    if (inner.code) codes.push(inner.code);
  }
  return codes;
}

const MAX_SUMMARY = 300;

/** HTTP reason phrases for bodies that say nothing: Node's table, loaded with the first such error. */
function statusText(statusCode: number): string | undefined {
  return (require('http') as typeof import('http')).STATUS_CODES[statusCode];
}

/** One line that says what went wrong: the service's code and message, or the gist of a non-JSON body. */
function summarize(init: ServiceErrorInit, parsed: ErrorResponse | undefined): string {
  const root = parsed?.error;
  if (root && (root.code || root.message)) return [root.code, root.message].filter(Boolean).join(': ');
  const contentType = String(init.headers['content-type'] ?? '');
  let text = init.body;
  if (/html/i.test(contentType) || /^\s*</.test(text)) {
    const title = /<title[^>]*>([\s\S]*?)<\/title>/i.exec(text);
    text = title ? title[1] : text.replace(/<script[\s\S]*?<\/script>|<style[\s\S]*?<\/style>/gi, ' ').replace(/<[^>]*>/g, ' ');
  }
  text = text.replace(/\s+/g, ' ').trim();
  if (!text) return statusText(init.statusCode) ?? 'no body';
  return text.length > MAX_SUMMARY ? `${text.slice(0, MAX_SUMMARY)}...` : text;
}

function keepHeaders(headers: ServiceErrorInit['headers']): Record<string, string> {
  const kept: Record<string, string> = {};
  for (const name of KEPT_RESPONSE_HEADERS) {
    const value = headers[name];
    if (value !== undefined) kept[name] = Array.isArray(value) ? value.join(', ') : value;
  }
  return kept;
}

export interface AuthErrorInit {
  action: string;
  /** The token endpoint (no query, no secret). */
  tokenEndpoint: string;
  statusCode?: number;
  error?: string;
  errorDescription?: string;
  /** What was being done, e.g. `refresh the access token`. */
  doing: string;
}

/**
 * Getting a token failed: the token endpoint's `error` and `error_description` (for example
 * `invalid_grant: AADSTS70008: ... expired`), never a bare 401.
 */
export class AzureMLAuthError extends AzureMLError {
  readonly statusCode?: number;
  /** The OAuth error code, e.g. `invalid_grant`. */
  readonly error?: string;
  readonly errorDescription?: string;
  readonly tokenEndpoint: string;

  constructor(init: AuthErrorInit) {
    const status = init.statusCode !== undefined ? ` answered ${init.statusCode}` : ' failed';
    const reason = [init.error, init.errorDescription].filter(Boolean).join(': ') || 'no reason given';
    super({ message: `Action ${init.action} could not ${init.doing}: the token endpoint ${init.tokenEndpoint}${status}: ${reason}`, action: init.action });
    this.tokenEndpoint = init.tokenEndpoint;
    if (init.statusCode !== undefined) this.statusCode = init.statusCode;
    if (init.error) this.error = init.error;
    if (init.errorDescription) this.errorDescription = init.errorDescription;
  }
}

export interface AbortErrorInit {
  action: string;
  /** The signal's reason: its message is added to the error's. */
  reason?: unknown;
}

/** The caller's AbortSignal stopped the call. Named `AbortError`, as fetch and Node name theirs. */
export class AzureMLAbortError extends AzureMLError {
  constructor(init: AbortErrorInit) {
    // Structural: a DOMException from AbortSignal.timeout() is not always `instanceof Error`.
    const given = init.reason as { name?: unknown; message?: unknown } | null | undefined;
    const why =
      given && typeof given === 'object' && typeof given.message === 'string' && given.name !== 'AbortError'
        ? `: ${given.message}`
        : typeof init.reason === 'string'
          ? `: ${init.reason}`
          : '';
    super({ message: `Action ${init.action} was aborted${why}`, action: init.action });
    this.name = 'AbortError';
  }
}

export interface TimeoutErrorInit {
  action: string;
  deadlineMs: number;
}

/** The call did not end within its overall deadline (`deadlineMs`). */
export class AzureMLTimeoutError extends AzureMLError {
  readonly deadlineMs: number;

  constructor(init: TimeoutErrorInit) {
    super({ message: `Action ${init.action} did not finish within its deadline of ${init.deadlineMs} ms`, action: init.action });
    this.deadlineMs = init.deadlineMs;
  }
}

export interface RunFailedErrorInit {
  /** Defaults to `azureml-execution/waitForRun`. */
  action?: string;
  /** The run's details as Run History gave them when it ended. */
  details: RunDetails;
}

/** A run that ended Failed: carries the run's error and its details. */
export class AzureMLRunFailedError extends AzureMLError {
  readonly runId: string;
  readonly runError?: ErrorResponse;
  readonly details: RunDetails;

  constructor(init: RunFailedErrorInit) {
    const { details } = init;
    const root = details.error?.error;
    const why = root ? `: ${[root.code, root.message].filter(Boolean).join(': ')}` : '';
    super({ message: `Run ${details.runId} failed${why}`, action: init.action ?? 'azureml-execution/waitForRun' });
    this.runId = String(details.runId);
    this.details = details;
    if (details.error) this.runError = details.error;
  }
}

export interface NotFoundErrorInit extends AzureMLErrorInit {
  action: string;
  /** What was looked for, e.g. `outputs/ of run r1`. */
  what: string;
}

/**
 * What the call needs is not there, though every request succeeded: a run without outputs, a
 * prefix that matches no artifact. `statusCode` is 404 (the CLI exits with its not-found code,
 * `datafire serve` answers 404).
 */
export class AzureMLNotFoundError extends AzureMLError {
  readonly statusCode = 404;
  readonly what: string;

  constructor(init: NotFoundErrorInit) {
    super(init);
    this.what = init.what;
  }
}

export interface OperationFailedErrorInit {
  action: string;
  /** The operation's end state: Failed or Canceled. */
  status: string;
  /** The operation's error (`{ code, message, details }` of Azure Resource Manager), when it gave one. */
  error?: { code?: string; message?: string; [field: string]: unknown };
}

/**
 * A long-running operation of the v2 API (a delete, a cancel, a compute's creation) that the
 * service accepted and that then ended Failed or Canceled. `code` is the deepest ARM error code.
 */
export class AzureMLOperationFailedError extends AzureMLError {
  readonly status: string;
  readonly code?: string;
  readonly operationError?: OperationFailedErrorInit['error'];

  constructor(init: OperationFailedErrorInit) {
    const { error } = init;
    const why = error ? `: ${[error.code, error.message].filter(Boolean).join(': ')}` : '';
    super({ message: `Action ${init.action} ended ${init.status}${why}`, action: init.action });
    this.status = init.status;
    if (typeof error?.code === 'string') this.code = error.code;
    if (error) this.operationError = error;
  }
}

export interface ComputeFailedErrorInit {
  action: string;
  computeName: string;
  /** The compute's provisioningState (Failed) as the service gave it. */
  provisioningState: string;
  /** The service's reasons: provisioningErrors (and the cluster's node errors), code and message each. */
  reasons: { code?: string; message?: string }[];
}

/**
 * A compute that ended its provisioning Failed (waitForCompute, createCompute): carries the
 * service's reasons, as AZTK's wait_until_cluster_is_ready reports a cluster that could not start.
 */
export class AzureMLComputeFailedError extends AzureMLError {
  readonly computeName: string;
  readonly provisioningState: string;
  readonly reasons: { code?: string; message?: string }[];

  constructor(init: ComputeFailedErrorInit) {
    const why = init.reasons.map((r) => [r.code, r.message].filter(Boolean).join(': ')).filter(Boolean);
    super({ message: `Compute ${init.computeName} is ${init.provisioningState}${why.length ? `: ${why.join('; ')}` : ''}`, action: init.action });
    this.computeName = init.computeName;
    this.provisioningState = init.provisioningState;
    this.reasons = init.reasons;
  }
}
