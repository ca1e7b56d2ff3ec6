/**
 * The v2 computes: AmlCompute clusters, created like Azure Resource Manager creates them (201
 * Creating with an Azure-AsyncOperation to poll, Succeeded after the emulator's provisioning
 * delay), resized with Compute_Update, listed with their nodes (127.0.0.1, a port each), and
 * deleted as a long-running operation. Runs on a cluster wait for its free nodes (compute-pool.ts).
 */
import { randomBytes } from 'crypto';
import type { IncomingMessage, ServerResponse } from 'http';
import type { EmulatorContext } from '../context';
import { ArmError, armPage, PROVIDER, workspaceId } from '../arm';
import { scaleOf, type ScaleSettings } from '../compute-pool';
import { isoDurationSeconds } from '../../spec/iso-duration';
import { sendJson } from '../http-util';
import type { OperationHandlers, PlainRoute } from '../routes';
import { workspaceOf } from '../run-lookup';
import type { ComputeOperationRecord, ComputeRecord } from '../store';

/** The service's rule for AmlCompute names. */
const COMPUTE_NAME = /^[a-zA-Z](?:[a-zA-Z0-9-]{0,14}[a-zA-Z0-9])$/;
const OPERATION_PATH = /^\/subscriptions\/([^/]+)\/providers\/Microsoft\.MachineLearningServices\/locations\/local\/computeOperations(Status|Results)\/([a-f0-9]{32})$/i;
/** What an AmlCompute's `properties` keeps of what was given: the rest is the service's to say. */
const KEPT = ['osType', 'vmSize', 'vmPriority', 'isolatedNetwork', 'remoteLoginPortPublicAccess', 'enableNodePublicIp', 'subnet', 'virtualMachineImage', 'propertyBag'];

export function checkComputeName(name: string): void {
  if (!COMPUTE_NAME.test(name)) {
    throw new ArmError(
      400,
      'ValidationError',
      `Compute name ${JSON.stringify(name)} is invalid: it can include letters, digits and dashes, must start with a letter, end with a letter or digit, and be 2 to 16 characters long.`,
      'computeName',
    );
  }
}

function notFound(input: Record<string, unknown>): ArmError {
  return new ArmError(
    404,
    'ResourceNotFound',
    `The Resource '${PROVIDER}/workspaces/${String(input.workspaceName)}/computes/${String(input.computeName)}' under resource group '${String(input.resourceGroupName)}' was not found.`,
  );
}

/** The cluster the input names, moved forward to now; a 404 when there is none (or it is being deleted, for `live`). */
function findCompute(ctx: EmulatorContext, input: Record<string, unknown>, live = false): ComputeRecord {
  const found = ctx.store.getCompute(workspaceOf(input), String(input.computeName));
  const compute = found && ctx.computes.settle(found);
  if (!compute || (live && compute.provisioningState === 'Deleting')) throw notFound(input);
  return compute;
}

function computeJson(ctx: EmulatorContext, compute: ComputeRecord): Record<string, unknown> {
  const now = ctx.computes.now;
  const scale = scaleOf(compute);
  const nodes = compute.nodes;
  const running = nodes.filter((n) => n.runId !== undefined).length;
  const provisioned = compute.provisioningState !== 'Creating' && compute.provisioningState !== 'Failed';
  return {
    id: `${compute.armWorkspace}/computes/${compute.name}`,
    name: compute.name,
    type: `${PROVIDER}/workspaces/computes`,
    ...(compute.location ? { location: compute.location } : {}),
    ...(compute.tags ? { tags: compute.tags } : {}),
    properties: {
      computeType: 'AmlCompute',
      ...(compute.location ? { computeLocation: compute.location } : {}),
      provisioningState: compute.provisioningState,
      ...(compute.description !== undefined ? { description: compute.description } : {}),
      createdOn: compute.createdOn,
      modifiedOn: compute.modifiedOn,
      isAttachedCompute: false,
      provisioningErrors: compute.provisioningErrors ?? null,
      properties: {
        ...compute.properties,
        scaleSettings: scale,
        allocationState: now < compute.steadyAtMs ? 'Resizing' : 'Steady',
        allocationStateTransitionTime: compute.allocationStateTransitionTime,
        errors: compute.provisioningErrors ?? null,
        currentNodeCount: provisioned ? nodes.length : 0,
        targetNodeCount: provisioned ? Math.min(scale.maxNodeCount, Math.max(scale.minNodeCount, running)) : 0,
        nodeStateCounts: {
          idleNodeCount: nodes.length - running,
          runningNodeCount: running,
          preparingNodeCount: 0,
          unusableNodeCount: 0,
          leavingNodeCount: 0,
          preemptedNodeCount: 0,
        },
      },
    },
  };
}

