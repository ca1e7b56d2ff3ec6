/**
 * The v2 jobs: a command job submitted with Jobs_CreateOrUpdate becomes a run (its name is the
 * Run History run id, so logs, metrics and artifacts come from the same operations as for v1),
 * runs its command, and is read back as the ARM resource with the v2 JobStatus. Cancel and delete
 * are long-running: 202 with a Location that answers 202 until the job has ended (or is gone).
 */
import { randomBytes } from 'crypto';
import type { IncomingMessage, ServerResponse } from 'http';
import type { EmulatorContext } from '../context';
import { ArmError, armPage, lastSegment, PROVIDER, systemData, workspaceId } from '../arm';
import { sendJson } from '../http-util';
import { checkCommandJob, parseCodeId, type CommandJobProperties } from '../job-command';
import { checkName } from '../names';
import type { OperationHandlers, PlainRoute } from '../routes';
import { workspaceOf } from '../run-lookup';
import { isTerminalStatus } from '../../spec/run-status';
import type { RunRecord } from '../store';
import { emulatorCodeLocation } from './codes';
import { trackingUri } from './mlflow';

const OPERATIONS_PATH = /^\/subscriptions\/([^/]+)\/providers\/Microsoft\.MachineLearningServices\/locations\/local\/mfeOperationResults\/([a-f0-9]{32})$/i;

interface PendingOperation {
  kind: 'cancel' | 'delete';
  workspace: string;
  runId: string;
}

/** Cancels and deletes in progress, by operation id: what their Location URLs poll. */
const operations = new WeakMap<EmulatorContext, Map<string, PendingOperation>>();
const operationsOf = (ctx: EmulatorContext) => {
  let map = operations.get(ctx);
  if (!map) operations.set(ctx, (map = new Map()));
  return map;
};

/** Fields of a submitted job that may change in a PUT of the same name; the rest is fixed once submitted. */
const MUTABLE = new Set(['description', 'tags', 'properties', 'displayName', 'isArchived', 'status', 'services', 'notificationSetting']);

function fixedPart(job: Record<string, unknown>): string {
  return JSON.stringify(
    Object.keys(job)
      .filter((k) => !MUTABLE.has(k) && job[k] !== undefined && job[k] !== null)
      .sort()
      .map((k) => [k, job[k]]),
  );
}

function jobJson(ctx: EmulatorContext, input: Record<string, unknown>, run: RunRecord): Record<string, unknown> {
  const id = `${run.armWorkspace ?? workspaceId(input)}/jobs/${run.runId}`;
  const tracking = trackingUri(ctx.baseUrl, run);
  return {
    id,
    name: run.runId,
    type: `${PROVIDER}/workspaces/jobs`,
    properties: {
      ...run.job,
      experimentName: run.experimentName,
      status: run.status,
      services: {
        Studio: { jobServiceType: 'Studio', endpoint: `${ctx.baseUrl}/#/jobs/${encodeURIComponent(run.runId)}`, status: 'Running' },
        Tracking: { jobServiceType: 'Tracking', endpoint: tracking, status: 'Running' },
      },
    },
    systemData: systemData(run.createdUtc, run.endTimeUtc ?? run.startTimeUtc ?? run.createdUtc),
  };
}

function findJob(ctx: EmulatorContext, input: Record<string, unknown>): RunRecord {
  const run = ctx.store.getRun(workspaceOf(input), String(input.id));
  if (!run?.job || run.deleting) throw new ArmError(404, 'UserError', `Job ${String(input.id)} was not found in workspace ${String(input.workspaceName)}.`, 'id');
  return run;
}

function operationLocation(ctx: EmulatorContext, input: Record<string, unknown>, op: PendingOperation): string {
  const id = randomBytes(16).toString('hex');
  operationsOf(ctx).set(id, op);
  return `${ctx.baseUrl}/subscriptions/${String(input.subscriptionId)}/providers/${PROVIDER}/locations/local/mfeOperationResults/${id}?api-version=2024-10-01`;
}

/** Checks what the job names (code, compute) exists, as the service does at submission. */
function checkReferences(ctx: EmulatorContext, workspace: string, job: CommandJobProperties & Record<string, unknown>, input: Record<string, unknown>): void {
  if (job.codeId) {
    const ref = parseCodeId(job.codeId);
    const version = ref && ctx.store.getCodeVersion(workspace, ref.name, ref.version);
    if (!version) throw new ArmError(400, 'UserError', `The code version ${job.codeId} was not found in workspace ${String(input.workspaceName)}.`, 'codeId');
    if (!emulatorCodeLocation(ctx, version.properties.codeUri)) {
      throw new ArmError(400, 'UserError', `The code version ${job.codeId} has a codeUri outside this emulator's blob endpoint; the emulator runs code uploaded to it.`, 'codeId');
    }
  }
  if (job.computeId) computeOf(ctx, workspace, job.computeId, input);
}

/** The cluster a job's computeId names (a name, `azureml:name` or an ARM id of this workspace), or the service's 400. */
function computeOf(ctx: EmulatorContext, workspace: string, computeId: string, input: Record<string, unknown>): string {
  const name = lastSegment(computeId.replace(/^azureml:/i, ''));
  const armWorkspace = /\/workspaces\/([^/]+)\/computes\//i.exec(computeId)?.[1];
  const found = ctx.store.getCompute(workspace, name);
  const compute = found && ctx.computes.settle(found);
  if (!compute || compute.provisioningState === 'Deleting' || (armWorkspace !== undefined && armWorkspace.toLowerCase() !== String(input.workspaceName).toLowerCase())) {
    throw new ArmError(400, 'UserError', `Unknown compute target '${name}'.`, 'computeId');
  }
  return compute.name;
}

