/**
 * Routes of the emulator, from the same generated specs as the client: a request is matched to
 * its operation by the OpenAPI path template, and its input (path, query, body) is validated
 * with the operation's input schema before any handler sees it.
 */
import type { IncomingMessage, ServerResponse } from 'http';
import type { EmulatorContext } from './context';
import type { OperationSpec, ParameterSpec } from '../spec/operation-spec';
import { withoutNulls } from '../spec/run-definition';
import { validateSchema } from '../spec/validate';
import { HttpError, readJson } from './http-util';

/** Answers one operation, with its path, query and JSON body already validated against its input schema. */
export interface OperationHandler {
  handle(ctx: EmulatorContext, input: Record<string, unknown>, req: IncomingMessage, res: ServerResponse): Promise<void> | void;
  /** It reads its multipart parts itself (so the input's file parts are not required up front). */
  readsParts?: boolean;
  /** A run's own token (AZUREML_RUN_TOKEN) may call it, for that run only: metrics and artifacts. */
  runScoped?: boolean;
}

/** The handlers of an API's operations, by operationId: what `handlers/<api>.ts` exports. */
export type OperationHandlers = Readonly<Record<string, OperationHandler>>;

/** A route outside the specs (the token endpoint, file links): a method, a path test, a handler. */
export interface PlainRoute {
  method: 'GET' | 'POST' | 'ANY';
  matches(pathname: string): boolean;
  handle(ctx: EmulatorContext, url: URL, req: IncomingMessage, res: ServerResponse): Promise<void> | void;
}

export interface RouteMatch {
  op: OperationSpec;
  /** Path and query parameters by input name, typed as the schema says. */
  input: Record<string, unknown>;
}

interface CompiledRoute {
  op: OperationSpec;
  pattern: RegExp;
  names: string[];
}

function escapeRegex(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

export function compileRoutes(operations: readonly OperationSpec[]): CompiledRoute[] {
  return operations.map((op) => {
    const names: string[] = [];
    const source = op.path
      .split(/(\{[^}]+\})/)
      .map((part) => {
        const param = /^\{([^}]+)\}$/.exec(part);
        if (!param) return escapeRegex(part);
        names.push(param[1]);
        return '([^/]+)';
      })
      .join('');
    return { op, pattern: new RegExp(`^${source}$`, 'i'), names };
  });
}

function queryValue(param: ParameterSpec, op: OperationSpec, values: string[]): unknown {
  const schema = op.inputSchema.properties?.[param.name] ?? {};
  const type = Array.isArray(schema.type) ? schema.type[0] : schema.type;
  const one = values[values.length - 1];
  switch (type) {
    case 'integer':
    case 'number':
      return /^-?\d+(\.\d+)?$/.test(one) ? Number(one) : one;
    case 'boolean':
      return one === 'true' ? true : one === 'false' ? false : one;
    case 'array':
      return param.collectionFormat === 'multi' ? values : one.split(',');
    default:
      return one;
  }
}

/** A percent-decoded path segment; malformed encoding (`%E0%A4%A`) is the caller's error, a 400. */
export function decodePathSegment(segment: string, field: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    throw new HttpError(400, 'ValidationError', `${field} is not valid percent-encoding: ${JSON.stringify(segment.slice(0, 100))}`, { target: field });
  }
}

export function matchRoute(routes: CompiledRoute[], method: string, url: URL): RouteMatch | undefined {
  for (const route of routes) {
    if (route.op.method !== method.toLowerCase()) continue;
    const match = route.pattern.exec(url.pathname);
    if (!match) continue;
    const input: Record<string, unknown> = {};
    route.names.forEach((wireName, i) => {
      const param = route.op.parameters.find((p) => p.in === 'path' && p.wireName === wireName)!;
      input[param.name] = decodePathSegment(match[i + 1], param.name);
    });
    for (const param of route.op.parameters.filter((p) => p.in === 'query')) {
      const values = url.searchParams.getAll(param.wireName);
      if (values.length) input[param.name] = queryValue(param, route.op, values);
    }
    return { op: route.op, input };
  }
  return undefined;
}

/** Reads a JSON body parameter into the input, then validates the whole input like the client does. */
export async function validatedInput(req: IncomingMessage, match: RouteMatch, options: { skipFiles?: boolean; withoutNulls?: boolean } = {}): Promise<Record<string, unknown>> {
  const { op } = match;
  const input = { ...match.input };
  const body = op.parameters.find((p) => p.in === 'body');
  if (body) {
    const value = await readJson(req, 4 * 1024 * 1024);
    if (value !== undefined) input[body.name] = options.withoutNulls ? withoutNulls(value) : value;
  }
  let problems = validateSchema(op.inputSchema, input);
  // Multipart parts are read from the stream afterwards; their presence is checked there.
  if (options.skipFiles) problems = problems.filter((p) => !op.parameters.some((param) => param.file && p.path === param.name));
  if (problems.length) {
    throw new HttpError(400, 'ValidationError', problems.map((p) => `${p.path} ${p.message}`).join('; '), {
      target: problems[0].path,
      details: problems.map((p) => ({ code: 'Invalid', message: `${p.path} ${p.message}`, target: p.path })),
    });
  }
  return input;
}