/** Azure-AsyncOperation (status) and Location (result) URLs of an operation on a cluster. */
function startOperation(ctx: EmulatorContext, input: Record<string, unknown>, compute: ComputeRecord, kind: ComputeOperationRecord['kind']): { status: string; result: string } {
  const id = randomBytes(16).toString('hex');
  ctx.store.putComputeOperation(id, { workspace: compute.workspace, computeName: compute.name, kind, startTime: new Date(ctx.computes.now).toISOString() });
  const base = `${ctx.baseUrl}/subscriptions/${String(input.subscriptionId)}/providers/${PROVIDER}/locations/local`;
  return { status: `${base}/computeOperationsStatus/${id}?api-version=2024-10-01`, result: `${base}/computeOperationsResults/${id}?api-version=2024-10-01` };
}

/** The scale settings of a body, checked: whole numbers, minNodeCount <= maxNodeCount, an ISO 8601 idle time. */
function checkScale(given: unknown, field: string): ScaleSettings {
  const scale = (given ?? undefined) as Partial<ScaleSettings> | undefined;
  if (!scale) throw new ArmError(400, 'ValidationError', `${field} is required: the cluster's maxNodeCount (and minNodeCount).`, field);
  const min = scale.minNodeCount ?? 0;
  const max = scale.maxNodeCount as number;
  for (const [name, value] of [
    ['minNodeCount', min],
    ['maxNodeCount', max],
  ] as const) {
    if (!Number.isSafeInteger(value) || value < 0)
      throw new ArmError(400, 'ValidationError', `${field}.${name} must be a whole number, 0 or more (got ${String(value)}).`, `${field}.${name}`);
  }
  if (min > max) throw new ArmError(400, 'ValidationError', `${field}.minNodeCount (${min}) must not be more than maxNodeCount (${max}).`, `${field}.minNodeCount`);
  const idle = scale.nodeIdleTimeBeforeScaleDown;
  if (idle !== undefined && isoDurationSeconds(idle) === undefined) {
    throw new ArmError(
      400,
      'ValidationError',
      `${field}.nodeIdleTimeBeforeScaleDown must be an ISO 8601 duration such as PT120S (got ${JSON.stringify(idle)}).`,
      `${field}.nodeIdleTimeBeforeScaleDown`,
    );
  }
  return { minNodeCount: min, maxNodeCount: max, ...(idle !== undefined ? { nodeIdleTimeBeforeScaleDown: idle } : {}) };
}

/** The fields of a PUT on an existing cluster that may differ: the rest is fixed once created. */
function changedFixedField(compute: ComputeRecord, properties: Record<string, unknown>): string | undefined {
  for (const field of ['vmSize', 'vmPriority', 'osType']) {
    const given = properties[field];
    if (given !== undefined && String(given).toLowerCase() !== String(compute.properties[field] ?? '').toLowerCase()) return field;
  }
  return undefined;
}

function resize(ctx: EmulatorContext, compute: ComputeRecord, scale: ScaleSettings): void {
  const now = ctx.computes.now;
  compute.properties = { ...compute.properties, scaleSettings: scale };
  compute.modifiedOn = new Date(now).toISOString();
  compute.allocationStateTransitionTime = compute.modifiedOn;
  compute.steadyAtMs = now + ctx.computes.provisioningMs;
  if (compute.provisioningState === 'Succeeded') {
    compute.provisioningState = 'Updating';
    compute.readyAtMs = now + ctx.computes.provisioningMs;
  }
}

const startsOnly = (verb: string) => ({
  handle(ctx: EmulatorContext, input: Record<string, unknown>) {
    const compute = findCompute(ctx, input, true);
    throw new ArmError(
      400,
      'UserError',
      `${verb} applies to compute instances; ${compute.name} is an AmlCompute cluster, whose nodes come and go with its scale settings (change minNodeCount with Compute_Update instead).`,
      'computeName',
    );
  },
});

