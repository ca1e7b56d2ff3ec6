/**
 * Settings from the environment, for the places that have no account object of their own: the
 * CLI, DataFire flows without DataFire-accounts.yml, serverless handlers. A service principal
 * needs nothing here: with no token, the token source reads AZURE_TENANT_ID, AZURE_CLIENT_ID and
 * AZURE_CLIENT_SECRET itself.
 */
import type { Account } from '../account/account';
import type { ExperimentLocator } from '../workflow/locator';

/** The environment variable of each setting. */
export const ENVIRONMENT_VARIABLES = {
  host: 'AZUREML_HOST',
  region: 'AZUREML_REGION',
  access_token: 'AZUREML_ACCESS_TOKEN',
  subscriptionId: 'AZUREML_SUBSCRIPTION_ID',
  resourceGroupName: 'AZUREML_RESOURCE_GROUP',
  workspaceName: 'AZUREML_WORKSPACE',
  experimentName: 'AZUREML_EXPERIMENT',
  management_host: 'AZUREML_MANAGEMENT_HOST',
  cloud: 'AZURE_CLOUD',
  api: 'AZUREML_API',
} as const;

export const SERVICE_PRINCIPAL_VARIABLES = ['AZURE_TENANT_ID', 'AZURE_CLIENT_ID', 'AZURE_CLIENT_SECRET'] as const;

type Environment = Record<string, string | undefined>;

const value = (env: Environment, name: string): string | undefined => {
  const text = env[name]?.trim();
  return text ? text : undefined;
};

/** `{ host, region, access_token }` as far as the environment sets them. */
export function accountFromEnvironment(env: Environment = process.env): Account {
  const account: Account = {};
  for (const field of ['host', 'region', 'access_token', 'management_host', 'api'] as const) {
    const found = value(env, ENVIRONMENT_VARIABLES[field]);
    if (found) account[field] = found;
  }
  return account;
}

/** The locator fields the environment sets. */
export function workspaceFromEnvironment(env: Environment = process.env): Partial<ExperimentLocator> {
  const workspace: Partial<ExperimentLocator> = {};
  for (const field of ['subscriptionId', 'resourceGroupName', 'workspaceName', 'experimentName'] as const) {
    const found = value(env, ENVIRONMENT_VARIABLES[field]);
    if (found) workspace[field] = found;
  }
  return workspace;
}

/** Whether the account or the environment holds credentials of some kind. */
export function hasCredentials(account: Account, env: Environment = process.env): boolean {
  if (account.access_token || account.refresh_token) return true;
  if (account.client_id && account.client_secret) return true;
  return SERVICE_PRINCIPAL_VARIABLES.some((name) => value(env, name));
}
