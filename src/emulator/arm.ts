/**
 * What the v2 handlers share: Azure Resource Manager's resource ids, its error shape
 * (`{ error: { code, message, target, details, additionalInfo } }`), the api-version rule, and
 * the timestamps (`systemData`) of a resource.
 */
import type { IncomingMessage } from 'http';
import { HttpError } from './http-util';

/** The api-versions the emulator's v2 API answers (the one the subset was taken from). */
export const SUPPORTED_API_VERSIONS = ['2024-10-01'];

export const PROVIDER = 'Microsoft.MachineLearningServices';

/** An error in ARM's shape, with its status: the v2 handlers throw these. */
export class ArmError extends HttpError {
  constructor(status: number, code: string, message: string, target?: string, headers: Record<string, string> = {}) {
    super(status, code, message, target ? { target } : {}, headers);
  }
}

export function armErrorBody(error: HttpError): Record<string, unknown> {
  return { error: { code: error.code, message: error.message, ...(error.extra?.target ? { target: error.extra.target } : {}), details: [], additionalInfo: [] } };
}

/** ARM's answer to a missing or unknown api-version, before anything else is looked at. */
export function checkApiVersion(url: URL): void {
  const given = url.searchParams.get('api-version');
  if (!given) throw new ArmError(400, 'MissingApiVersionParameter', 'The api-version query parameter (?api-version=) is required for all requests.');
  if (!SUPPORTED_API_VERSIONS.includes(given)) {
    throw new ArmError(400, 'InvalidApiVersionParameter', `The api-version '${given}' is invalid. The supported versions are '${SUPPORTED_API_VERSIONS.join(',')}'.`);
  }
}

/** `/subscriptions/{s}/resourceGroups/{rg}/providers/Microsoft.MachineLearningServices/workspaces/{ws}`, as the caller spelled it. */
export function workspaceId(input: Record<string, unknown>): string {
  return `/subscriptions/${String(input.subscriptionId)}/resourceGroups/${String(input.resourceGroupName)}/providers/${PROVIDER}/workspaces/${String(input.workspaceName)}`;
}

export function systemData(createdAt: string, lastModifiedAt: string = createdAt): Record<string, string> {
  return { createdAt, createdBy: 'emulator', createdByType: 'User', lastModifiedAt, lastModifiedBy: 'emulator', lastModifiedByType: 'User' };
}

/** The last segment of an ARM id or a bare name: `.../computes/gpu` and `gpu` both name `gpu`. */
export function lastSegment(id: string): string {
  return id.replace(/\/+$/, '').split('/').pop() ?? id;
}

/**
 * One page of a Resource Manager list: `value`, and a `nextLink` (the request's URL with `$skip`)
 * while more are left; `$skip` is the caller's continuation token, anything but digits reads as 0.
 */
export function armPage<T>(
  items: readonly T[],
  input: Record<string, unknown>,
  req: IncomingMessage,
  baseUrl: string,
  pageSize: number,
  toJson: (item: T) => unknown,
): Record<string, unknown> {
  const start = typeof input.$skip === 'string' && /^\d+$/.test(input.$skip) ? Number(input.$skip) : 0;
  const page = items.slice(start, start + pageSize);
  const body: Record<string, unknown> = { value: page.map(toJson) };
  if (start + page.length < items.length) {
    const next = new URL(req.url ?? '/', baseUrl);
    next.searchParams.set('$skip', String(start + page.length));
    body.nextLink = next.toString();
  }
  return body;
}