export const jobHandlers: OperationHandlers = {
  Jobs_CreateOrUpdate: {
    handle(ctx, input, _req, res: ServerResponse) {
      const workspace = workspaceOf(input);
      const name = checkName(input.id, 'id');
      const job = ((input.body as { properties?: Record<string, unknown> }).properties ?? {}) as CommandJobProperties & Record<string, unknown>;
      if (job.jobType !== 'Command') throw new ArmError(400, 'UserError', `The emulator runs command jobs (jobType Command), not ${String(job.jobType)} jobs.`, 'jobType');
      const existing = ctx.store.getRun(workspace, name);
      if (existing) {
        if (!existing.job) throw new ArmError(409, 'UserError', `The name ${name} is taken by a run of this workspace.`, 'id');
        // The same submission again (a retry): the job as it is. Another one under a taken name: refused.
        if (fixedPart(existing.job) !== fixedPart(job)) {
          throw new ArmError(
            409,
            'UserError',
            `A job named ${name} already exists; a submitted job cannot be changed (only description, tags, properties and displayName can).`,
            'id',
          );
        }
        const changes = Object.fromEntries([...MUTABLE].filter((k) => job[k] !== undefined && k !== 'status' && k !== 'services').map((k) => [k, job[k]]));
        ctx.store.updateRun(existing, { job: { ...existing.job, ...changes } });
        return sendJson(res, 200, jobJson(ctx, input, existing));
      }
      checkCommandJob(job);
      checkReferences(ctx, workspace, job, input);
      const now = new Date().toISOString();
      const experiment = ctx.store.ensureExperiment(workspace, checkName(job.experimentName ?? 'Default', 'experimentName'), now);
      const { status: _status, services: _services, ...submitted } = job;
      const run = ctx.store.createRun(
        {
          workspace,
          experimentName: experiment.name,
          experimentId: experiment.experimentId,
          runId: name,
          target: job.computeId ? computeOf(ctx, workspace, job.computeId, input) : 'serverless',
          runType: 'azureml.CommandJob',
          definition: {},
          snapshotId: '',
          job: submitted,
          armWorkspace: workspaceId(input),
          ...(job.tags ? { tags: { ...(job.tags as Record<string, string>) } } : {}),
        },
        now,
      );
      ctx.runner.enqueue(run);
      sendJson(res, 201, jobJson(ctx, input, run));
    },
  },
  Jobs_Get: {
    handle(ctx, input, _req, res) {
      sendJson(res, 200, jobJson(ctx, input, findJob(ctx, input)));
    },
  },
  Jobs_List: {
    handle(ctx, input, req: IncomingMessage, res) {
      const workspace = workspaceOf(input);
      let jobs = ctx.store.listRuns((run) => run.workspace === workspace && !!run.job && !run.deleting).sort((a, b) => b.runNumber - a.runNumber);
      if (input.jobType !== undefined && input.jobType !== 'Command') jobs = [];
      if (typeof input.tag === 'string') jobs = jobs.filter((run) => run.tags && Object.prototype.hasOwnProperty.call(run.tags, input.tag as string));
      sendJson(
        res,
        200,
        armPage(jobs, input, req, ctx.baseUrl, ctx.options.pageSize, (run) => jobJson(ctx, input, run)),
      );
    },
  },
  Jobs_Cancel: {
    handle(ctx, input, _req, res) {
      const run = findJob(ctx, input);
      if (isTerminalStatus(run.status)) return void res.writeHead(200, { 'content-length': '0' }).end();
      ctx.runner.cancel(run);
      const location = operationLocation(ctx, input, { kind: 'cancel', workspace: run.workspace, runId: run.runId });
      res.writeHead(202, { location, 'retry-after': '1', 'content-length': '0' });
      res.end();
    },
  },
  Jobs_Delete: {
    handle(ctx, input, _req, res) {
      const run = ctx.store.getRun(workspaceOf(input), String(input.id));
      if (!run?.job || run.deleting) return void res.writeHead(204).end();
      if (isTerminalStatus(run.status)) ctx.store.deleteRun(run);
      else {
        // Gone from the API now; its record and files go when its processes have stopped.
        ctx.store.updateRun(run, { deleting: true });
        ctx.runner.cancel(run);
      }
      const location = operationLocation(ctx, input, { kind: 'delete', workspace: run.workspace, runId: run.runId });
      res.writeHead(202, { location, 'retry-after': '1', 'content-length': '0' });
      res.end();
    },
  },
};

/** The Location of a cancel or delete: 202 while it is under way, then 200 (done). */
export const jobOperationRoutes: readonly PlainRoute[] = [
  {
    method: 'GET',
    matches: (pathname) => OPERATIONS_PATH.test(pathname),
    handle(ctx, url, req, res) {
      // A Location is polled with the same bearer token as the operation that gave it.
      if (ctx.auth.check(req).kind === 'run') throw new ArmError(403, 'AuthorizationFailed', 'A run token (AZUREML_RUN_TOKEN) may not poll operations.');
      const id = OPERATIONS_PATH.exec(url.pathname)![2].toLowerCase();
      const op = operationsOf(ctx).get(id);
      if (!op) throw new ArmError(404, 'UserError', 'The operation was not found (operations are kept while the emulator runs).');
      const run = ctx.store.getRun(op.workspace, op.runId);
      if (run && !isTerminalStatus(run.status)) {
        res.writeHead(202, { location: url.toString(), 'retry-after': '1', 'content-length': '0' });
        return void res.end();
      }
      if (op.kind === 'delete' && run && ctx.store.getRun(op.workspace, op.runId)) ctx.store.deleteRun(run);
      operationsOf(ctx).delete(id);
      res.writeHead(200, { 'content-length': '0' });
      res.end();
    },
  },
];
