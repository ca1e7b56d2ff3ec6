/**
 * Where a workflow action's account, workspace and project come from, apart from the actions
 * themselves:
 * - the account: `context.accounts.azure_machinelearningservices_execution` (or `_runhistory`),
 *   else the environment (AZUREML_HOST or AZUREML_REGION, AZUREML_ACCESS_TOKEN, AZURE_* service
 *   principal);
 * - the workspace: the input, else DataFire variables (`subscriptionId`, `resourceGroupName`,
 *   `workspaceName`, `experimentName`), else AZUREML_SUBSCRIPTION_ID, AZUREML_RESOURCE_GROUP,
 *   AZUREML_WORKSPACE, AZUREML_EXPERIMENT;
 * - a project: a folder of this server (inside the projects folder when the caller is remote), or
 *   a zip sent in the input (only when the project allows uploads).
 */
import type { Account } from '../account/account';
import { createClient, type AzureMLClient } from '../client/create-client';
import { accountFromEnvironment, ENVIRONMENT_VARIABLES, workspaceFromEnvironment } from '../config/environment';
import { AzureMLValidationError } from '../errors';
import { isObject } from '../spec/is-object';
import { EXPERIMENT_FIELDS, locatorFields, type ExperimentLocator } from '../workflow/locator';
import { accountFromContext, type ActionContext } from './action-context';
import { downloadsRoot, folderInside, isUntrusted, pathInside, projectsRoot, projectZipUploadsAllowed } from './untrusted-input';

const EXECUTION_ID = 'azure_machinelearningservices_execution';
const RUNHISTORY_ID = 'azure_machinelearningservices_runhistory';

/** One account object per environment, so that its token source (and its cache) is shared by every call. */
const environmentAccounts = new Map<string, Account>();

function environmentAccount(): Account {
  const account = accountFromEnvironment();
  const key = JSON.stringify(account);
  let shared = environmentAccounts.get(key);
  if (!shared) environmentAccounts.set(key, (shared = account));
  return shared;
}

function variablesOf(context: ActionContext | undefined): Partial<ExperimentLocator> {
  const variables = (context?.variables ?? {}) as Record<string, unknown>;
  const out: Partial<ExperimentLocator> = {};
  for (const field of EXPERIMENT_FIELDS) if (typeof variables[field] === 'string' && variables[field]) out[field] = variables[field] as string;
  // `api` is read apart (apiOf); it is no locator field.
  return out;
}

export interface Resolved {
  client: AzureMLClient;
  /** On v2 the experiment may be missing: a job's is read from Jobs_Get. */
  workspace: ExperimentLocator;
  api: 'v1' | 'v2';
}

const V2_ID = 'azure_machinelearningservices_v2';

/** The API of a workflow action: the input's `api`, else the variable `api`, else the account's, else AZUREML_API, else v1. */
function apiOf(input: Record<string, unknown>, context: ActionContext | undefined, account: Account, action: string): 'v1' | 'v2' {
  const variables = (context?.variables ?? {}) as Record<string, unknown>;
  const api = input.api ?? variables.api ?? account.api ?? (process.env[ENVIRONMENT_VARIABLES.api]?.trim() || 'v1');
  if (api !== 'v1' && api !== 'v2') throw new AzureMLValidationError({ action, problems: [{ path: 'api', message: `must be v1 or v2 (got ${JSON.stringify(api)})` }] });
  return api;
}

/**
 * The client and workspace of a workflow action. `scope: 'workspace'` is for what lives in a
 * workspace, not an experiment (computes): the experiment is not asked for.
 */
export function resolve(input: Record<string, unknown>, context: ActionContext | undefined, action: string, scope: 'experiment' | 'workspace' = 'experiment'): Resolved {
  const account = accountFromContext(context, EXECUTION_ID) ?? accountFromContext(context, V2_ID) ?? accountFromContext(context, RUNHISTORY_ID) ?? environmentAccount();
  const api = apiOf(input, context, account, action);
  const workspace = { ...workspaceFromEnvironment(), ...variablesOf(context), ...locatorFields(input as Partial<ExperimentLocator>) };
  const missing = EXPERIMENT_FIELDS.filter((field) => !workspace[field] && !((api === 'v2' || scope === 'workspace') && field === 'experimentName'));
  if (missing.length) {
    throw new AzureMLValidationError({
      action,
      problems: missing.map((field) => ({ path: field, message: `is required: give it in the input, as the DataFire variable ${field}, or as ${ENVIRONMENT_VARIABLES[field]}` })),
    });
  }
  return { client: createClient(account, { workspace, api }), workspace: workspace as ExperimentLocator, api };
}

export function inputObject(input: unknown, action: string): Record<string, unknown> {
  if (input === undefined || input === null) return {};
  if (typeof input !== 'object' || Array.isArray(input)) throw new AzureMLValidationError({ action, problems: [{ path: '', message: 'input must be an object' }] });
  return input as Record<string, unknown>;
}

export function requireRunId(input: Record<string, unknown>, action: string): string {
  if (typeof input.runId !== 'string' || !input.runId) throw new AzureMLValidationError({ action, problems: [{ path: 'runId', message: 'is required' }] });
  return input.runId;
}

/**
 * A folder given over HTTP (or in a queue message) is a path on this server: it must be inside the
 * projects folder (variable `projectsDir`, default `projects/` of the DataFire project), so that a
 * caller cannot have any file of the machine uploaded. A local flow or `datafire run` names any folder.
 */
export function projectFolder(given: string, context: ActionContext | undefined, action: string): string {
  return isUntrusted(context) ? pathInside(projectsRoot(context), given, 'project', action, 'projectsDir') : given;
}

/**
 * Where a download is written. Over HTTP (or from a queue) it is a path on this server: it must
 * be inside the downloads folder (variable `downloadsDir`, default `downloads/` of the DataFire
 * project), so that a caller cannot have files written anywhere. A local flow names any folder.
 */
export function downloadFolder(given: unknown, context: ActionContext | undefined, action: string): string {
  if (typeof given !== 'string' || !given) throw new AzureMLValidationError({ action, problems: [{ path: 'to', message: 'is required: the folder to write the files into' }] });
  return isUntrusted(context) ? folderInside(downloadsRoot(context), given, 'to', action, 'downloadsDir') : given;
}

/** A zip sent in the input: base64 text, or DataFire's file object. */
export function projectZip(value: unknown, context: ActionContext | undefined, action: string): Buffer | Record<string, unknown> {
  if (!projectZipUploadsAllowed(context)) {
    throw new AzureMLValidationError({
      action,
      problems: [{ path: 'projectZip', message: 'uploads over HTTP are off: a remote caller could run any code (set the variable allowProjectZipUploads to true to take them)' }],
    });
  }
  if (value && typeof value === 'object' && 'path' in value && isUntrusted(context)) {
    throw new AzureMLValidationError({
      action,
      problems: [{ path: 'projectZip.path', message: 'names a file on this server, which a remote caller may not do (send the content)' }],
    });
  }
  if (typeof value === 'string') return Buffer.from(value, 'base64');
  if (isObject(value)) return value;
  throw new AzureMLValidationError({ action, problems: [{ path: 'projectZip', message: 'must be the zip as base64 text, or a DataFire file object {content, encoding}' }] });
}
