/**
 * The one endpoint the emulator has for its dashboard alone (documented in the README): what
 * workspaces and experiments exist. A real workspace is known to its user from the portal; an
 * emulator takes any names, so the page asks it which ones were used. Everything else the page
 * shows it reads from the public APIs (Run History, artifacts, metrics, v2 jobs and computes).
 * It needs the owner's bearer token, as the APIs do; a run's own token may not list anything.
 */
import type { IncomingMessage, ServerResponse } from 'http';
import type { EmulatorContext } from '../context';
import { HttpError, sendJson } from '../http-util';
import type { PlainRoute } from '../routes';

export const DASHBOARD_API_PATH = '/emulator/dashboard/v1.0/workspaces';

interface WorkspaceEntry {
  subscriptionId: string;
  resourceGroupName: string;
  workspaceName: string;
  /** Its experiments, the one with the newest run first. */
  experiments: Array<{ name: string; latestCreatedRunCreatedUtc?: string }>;
  /** How many compute clusters it has. */
  computes: number;
}

function workspaces(ctx: EmulatorContext): WorkspaceEntry[] {
  const byKey = new Map<string, WorkspaceEntry>();
  const entry = (workspace: string) => {
    let found = byKey.get(workspace);
    if (!found) {
      const [subscriptionId, resourceGroupName, workspaceName] = workspace.split('/');
      found = { subscriptionId, resourceGroupName, workspaceName, experiments: [], computes: 0 };
      byKey.set(workspace, found);
    }
    return found;
  };
  for (const experiment of ctx.store.listExperiments()) {
    const item: WorkspaceEntry['experiments'][number] = { name: experiment.name };
    if (experiment.latestCreatedRunCreatedUtc) item.latestCreatedRunCreatedUtc = experiment.latestCreatedRunCreatedUtc;
    entry(experiment.workspace).experiments.push(item);
  }
  for (const compute of ctx.store.listComputes()) entry(compute.workspace).computes++;
  const list = [...byKey.values()];
  for (const item of list) item.experiments.sort((a, b) => (b.latestCreatedRunCreatedUtc ?? '').localeCompare(a.latestCreatedRunCreatedUtc ?? '') || a.name.localeCompare(b.name));
  return list.sort((a, b) => `${a.subscriptionId}/${a.resourceGroupName}/${a.workspaceName}`.localeCompare(`${b.subscriptionId}/${b.resourceGroupName}/${b.workspaceName}`));
}

function handleWorkspaces(ctx: EmulatorContext, _url: URL, req: IncomingMessage, res: ServerResponse): void {
  if (ctx.auth.check(req).kind !== 'owner') {
    throw new HttpError(403, 'UserError', 'A run token (AZUREML_RUN_TOKEN) may not list the workspaces of the emulator', { innerCode: 'RunTokenScope' });
  }
  sendJson(res, 200, { value: workspaces(ctx) });
}

export const dashboardApiRoutes: readonly PlainRoute[] = [{ method: 'GET', matches: (pathname) => pathname === DASHBOARD_API_PATH, handle: handleWorkspaces }];
