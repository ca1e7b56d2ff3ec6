/** The workspace and run an operation's input names, as the handlers find them. */
import type { EmulatorContext } from './context';
import { HttpError } from './http-util';
import { workspaceKey, type RunRecord } from './store';

export function workspaceOf(input: Record<string, unknown>): string {
  return workspaceKey(String(input.subscriptionId), String(input.resourceGroupName), String(input.workspaceName));
}

/** The run of `input` (runId in experimentName), or the service's 404 RunNotFound. */
export function findRun(ctx: EmulatorContext, input: Record<string, unknown>): RunRecord {
  const run = ctx.store.getRun(workspaceOf(input), String(input.runId));
  if (!run || run.experimentName.toLowerCase() !== String(input.experimentName).toLowerCase()) {
    throw new HttpError(404, 'UserError', `Run ${String(input.runId)} was not found in experiment ${String(input.experimentName)}`, { target: 'runId', innerCode: 'RunNotFound' });
  }
  return run;
}
