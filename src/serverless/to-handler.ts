/**
 * Any action of the package (the service's, or the workflow's) as an AWS Lambda handler:
 * - an API Gateway proxy event (REST API v1, or HTTP API v2): the input is the path parameters,
 *   the query string and the JSON body; the answer is `{statusCode, headers, body}`, the output
 *   as JSON (a Buffer as base64), or `{error}` with the error's status (400 bad input, 404 ...);
 * - a queue event (SQS, SNS): each message body (JSON) is one input; the answer lists each result,
 *   with SQS's `batchItemFailures`, so that only failed messages come back;
 * - a timer (an EventBridge schedule) or a direct invocation: the handler's fixed input (and the
 *   event's `detail`, or the event itself).
 * The account is the handler's, else the environment's (AZUREML_HOST, AZUREML_ACCESS_TOKEN, AZURE_*
 * service principal). Calls stop before Lambda's own time limit, with a clear error.
 */
import { isObject } from '../spec/is-object';
import type { Account } from '../account/account';
import { accountFromEnvironment } from '../config/environment';
import type { ActionContext } from '../spec/action-signature';
import { AzureMLAbortError, AzureMLAccountError, AzureMLNetworkError, AzureMLProjectError, AzureMLServiceError, AzureMLTimeoutError, AzureMLValidationError } from '../errors';

export interface HandlerResult {
  statusCode: number;
  headers: Record<string, string>;
  body: string;
  isBase64Encoded?: boolean;
  /** SQS partial batch response: the messages to deliver again. */
  batchItemFailures?: Array<{ itemIdentifier: string }>;
}

export interface HandlerOptions {
  /** The account (default: from the environment, read once). */
  account?: Account;
  /** DataFire variables for the workflow actions (subscriptionId, workspaceName, ...). */
  variables?: Record<string, unknown>;
  /** Input every invocation starts from: the whole input of a timer, under each message or request. */
  input?: Record<string, unknown>;
  /** Time kept back from Lambda's limit to answer with an error (default 1000 ms). */
  marginMs?: number;
}

/** What toHandler accepts: an action of this package, a `datafire.Action`, or a function. */
export type Runnable = { run(input: unknown, context?: ActionContext): Promise<unknown> } | ((input: unknown, context?: ActionContext) => Promise<unknown>);

/** The part of Lambda's context used here. */
export interface LambdaContext {
  getRemainingTimeInMillis?: () => number;
  awsRequestId?: string;
}

type LambdaEvent = Record<string, unknown>;
export type LambdaHandler = (event: LambdaEvent, context?: LambdaContext) => Promise<HandlerResult>;

const JSON_HEADERS = { 'content-type': 'application/json; charset=utf-8' };

/** An event that cannot be an input (a body that is not a JSON object): a 400. */
class BadEventError extends AzureMLValidationError {}

/** The HTTP status an error answers with: the caller's mistakes are 4xx, the service's troubles 502/504. */
export function statusForError(error: unknown): number {
  if (error instanceof AzureMLValidationError || error instanceof AzureMLProjectError) return 400;
  if (error instanceof AzureMLServiceError) return error.statusCode >= 500 ? 502 : error.statusCode;
  if (error instanceof AzureMLNetworkError) return 502;
  if (error instanceof AzureMLTimeoutError || error instanceof AzureMLAbortError) return 504;
  if (error instanceof AzureMLAccountError) return 500;
  return 500;
}

/** What an answer says of an error: its name, message and codes; never a request, header or token. */
export function errorBody(error: unknown): Record<string, unknown> {
  if (!(error instanceof Error)) return { name: 'Error', message: String(error) };
  const out: Record<string, unknown> = { name: error.name, message: error.message };
  if (error instanceof AzureMLValidationError) out.problems = error.problems;
  if (error instanceof AzureMLServiceError) Object.assign(out, { statusCode: error.statusCode, code: error.code, target: error.target, requestId: error.requestId });
  if (error instanceof AzureMLNetworkError && error.code) out.code = error.code;
  if (error instanceof AzureMLAccountError) out.fields = error.fields;
  return JSON.parse(JSON.stringify(out)) as Record<string, unknown>;
}

function respond(statusCode: number, value: unknown): HandlerResult {
  if (Buffer.isBuffer(value)) return { statusCode, headers: { 'content-type': 'application/octet-stream' }, body: value.toString('base64'), isBase64Encoded: true };
  return { statusCode, headers: { ...JSON_HEADERS }, body: JSON.stringify(value ?? null) };
}

function runnerOf(action: Runnable): (input: unknown, context: ActionContext) => Promise<unknown> {
  if (typeof action === 'function') return action;
  if (action && typeof action.run === 'function') return (input, context) => action.run(input, context);
  throw new TypeError('toHandler needs an action (an object with run(input, context)) or a function');
}

function parseJson(text: string, what: string): Record<string, unknown> {
  if (!text.trim()) return {};
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new BadEventError({ action: 'azureml-execution/toHandler', problems: [{ path: what, message: `is not JSON: ${(error as Error).message}` }] });
  }
  if (!value || typeof value !== 'object' || Array.isArray(value))
    throw new BadEventError({ action: 'azureml-execution/toHandler', problems: [{ path: what, message: 'must be a JSON object' }] });
  return value as Record<string, unknown>;
}