export const computeHandlers: OperationHandlers = {
  Compute_CreateOrUpdate: {
    handle(ctx, input, _req, res: ServerResponse) {
      const name = String(input.computeName);
      checkComputeName(name);
      const body = (input.parameters ?? {}) as { location?: string; tags?: Record<string, string>; properties?: Record<string, unknown> };
      const outer = body.properties ?? {};
      if (outer.computeType !== 'AmlCompute') {
        throw new ArmError(400, 'UserError', `The emulator provides AmlCompute clusters (computeType AmlCompute), not ${String(outer.computeType)}.`, 'properties.computeType');
      }
      const given = (outer.properties ?? {}) as Record<string, unknown>;
      const workspace = workspaceOf(input);
      const found = ctx.store.getCompute(workspace, name);
      const existing = found && ctx.computes.settle(found);
      if (existing) {
        if (existing.provisioningState === 'Deleting')
          throw new ArmError(409, 'Conflict', `Compute ${existing.name} is being deleted; create it again when the delete has ended.`, 'computeName');
        const fixed = changedFixedField(existing, given);
        if (fixed) {
          throw new ArmError(
            400,
            'UserError',
            `Compute ${existing.name} exists with ${fixed} ${JSON.stringify(existing.properties[fixed])}; only its scale settings, description and tags can change (delete it and create it again for another ${fixed}).`,
            `properties.properties.${fixed}`,
          );
        }
        if (given.scaleSettings !== undefined) {
          // As Compute_Update: a working cluster is not turned Failed by a scale over the quota.
          const scale = checkScale(given.scaleSettings, 'properties.properties.scaleSettings');
          const problem = ctx.computes.quotaProblem(scale);
          if (problem) throw new ArmError(400, 'QuotaExceeded', problem, 'properties.properties.scaleSettings.maxNodeCount');
          resize(ctx, existing, scale);
        }
        if (outer.description !== undefined) existing.description = String(outer.description);
        if (body.tags !== undefined) existing.tags = body.tags;
        ctx.store.putCompute(existing);
        const op = startOperation(ctx, input, existing, 'update');
        ctx.runner.pump();
        return sendJson(res, 200, computeJson(ctx, existing), { 'azure-asyncoperation': op.status });
      }
      if (typeof given.vmSize !== 'string' || !given.vmSize)
        throw new ArmError(400, 'ValidationError', 'properties.properties.vmSize is required: the size of the nodes (e.g. STANDARD_DS3_V2).', 'properties.properties.vmSize');
      const scale = checkScale(given.scaleSettings, 'properties.properties.scaleSettings');
      const now = ctx.computes.now;
      const created = new Date(now).toISOString();
      const credentials = given.userAccountCredentials as { adminUserName?: string } | undefined;
      const properties: Record<string, unknown> = Object.fromEntries(KEPT.filter((k) => given[k] !== undefined).map((k) => [k, given[k]]));
      // The admin's name is shown; a password or key never is (x-ms-secret): the emulator does not keep them.
      if (credentials?.adminUserName) properties.userAccountCredentials = { adminUserName: credentials.adminUserName };
      const compute: ComputeRecord = {
        workspace,
        name,
        armWorkspace: workspaceId(input),
        ...(body.location ? { location: body.location } : {}),
        ...(outer.description !== undefined && outer.description !== null ? { description: String(outer.description) } : {}),
        ...(body.tags ? { tags: body.tags } : {}),
        createdOn: created,
        modifiedOn: created,
        properties: { osType: 'Linux', vmPriority: 'Dedicated', remoteLoginPortPublicAccess: 'NotSpecified', ...properties, scaleSettings: scale },
        provisioningState: 'Creating',
        readyAtMs: now + ctx.computes.provisioningMs,
        steadyAtMs: now + ctx.computes.provisioningMs,
        allocationStateTransitionTime: created,
        nodes: [],
        nodeCounter: 0,
      };
      ctx.store.putCompute(compute);
      const op = startOperation(ctx, input, compute, 'create');
      sendJson(res, 201, computeJson(ctx, compute), { 'azure-asyncoperation': op.status });
    },
  },
  Compute_Update: {
    handle(ctx, input, _req, res) {
      const compute = findCompute(ctx, input, true);
      if (compute.provisioningState === 'Creating' || compute.provisioningState === 'Failed') {
        throw new ArmError(409, 'Conflict', `Compute ${compute.name} is ${compute.provisioningState}; its scale can change once it has been provisioned.`, 'computeName');
      }
      const body = (input.parameters ?? {}) as { properties?: { properties?: { scaleSettings?: unknown } } };
      const scale = checkScale(body.properties?.properties?.scaleSettings, 'properties.properties.scaleSettings');
      const problem = ctx.computes.quotaProblem(scale);
      if (problem) throw new ArmError(400, 'QuotaExceeded', problem, 'properties.properties.scaleSettings.maxNodeCount');
      resize(ctx, compute, scale);
      ctx.store.putCompute(compute);
      const op = startOperation(ctx, input, compute, 'update');
      ctx.runner.pump();
      sendJson(res, 200, computeJson(ctx, compute), { 'azure-asyncoperation': op.status });
    },
  },
  Compute_Get: {
    handle(ctx, input, _req, res) {
      sendJson(res, 200, computeJson(ctx, findCompute(ctx, input)));
    },
  },
  Compute_List: {
    handle(ctx, input, req: IncomingMessage, res) {
      const computes = ctx.store
        .listComputes(workspaceOf(input))
        .map((c) => ctx.computes.settle(c))
        .filter((c): c is ComputeRecord => !!c)
        .sort((a, b) => a.name.localeCompare(b.name));
      sendJson(
        res,
        200,
        armPage(computes, input, req, ctx.baseUrl, ctx.options.pageSize, (c) => computeJson(ctx, c)),
      );
    },
  },
  Compute_ListNodes: {
    handle(ctx, input, _req, res) {
      const compute = findCompute(ctx, input, true);
      const nodes = compute.nodes.map((node) => ({
        nodeId: node.nodeId,
        privateIpAddress: '127.0.0.1',
        publicIpAddress: '127.0.0.1',
        port: node.port,
        nodeState: node.runId !== undefined ? 'running' : 'idle',
        runId: node.runId ?? null,
      }));
      sendJson(res, 200, { nodes });
    },
  },
  Compute_Delete: {
    handle(ctx, input, _req, res) {
      const compute = findCompute(ctx, input);
      if (compute.provisioningState !== 'Deleting') {
        const now = ctx.computes.now;
        compute.provisioningState = 'Deleting';
        compute.readyAtMs = now + ctx.computes.provisioningMs;
        compute.modifiedOn = new Date(now).toISOString();
        // Its runs end with it, as on the service: those queued and those running.
        const message = `AzureMLCompute cluster ${compute.name} was deleted (${String(input.underlyingResourceAction)}) while the run was waiting for it or running on it.`;
        const runs = new Set(ctx.computes.runsOn(compute));
        ctx.runner.failRuns((run) => runs.has(run), message, 'ComputeDeleted');
        ctx.store.putCompute(compute);
      }
      const op = startOperation(ctx, input, compute, 'delete');
      res.writeHead(202, { 'azure-asyncoperation': op.status, location: op.result, 'retry-after': '1', 'content-length': '0' });
      res.end();
    },
  },
  Compute_Start: startsOnly('Start'),
  Compute_Stop: startsOnly('Stop'),
  Compute_Restart: startsOnly('Restart'),
};

