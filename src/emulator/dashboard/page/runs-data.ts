/** The runs of every workspace and experiment the emulator has, newest first (the list and the computes view share it). */
import { listWorkspaces, newestRuns, type ListedRun, type Workspace } from './api';

/** Runs read per experiment: the list shows the newest. */
export const RUNS_PER_EXPERIMENT = 100;

export interface RunsData {
  workspaces: Workspace[];
  runs: ListedRun[];
}

export const workspaceKey = (w: Workspace) => `${w.subscriptionId}/${w.resourceGroupName}/${w.workspaceName}`;

export async function loadRuns(signal?: AbortSignal): Promise<RunsData> {
  const workspaces = await listWorkspaces(signal);
  const lists = await Promise.all(workspaces.flatMap((w) => w.experiments.map((e) => newestRuns(w, e.name, RUNS_PER_EXPERIMENT, signal))));
  const runs = lists.flat().sort((a, b) => (b.createdUtc ?? '').localeCompare(a.createdUtc ?? '') || (b.runNumber ?? 0) - (a.runNumber ?? 0));
  return { workspaces, runs };
}

/** `#/runs/<subscription>/<group>/<workspace>/<experiment>/<run id>`. */
export function runHref(run: { workspace: Workspace; experimentName: string; runId: string }): string {
  const w = run.workspace;
  return `#/runs/${[w.subscriptionId, w.resourceGroupName, w.workspaceName, run.experimentName, run.runId].map(encodeURIComponent).join('/')}`;
}
