/**
 * azureml-execution: the Azure ML Execution Service as a DataFire integration.
 *
 * `require('azureml-execution')` is the integration, as `@datafire/azure_machinelearningservices_execution`
 * is: `create(account).Runs_StartRun(input)`, `actions.Runs_StartRun(input, context)`,
 * `action('Runs_StartRun')`, `getDetails()`. Importing it loads no HTTP, validation or DataFire
 * module: those load on first use.
 */
import { createIntegration, type Integration } from './datafire/integration';
import { executionSpec } from './spec/generated/execution-spec';
import type { ExecutionActions } from './spec/generated/execution-types';
import type { Emulator, EmulatorOptions } from './emulator/emulator';

const integration: Integration<ExecutionActions> = createIntegration<ExecutionActions>(executionSpec);

/** `azure_machinelearningservices_execution` */
export const id = integration.id;
export const title = integration.title;
export const description = integration.description;
export const security = integration.security;
export const actions = integration.actions;
export const allActions = integration.allActions;
export const create: Integration<ExecutionActions>['create'] = (account, options) => integration.create(account, options);
export const action: Integration<ExecutionActions>['action'] = (name) => integration.action(name);
export const getDetails: Integration<ExecutionActions>['getDetails'] = (withActions) => integration.getDetails(withActions);

/** The Run History integration (`azure_machinelearningservices_runhistory`), sharing the account. */
export * as runHistory from './runhistory';

/** Starts the local emulator of the service (loaded on call: importing the package stays cheap). */
export function startEmulator(options?: EmulatorOptions): Promise<Emulator> {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return (require('./emulator/emulator') as typeof import('./emulator/emulator')).startEmulator(options);
}

export {
  AzureMLError,
  AzureMLAbortError,
  AzureMLAccountError,
  AzureMLAuthError,
  AzureMLNetworkError,
  AzureMLResponseFormatError,
  AzureMLServiceError,
  AzureMLTimeoutError,
  AzureMLValidationError,
} from './http/errors';
export type { RetryOptions } from './http/policies/retry';
export type { InputProblem } from './http/errors';
export type { Account } from './account/account';
export type { Emulator, EmulatorOptions } from './emulator/emulator';
export type { FaultRule } from './emulator/faults';
export type { ClientOptions } from './client/client-core';
export type { TokenSource, TokenRequestContext } from './auth/token-source';
export type { OAuthTokens } from './auth/oauth-actions';
export type { Logger } from './http/policies/logging';
export type { OAuthActions } from './datafire/integration';
export type { PipelinePolicy, PipelineRequest, PipelineResponse, SendRequest } from './http/pipeline';
export type { FileInput, DataFireFile, PathFile, FileEncoding } from './http/file-input';
export type { ActionContext, CallOptions } from './datafire/action-context';
export type { Integration, IntegrationDetails, ActionDetails } from './datafire/integration';
export type { IntegrationAction } from './datafire/integration-action';
export type * from './spec/generated/execution-types';