/** Where an operation stands: InProgress, Succeeded or Failed (with the cluster's provisioning error). */
function operationStatus(ctx: EmulatorContext, op: ComputeOperationRecord): { status: string; error?: { code: string; message: string } } {
  const found = ctx.store.getCompute(op.workspace, op.computeName);
  const compute = found && ctx.computes.settle(found);
  if (op.kind === 'delete') return { status: compute ? 'InProgress' : 'Succeeded' };
  if (!compute || compute.provisioningState === 'Deleting') {
    return { status: 'Canceled', error: { code: 'ResourceDeleted', message: `Compute ${op.computeName} was deleted before the operation ended.` } };
  }
  if (compute.provisioningState === 'Failed')
    return { status: 'Failed', error: compute.provisioningErrors?.[0]?.error ?? { code: 'ProvisioningFailed', message: 'Provisioning failed.' } };
  if (compute.provisioningState === 'Succeeded' && ctx.computes.now >= compute.steadyAtMs) return { status: 'Succeeded' };
  return { status: 'InProgress' };
}

/** The Azure-AsyncOperation (a status body) and Location (202 until done) of compute operations. */
export const computeOperationRoutes: readonly PlainRoute[] = [
  {
    method: 'GET',
    matches: (pathname) => OPERATION_PATH.test(pathname),
    handle(ctx, url, req, res) {
      if (ctx.auth.check(req).kind === 'run') throw new ArmError(403, 'AuthorizationFailed', 'A run token (AZUREML_RUN_TOKEN) may not poll operations.');
      const [, , which, rawId] = OPERATION_PATH.exec(url.pathname)!;
      const id = rawId.toLowerCase();
      const op = ctx.store.getComputeOperation(id);
      if (!op) throw new ArmError(404, 'UserError', 'The operation was not found.');
      const state = operationStatus(ctx, op);
      const done = state.status !== 'InProgress';
      if (which.toLowerCase() === 'results') {
        if (!done) return void res.writeHead(202, { location: url.toString(), 'retry-after': '1', 'content-length': '0' }).end();
        if (state.error) return sendJson(res, 400, { error: { ...state.error, details: [], additionalInfo: [] } });
        return void res.writeHead(200, { 'content-length': '0' }).end();
      }
      const body: Record<string, unknown> = { id: url.pathname, name: id, status: state.status, startTime: op.startTime };
      if (done) body.endTime = new Date(ctx.computes.now).toISOString();
      if (state.error) body.error = { ...state.error, details: [], additionalInfo: [] };
      sendJson(res, 200, body, done ? {} : { 'retry-after': '1' });
    },
  },
];
