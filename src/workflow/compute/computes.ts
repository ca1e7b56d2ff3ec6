/**
 * The cluster verbs of AZTK over Azure ML computes (the Compute_* operations of the v2 API):
 * create, resize, get, list, list nodes (AZTK's remote login settings: an address and a port per
 * node) and delete. Long-running answers are followed to their end unless `wait: false`.
 */
import { AzureMLComputeFailedError, AzureMLOperationFailedError, AzureMLResponseFormatError } from '../../errors';
import type { AnswerHead, CallOptions } from '../../http/call-options';
import type { AmlComputeNodeInformation, ComputeResource } from '../../spec/arm/types';
import { workflowAction } from '../context';
import { resolveWorkspace, type WorkspaceLocator } from '../locator';
import type { V2WorkflowContext } from '../v2/jobs';
import { followLongRunning, isLongRunning, type LongRunningOptions } from '../v2/long-running';
import { checkComputeName, computeResourceOf, scaleSettingsOf, type ComputeScale, type ComputeSpec } from './compute-spec';
import { computeErrors } from './compute-summary';

/** A compute: its name (the workspace from the client's defaults), or its name with the workspace fields. */
export type ComputeRef = string | (Partial<WorkspaceLocator> & { name: string });

export interface ComputeLocator extends WorkspaceLocator {
  computeName: string;
}

export interface ComputeOperationOptions extends LongRunningOptions {
  /** Follow the operation to its end (default true); false returns after the service accepted it. */
  wait?: boolean;
}

/** The locator of a compute, every field named before anything is sent. */
export function resolveCompute(ctx: V2WorkflowContext, ref: ComputeRef, action: string): ComputeLocator {
  const given = typeof ref === 'string' ? { name: ref } : ref;
  if (!given || typeof given !== 'object') checkComputeName(undefined, action);
  const computeName = checkComputeName(given.name, action);
  return { ...resolveWorkspace(given, ctx.defaults, action), computeName };
}

/** A Failed compute as an error with the service's reasons. */
function failedError(resource: ComputeResource, action: string): AzureMLComputeFailedError {
  return new AzureMLComputeFailedError({
    action,
    computeName: String(resource.name ?? ''),
    provisioningState: String(resource.properties?.provisioningState ?? 'Failed'),
    reasons: computeErrors(resource),
  });
}

/** Sends an operation, follows it when it goes on (unless wait is false), and turns a Failed compute into its reasons. */
async function operate(
  ctx: V2WorkflowContext,
  locator: ComputeLocator,
  action: string,
  options: ComputeOperationOptions,
  send: (call: CallOptions) => Promise<unknown>,
): Promise<AnswerHead | undefined> {
  const { wait = true, ...rest } = options;
  let head: AnswerHead | undefined;
  await send({ signal: rest.signal, onResponse: (answer) => (head = answer) });
  if (!wait || !head || !isLongRunning(head)) return head;
  try {
    await followLongRunning(ctx.poll, head, action, rest);
  } catch (error) {
    if (!(error instanceof AzureMLOperationFailedError)) throw error;
    // The operation says Failed; the compute says why (its provisioning errors), when it is still there.
    const resource = await ctx.v2.Compute_Get(locator, { signal: rest.signal }).catch(() => undefined);
    if (resource?.properties?.provisioningState === 'Failed') throw failedError(resource, action);
    throw error;
  }
  return head;
}

/**
 * Creates an AmlCompute cluster (AZTK's create_cluster) and, unless `wait: false`, follows its
 * creation until the service says it has ended; resolves with the compute as it is then.
 */
export async function createCompute(ctx: V2WorkflowContext, ref: ComputeRef, spec: ComputeSpec, options: ComputeOperationOptions = {}): Promise<ComputeResource> {
  const action = workflowAction('createCompute');
  // The name's rule is checked with the spec, so that every problem is named at once.
  const locator = resolveCompute(ctx, ref, action);
  const parameters = computeResourceOf(locator.computeName, spec, action);
  let created: ComputeResource | undefined;
  const head = await operate(ctx, locator, action, options, async (call) => (created = await ctx.v2.Compute_CreateOrUpdate({ ...locator, parameters }, call)));
  if (options.wait === false || !head || !isLongRunning(head)) return created!;
  return getCompute(ctx, ref, { signal: options.signal });
}

