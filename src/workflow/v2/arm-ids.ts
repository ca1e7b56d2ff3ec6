/**
 * The ids a job names its compute and environment by, as the service takes them: Resource
 * Manager ids. azure-ai-ml turns `cpu-cluster` or `azureml:cpu-cluster` into
 * `/subscriptions/.../workspaces/<ws>/computes/cpu-cluster`, and `azureml:env:3` into
 * `.../environments/env/versions/3`, before sending; so does submitJob. Ids that are already
 * full (a leading /, or azureml:// of a registry) go as given; `azureml:env@latest` too, since
 * finding the latest version needs the environments API.
 */
import type { WorkspaceLocator } from '../locator';

const PROVIDER = 'Microsoft.MachineLearningServices';

export function workspaceArmId(ws: WorkspaceLocator): string {
  return `/subscriptions/${ws.subscriptionId}/resourceGroups/${ws.resourceGroupName}/providers/${PROVIDER}/workspaces/${ws.workspaceName}`;
}

/** `cpu-cluster` or `azureml:cpu-cluster` as the compute's ARM id in the workspace; anything else as given. */
export function qualifyComputeId(id: string, ws: WorkspaceLocator): string {
  const name = id.replace(/^azureml:(?!\/\/)/i, '');
  if (!name || name.includes('/') || name.includes(':')) return id;
  return `${workspaceArmId(ws)}/computes/${name}`;
}

/** `azureml:env:3` as the environment version's ARM id in the workspace; anything else as given. */
export function qualifyEnvironmentId(id: string, ws: WorkspaceLocator): string {
  const match = /^azureml:([A-Za-z0-9][\w.-]*):([\w.-]+)$/i.exec(id);
  if (!match) return id;
  return `${workspaceArmId(ws)}/environments/${match[1]}/versions/${match[2]}`;
}
