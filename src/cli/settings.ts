/**
 * Where the CLI's account and workspace come from: flags first, then the environment. Tokens are
 * never flags (a command line is visible to every user of the machine): AZUREML_ACCESS_TOKEN, or
 * a service principal from AZURE_TENANT_ID, AZURE_CLIENT_ID and AZURE_CLIENT_SECRET.
 */
import type { Account } from '../account/account';
import { accountFromEnvironment, ENVIRONMENT_VARIABLES, hasCredentials, SERVICE_PRINCIPAL_VARIABLES, workspaceFromEnvironment } from '../config/environment';
import type { ExperimentLocator } from '../workflow/locator';
import { CliUsageError } from './exit-codes';

export interface GlobalFlags {
  host?: string;
  region?: string;
  subscriptionId?: string;
  resourceGroup?: string;
  workspace?: string;
  experiment?: string;
  api?: string;
  managementHost?: string;
}

export interface CliSettings {
  account: Account;
  /** On v2 the experiment may be left out: jobs go to Default, and a job's experiment is read from Jobs_Get. */
  workspace: Partial<ExperimentLocator>;
  api: 'v1' | 'v2';
}

const WORKSPACE_SETTINGS: Array<{ field: keyof ExperimentLocator; flag: keyof GlobalFlags; option: string }> = [
  { field: 'subscriptionId', flag: 'subscriptionId', option: '--subscription-id' },
  { field: 'resourceGroupName', flag: 'resourceGroup', option: '--resource-group' },
  { field: 'workspaceName', flag: 'workspace', option: '--workspace' },
  { field: 'experimentName', flag: 'experiment', option: '--experiment' },
];

export function resolveSettings(flags: GlobalFlags, env: Record<string, string | undefined>): CliSettings {
  const account = accountFromEnvironment(env);
  if (flags.host) {
    account.host = flags.host;
    delete account.region;
  } else if (flags.region) {
    account.region = flags.region;
    delete account.host;
  }
  if (flags.managementHost) account.management_host = flags.managementHost;
  const api = flags.api ?? account.api ?? 'v1';
  if (api !== 'v1' && api !== 'v2') throw new CliUsageError(`--api (or ${ENVIRONMENT_VARIABLES.api}) must be v1 or v2 (got ${JSON.stringify(api)})`);
  account.api = api;
  const fromEnv = workspaceFromEnvironment(env);
  const workspace: Partial<ExperimentLocator> = {};
  const missing: string[] = [];
  for (const { field, flag, option } of WORKSPACE_SETTINGS) {
    const found = flags[flag] ?? fromEnv[field];
    if (found) workspace[field] = found;
    else if (!(api === 'v2' && field === 'experimentName')) missing.push(`${option} or ${ENVIRONMENT_VARIABLES[field]}`);
  }
  if (!account.host && !account.region) missing.unshift(`--host or ${ENVIRONMENT_VARIABLES.host} (or --region or ${ENVIRONMENT_VARIABLES.region})`);
  if (!hasCredentials(account, env)) {
    missing.push(`${ENVIRONMENT_VARIABLES.access_token}, or ${SERVICE_PRINCIPAL_VARIABLES.join(', ')} for a service principal`);
  }
  if (missing.length) throw new CliUsageError(`Missing settings: ${missing.join('; ')}`);
  return { account, workspace, api };
}
