/**
 * The errors every action throws. None of them holds a request, its headers, the account or
 * a transport error object: those carry the bearer token. What they hold is safe to log.
 */
import type { ErrorDetails, ErrorResponse, InnerErrorResponse } from '../spec/generated/execution-types';
import type { RunDetails } from '../spec/generated/runhistory-types';
import { scrubSecrets } from './scrub';

/** The base class: every error of this package is an AzureMLError. */
export class AzureMLError extends Error {
  /** The action that failed, e.g. `azure_machinelearningservices_execution/Runs_StartRun`. */
  readonly action?: string;

  constructor(message: string, action?: string) {
    super(message);
    this.name = new.target.name;
    if (action) this.action = action;
  }

  toJSON(): Record<string, unknown> {
    const out: Record<string, unknown> = { name: this.name, message: this.message };
    for (const [key, value] of Object.entries(this)) if (value !== undefined) out[key] = value;
    return out;
  }
}

export interface InputProblem {
  /** The input field, as a dotted path: `definition.configuration.framework`. */
  path: string;
  /** Why it is wrong: `must be one of Python, PySpark, Cntk, TensorFlow, PyTorch`. */
  message: string;
}

/** Bad input: nothing was sent. `statusCode` is 400 so that `datafire serve` answers 400. */
export class AzureMLValidationError extends AzureMLError {
  readonly statusCode = 400;
  readonly problems: InputProblem[];

  constructor(action: string, problems: InputProblem[]) {
    super(`Action ${action} was given invalid input: ${problems.map(describeProblem).join('; ')}`, action);
    this.problems = problems;
  }
}

function describeProblem(problem: InputProblem): string {
  return problem.path ? `${problem.path} ${problem.message}` : problem.message;
}

/** A project folder that cannot be submitted (over the size or file limits, or without its script): nothing was sent. */
export class AzureMLProjectError extends AzureMLError {
  /** 400, so that `datafire serve` answers 400 too. */
  readonly statusCode = 400;
  /** The folder. */
  readonly project: string;

  constructor(message: string, project: string, action?: string) {
    super(message, action);
    this.project = project;
  }
}

/** The account cannot be used (no host, no credentials...): nothing was sent. */
export class AzureMLAccountError extends AzureMLError {
  /** The account fields concerned. */
  readonly fields: string[];

  constructor(message: string, fields: string[], action?: string) {
    super(message, action);
    this.fields = fields;
  }
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

  constructor(action: string, host: string, reason: string, code?: string, note?: string) {
    super(`Action ${action} failed: no answer from ${host} (${reason})${note ? `; ${note}` : ''}`, action);
    this.host = host;
    this.reason = reason;
    if (code) this.code = code;
  }
}

/** A 2xx answer whose body is not what the operation promises (not JSON, or missing a required field). */
export class AzureMLResponseFormatError extends AzureMLError {
  readonly statusCode: number;
  readonly body: string;

  constructor(action: string, statusCode: number, body: string, reason: string) {
    super(`Action ${action} got an answer it cannot read (status code ${statusCode}): ${reason}`, action);
    this.statusCode = statusCode;
    this.body = body;
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
    super(`Action ${init.action} failed with status code ${init.statusCode}${refreshed}: ${summarize(init, parsed)}${note}`, init.action);
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
  // Bounded: a malicious or buggy body cannot make this loop forever (JSON has no cycles, but be safe).
  for (let depth = 0; inner && depth < 32; depth++, inner = inner.innerError) {
    if (inner.code) codes.push(inner.code);
  }
  return codes;
}

const MAX_SUMMARY = 300;

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
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  if (!text) return (require('http') as typeof import('http')).STATUS_CODES[init.statusCode] ?? 'no body';
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
    super(`Action ${init.action} could not ${init.doing}: the token endpoint ${init.tokenEndpoint}${status}: ${reason}`, init.action);
    this.tokenEndpoint = init.tokenEndpoint;
    if (init.statusCode !== undefined) this.statusCode = init.statusCode;
    if (init.error) this.error = init.error;
    if (init.errorDescription) this.errorDescription = init.errorDescription;
  }
}

/** The caller's AbortSignal stopped the call. Named `AbortError`, as fetch and Node name theirs. */
export class AzureMLAbortError extends AzureMLError {
  constructor(action: string, reason?: unknown) {
    // Structural: a DOMException from AbortSignal.timeout() is not always `instanceof Error`.
    const given = reason as { name?: unknown; message?: unknown } | null | undefined;
    const why =
      given && typeof given === 'object' && typeof given.message === 'string' && given.name !== 'AbortError' ? `: ${given.message}` : typeof reason === 'string' ? `: ${reason}` : '';
    super(`Action ${action} was aborted${why}`, action);
    this.name = 'AbortError';
  }
}

/** The call did not end within its overall deadline (`deadlineMs`). */
export class AzureMLTimeoutError extends AzureMLError {
  readonly deadlineMs: number;

  constructor(action: string, deadlineMs: number) {
    super(`Action ${action} did not finish within its deadline of ${deadlineMs} ms`, action);
    this.deadlineMs = deadlineMs;
  }
}

/** A run that ended Failed: carries the run's error and its details. */
export class AzureMLRunFailedError extends AzureMLError {
  readonly runId: string;
  readonly runError?: ErrorResponse;
  readonly details: RunDetails;

  constructor(details: RunDetails) {
    const root = details.error?.error;
    super(`Run ${details.runId} failed${root ? `: ${[root.code, root.message].filter(Boolean).join(': ')}` : ''}`, 'azureml-execution/waitForRun');
    this.runId = String(details.runId);
    this.details = details;
    if (details.error) this.runError = details.error;
  }
}
