/**
 * The workflow on the v2 API: what differs from v1 is how a run starts (a command job, with its
 * code uploaded) and how it is cancelled (Jobs_Cancel, a long-running operation); a job's name is
 * its Run History run id, so waiting, following, logs, metrics, outputs and details are v1's own
 * functions, given the job's experiment (read from Jobs_Get when the caller does not say it).
 */
import { AzureMLValidationError } from '../../errors';
import type { AnswerHead, CallOptions } from '../../http/call-options';
import type { V2Actions } from '../../spec/arm/types';
import { isObject } from '../../spec/is-object';
import { workflowAction, type WorkflowContext } from '../context';
import { prepareRunDefinition } from '../definition';
import { locatorFields, resolveRun, type RunLocator, type RunRef } from '../locator';
import type { SubmitRunInput, SubmitRunOptions } from '../submit-run';
import { followLongRunning, isLongRunning, type LongRunningOptions, type Poll } from './long-running';
import { submitJob, type SubmitJobInput, type SubmitJobOptions, type SubmittedJob } from './submit-job';

export interface V2WorkflowContext extends WorkflowContext {
  /** The v2 actions, bound to the same account and options. */
  v2: V2Actions;
  /** GET of a Location or Azure-AsyncOperation URL, with the v2 API's token. */
  poll: Poll;
}

/** A v1 submitRun input with what a v2 job adds: the command and its inputs (script and definition convert). */
export type SubmitRunOrJobInput = Omit<SubmitRunInput, 'project'> & Omit<SubmitJobInput, 'definition'> & { project?: SubmitRunInput['project'] };

/** submitRun on v2: the command job of the input (or of its v1 definition), with the project folder as its code. */
export async function submitRunAsJob(ctx: V2WorkflowContext, input: SubmitRunOrJobInput, options: SubmitRunOptions & SubmitJobOptions = {}): Promise<SubmittedJob> {
  const action = workflowAction('submitJob');
  if (input.project !== undefined && typeof input.project !== 'string') {
    throw new AzureMLValidationError({ action, problems: [{ path: 'project', message: 'must be the path of the project folder: v2 uploads the files of a folder, not a zip' }] });
  }
  const { definition, script, arguments: args, target, ...rest } = input;
  const jobInput: SubmitJobInput = { ...rest, project: input.project as string | undefined };
  if (rest.command === undefined) {
    // A v1 submission: its definition (or script and arguments) as the command job that does the same.
    jobInput.definition = prepareRunDefinition({ definition, script, arguments: args, target, environmentVariables: input.environmentVariables }, action, 'definition', options);
    delete jobInput.environmentVariables;
  }
  return submitJob(ctx.v2, jobInput, ctx.defaults, options);
}

/** The run of a job, with its experiment read from Jobs_Get when neither the call nor the defaults say it. */
export async function resolveJobRun(ctx: V2WorkflowContext, ref: RunRef, action: string, call: CallOptions = {}): Promise<RunLocator> {
  const given = typeof ref === 'string' ? { runId: ref } : ref;
  if (isObject(given) && !locatorFields(given).experimentName && !ctx.defaults?.experimentName) {
    // resolveRun checks the run id (and the rest) before anything is asked.
    const workspace = resolveRun({ ...given, experimentName: 'unknown' }, ctx.defaults, action);
    const job = await ctx.v2.Jobs_Get(
      { subscriptionId: workspace.subscriptionId, resourceGroupName: workspace.resourceGroupName, workspaceName: workspace.workspaceName, id: workspace.runId },
      call,
    );
    return { ...workspace, experimentName: String(job.properties.experimentName ?? 'Default') };
  }
  return resolveRun(ref, ctx.defaults, action);
}

export interface CancelledJob {
  runId: string;
  /** The job's status once the cancel has been followed to its end. */
  status: string;
}

/** Cancels a job (Jobs_Cancel) and follows the operation until the job has stopped. */
export async function cancelJob(ctx: V2WorkflowContext, ref: RunRef, options: LongRunningOptions = {}): Promise<CancelledJob> {
  const action = workflowAction('cancelJob');
  const run = await resolveJobRun(ctx, ref, action, options);
  const locator = { subscriptionId: run.subscriptionId, resourceGroupName: run.resourceGroupName, workspaceName: run.workspaceName, id: run.runId };
  let head: AnswerHead | undefined;
  await ctx.v2.Jobs_Cancel(locator, { ...options, onResponse: (answer) => (head = answer) });
  if (head && isLongRunning(head)) await followLongRunning(ctx.poll, head, action, options);
  const job = await ctx.v2.Jobs_Get(locator, { signal: options.signal });
  return { runId: run.runId, status: String(job.properties.status ?? '') };
}