function isHttpEvent(event: LambdaEvent): boolean {
  const http = isObject(event.requestContext) ? (event.requestContext as Record<string, unknown>).http : undefined;
  return typeof event.httpMethod === 'string' || (event.version === '2.0' && isObject(http));
}

function queueRecords(event: LambdaEvent): Array<{ id: string; body: string }> | undefined {
  if (!Array.isArray(event.Records) || !event.Records.length) return undefined;
  const records = event.Records as Array<Record<string, unknown>>;
  if (records.every((r) => r.eventSource === 'aws:sqs')) return records.map((r) => ({ id: String(r.messageId), body: String(r.body ?? '') }));
  if (records.every((r) => r.EventSource === 'aws:sns' && isObject(r.Sns))) {
    return records.map((r) => {
      const sns = r.Sns as Record<string, unknown>;
      return { id: String(sns.MessageId), body: String(sns.Message ?? '') };
    });
  }
  return undefined;
}

function httpInput(event: LambdaEvent, base: Record<string, unknown>): Record<string, unknown> {
  const body = typeof event.body === 'string' ? (event.isBase64Encoded ? Buffer.from(event.body, 'base64').toString('utf8') : event.body) : '';
  return {
    ...base,
    ...parseJson(body, 'body'),
    ...(isObject(event.queryStringParameters) ? event.queryStringParameters : {}),
    ...(isObject(event.pathParameters) ? event.pathParameters : {}),
  };
}

export function toHandler(action: Runnable, options: HandlerOptions = {}): LambdaHandler {
  const run = runnerOf(action);
  let account: Account | undefined = options.account;
  const base = options.input ?? {};
  const margin = options.marginMs ?? 1000;

  const contextFor = (type: string, signal: AbortSignal | undefined, extra: Record<string, unknown> = {}): ActionContext => {
    account ??= accountFromEnvironment();
    return {
      type,
      accounts: { azure_machinelearningservices_execution: account, azure_machinelearningservices_runhistory: account },
      variables: { ...(options.variables ?? {}) },
      signal,
      ...extra,
    } as ActionContext;
  };

  /** Aborts the calls `margin` ms before Lambda's limit, so that the handler still answers, saying why. */
  const deadlineOf = (lambda: LambdaContext | undefined): { signal?: AbortSignal; clear(): void } => {
    const remaining = lambda?.getRemainingTimeInMillis?.();
    if (typeof remaining !== 'number') return { clear: () => undefined };
    const controller = new AbortController();
    const reason = new Error(`less than ${margin} ms of the Lambda invocation were left`);
    const timer = setTimeout(() => controller.abort(reason), Math.max(0, remaining - margin));
    return { signal: controller.signal, clear: () => clearTimeout(timer) };
  };

  const handle = async (event: LambdaEvent, signal: AbortSignal | undefined): Promise<HandlerResult> => {
    if (!isObject(event))
      return respond(400, { error: errorBody(new BadEventError({ action: 'azureml-execution/toHandler', problems: [{ path: 'event', message: 'must be an object' }] })) });

    if (isHttpEvent(event)) {
      try {
        const input = httpInput(event, base);
        const output = await run(
          input,
          contextFor('http', signal, {
            request: { method: event.httpMethod ?? (event.requestContext as { http?: { method?: string } }).http?.method, path: event.path ?? event.rawPath },
          }),
        );
        return respond(200, output);
      } catch (error) {
        return respond(statusForError(error), { error: errorBody(error) });
      }
    }

    const records = queueRecords(event);
    if (records) {
      const settled = await Promise.allSettled(records.map(async (record) => run({ ...base, ...parseJson(record.body, `message ${record.id}`) }, contextFor('queue', signal))));
      const results = settled.map((outcome, i) =>
        outcome.status === 'fulfilled' ? { messageId: records[i].id, ok: true, output: outcome.value } : { messageId: records[i].id, ok: false, error: errorBody(outcome.reason) },
      );
      const failed = results.filter((r) => !r.ok).map((r) => ({ itemIdentifier: r.messageId }));
      const statusCode = failed.length === 0 ? 200 : failed.length === results.length ? 500 : 207;
      return { ...respond(statusCode, { results }), batchItemFailures: failed };
    }

    // A schedule (EventBridge) or a direct invocation.
    const scheduled = event.source === 'aws.events' || event['detail-type'] === 'Scheduled Event';
    const input = scheduled ? { ...base, ...(isObject(event.detail) ? event.detail : {}) } : { ...base, ...event };
    try {
      return respond(200, await run(input, contextFor(scheduled ? 'timer' : 'invoke', signal)));
    } catch (error) {
      return respond(statusForError(error), { error: errorBody(error) });
    }
  };

  return async (event, lambda) => {
    const deadline = deadlineOf(lambda);
    try {
      return await handle(event, deadline.signal);
    } finally {
      deadline.clear();
    }
  };
}