/** Changes a cluster's node counts and idle time (Compute_Update); nodes come and go to match. */
export async function resizeCompute(ctx: V2WorkflowContext, ref: ComputeRef, scale: ComputeScale, options: ComputeOperationOptions = {}): Promise<ComputeResource> {
  const action = workflowAction('resizeCompute');
  const locator = resolveCompute(ctx, ref, action);
  const scaleSettings = scaleSettingsOf(scale, action);
  let updated: ComputeResource | undefined;
  const head = await operate(
    ctx,
    locator,
    action,
    options,
    async (call) => (updated = await ctx.v2.Compute_Update({ ...locator, parameters: { properties: { properties: { scaleSettings } } } }, call)),
  );
  if (options.wait === false || !head || !isLongRunning(head)) return updated!;
  return getCompute(ctx, ref, { signal: options.signal });
}

/** The compute as the service has it now (AZTK's get_cluster). */
export async function getCompute(ctx: V2WorkflowContext, ref: ComputeRef, call: CallOptions = {}): Promise<ComputeResource> {
  const locator = resolveCompute(ctx, ref, workflowAction('getCompute'));
  return ctx.v2.Compute_Get(locator, call);
}

/** Follows nextLink pages (with the API's token, on its own origin) until there is none. */
async function allPages<T>(ctx: V2WorkflowContext, first: { nextLink?: string }, items: (page: unknown) => T[] | undefined, action: string, call: CallOptions): Promise<T[]> {
  const out: T[] = [...(items(first) ?? [])];
  const seen = new Set<string>();
  for (let next = first.nextLink; next;) {
    if (seen.has(next))
      throw new AzureMLResponseFormatError({
        action,
        statusCode: 200,
        body: JSON.stringify({ nextLink: next }),
        reason: 'a nextLink that was already read (the list does not end)',
      });
    seen.add(next);
    const answer = await ctx.poll(next, call);
    const page = (answer.body ?? {}) as { nextLink?: string };
    out.push(...(items(page) ?? []));
    next = typeof page.nextLink === 'string' && page.nextLink ? page.nextLink : undefined;
  }
  return out;
}

/** Every compute of the workspace, all pages (AZTK's list_clusters). */
export async function listComputes(ctx: V2WorkflowContext, workspace: Partial<WorkspaceLocator> = {}, call: CallOptions = {}): Promise<ComputeResource[]> {
  const action = workflowAction('listComputes');
  const locator = resolveWorkspace(workspace, ctx.defaults, action);
  const first = await ctx.v2.Compute_List(locator, call);
  return allPages(ctx, first, (page) => (page as { value?: ComputeResource[] }).value, action, call);
}

/** The cluster's nodes: id, state, the run on it, and the address and port to log in (AZTK's get_remote_login_settings). */
export async function listNodes(ctx: V2WorkflowContext, ref: ComputeRef, call: CallOptions = {}): Promise<AmlComputeNodeInformation[]> {
  const action = workflowAction('listNodes');
  const locator = resolveCompute(ctx, ref, action);
  const first = await ctx.v2.Compute_ListNodes(locator, call);
  return allPages(ctx, first, (page) => (page as { nodes?: AmlComputeNodeInformation[] }).nodes, action, call);
}

export interface DeletedCompute {
  name: string;
  /** Delete (the cluster is gone) or Detach (it stays, outside the workspace). */
  underlyingResourceAction: 'Delete' | 'Detach';
}

/** Deletes the compute (AZTK's delete_cluster), or detaches it with `detach: true`, and follows the operation. */
export async function deleteCompute(ctx: V2WorkflowContext, ref: ComputeRef, options: ComputeOperationOptions & { detach?: boolean } = {}): Promise<DeletedCompute> {
  const action = workflowAction('deleteCompute');
  const locator = resolveCompute(ctx, ref, action);
  const { detach, ...rest } = options;
  const underlyingResourceAction = detach ? 'Detach' : 'Delete';
  await operate(ctx, locator, action, rest, (call) => ctx.v2.Compute_Delete({ ...locator, underlyingResourceAction }, call));
  return { name: locator.computeName, underlyingResourceAction };
}

export { failedError as computeFailedError };
