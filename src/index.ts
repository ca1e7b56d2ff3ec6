/**
 * azureml-execution: the Azure ML Execution Service as a DataFire integration.
 *
 * `require('azureml-execution')` is the integration, as `@datafire/azure_machinelearningservices_execution`
 * is: `create(account).Runs_StartRun(input)`, `actions.Runs_StartRun(input, context)`,
 * `action('Runs_StartRun')`, `getDetails()`. Importing it loads no HTTP, validation or DataFire
 * module: those load on first use.
 */
import { createIntegration, type Integration } from './datafire/integration';
import { executionSpec } from './spec/execution/spec';
import type { ExecutionActions } from './spec/execution/types';
import type { Emulator, EmulatorOptions } from './emulator/emulator';
import { createClient, type AzureMLClient } from './client/create-client';
import type { Account } from './account/account';
import type { ClientOptions } from './client/client-core';
import type * as Workflow from './workflow/index';
import type { RunDetails, Run } from './spec/runhistory/types';
import type { StartRunResult } from './spec/execution/types';
import type { CallOptions } from './http/call-options';
import type { IntegrationAction } from './datafire/integration-action';
import type { WorkflowActionName } from './datafire/workflow-actions';
import type { HandlerOptions, LambdaHandler, Runnable } from './serverless/to-handler';
import type { ZipProjectOptions, ZippedProject } from './project/zip-project';
import type { Readable } from 'stream';
import type { SendRequest } from './http/pipeline';
import type { TransportOptions } from './http/transport';

const integration: Integration<ExecutionActions> = createIntegration<ExecutionActions>(executionSpec);

/** `azure_machinelearningservices_execution` */
export const id = integration.id;
export const title = integration.title;
export const description = integration.description;
export const security = integration.security;
export const actions = integration.actions;
export const allActions = integration.allActions;
/**
 * The client of one account: every Execution Service and Run History action, the OAuth actions,
 * and the workflow (submitRun, waitForRun, cancelRun, getRunLog, listRuns, iterateRuns).
 */
export const create = (account: Account, options?: ClientOptions): AzureMLClient => createClient(account, options);
export const action: Integration<ExecutionActions>['action'] = (name) => integration.action(name);
export const getDetails: Integration<ExecutionActions>['getDetails'] = (withActions) => integration.getDetails(withActions);

/** The Run History integration (`azure_machinelearningservices_runhistory`), sharing the account. */
export * as runHistory from './runhistory';

/** A v1 run definition as the equivalent v2 command job, and what v2 has no place for (see `azureml-execution/v2`). */
export function toCommandJob(
  ...args: Parameters<typeof import('./workflow/v2/to-command-job').toCommandJob>
): ReturnType<typeof import('./workflow/v2/to-command-job').toCommandJob> {
  return (require('./workflow/v2/to-command-job') as typeof import('./workflow/v2/to-command-job')).toCommandJob(...args);
}

/**
 * A Batch AI job (the resource or its properties) as the Azure ML run that does the same work: a
 * v1 run definition (unless v1 cannot do it: `v1Blockers`), a v2 command job, and the warnings
 * of what changed. Loaded on call.
 */
export function fromBatchAIJob(
  ...args: Parameters<typeof import('./workflow/batchai/from-batchai-job').fromBatchAIJob>
): ReturnType<typeof import('./workflow/batchai/from-batchai-job').fromBatchAIJob> {
  return (require('./workflow/batchai/from-batchai-job') as typeof import('./workflow/batchai/from-batchai-job')).fromBatchAIJob(...args);
}

// The workflow as functions of an account: the same as create(account).submitRun(...) and so on.
/** Zips a folder (or takes a zip), creates the experiment if needed, and starts the run. */
export const submitRun = (account: Account, input: Workflow.SubmitRunInput, options?: Workflow.SubmitRunOptions): Promise<Workflow.SubmittedRun> =>
  create(account).submitRun(input, options);
/** Polls until the run ends: Completed or Canceled resolve, Failed rejects with AzureMLRunFailedError. */
export const waitForRun = (account: Account, run: Workflow.RunRef, options?: Workflow.WaitForRunOptions): Promise<RunDetails> => create(account).waitForRun(run, options);
/** Cancels a run. */
export const cancelRun = (account: Account, run: Workflow.RunRef, options?: CallOptions): Promise<StartRunResult> => create(account).cancelRun(run, options);
/** A run's log from a byte offset. */
export const getRunLog = (account: Account, run: Workflow.RunRef, options?: Workflow.GetRunLogOptions): Promise<Workflow.RunLog> => create(account).getRunLog(run, options);
/** An experiment's runs, newest first. */
export const listRuns = (account: Account, input?: Workflow.ListRunsInput, options?: CallOptions): Promise<Run[]> => create(account).listRuns(input, options);

/**
 * The workflow as DataFire actions (submitRun, getRun, waitForRun, cancelRun, getRunLog, listRuns,
 * endedRuns, reportRun): a `datafire.Action` when DataFire is installed. The account comes from the
 * DataFire context or the environment, the workspace from the input, DataFire variables or the
 * environment.
 */
export function workflowAction(name: WorkflowActionName): IntegrationAction {
  return (require('./datafire/workflow-actions') as typeof import('./datafire/workflow-actions')).workflowAction(name);
}

/** An action of this package (or any `{ run(input, context) }`) as an AWS Lambda handler: API Gateway, SQS/SNS or schedule events. */
export function toHandler(action: Runnable, options?: HandlerOptions): LambdaHandler {
  return (require('./serverless/to-handler') as typeof import('./serverless/to-handler')).toHandler(action, options);
}

/**
 * Zips a project folder for Runs_StartRun into a temporary file (`remove()` deletes it): what
 * .amlignore (else .gitignore) leaves out stays out, entries are sorted, and a project over
 * 25 MB or 2,000 files is refused with its size and biggest files unless the limits are raised.
 */
export function zipProject(dir: string, options?: ZipProjectOptions): Promise<ZippedProject> {
  return (require('./project/zip-project') as typeof import('./project/zip-project')).zipProject(dir, options);
}

/** The same zip as a stream, without limits or a temporary file. */
export function zipProjectStream(dir: string): Readable {
  return (require('./project/zip-project') as typeof import('./project/zip-project')).zipProjectStream(dir);
}

/**
 * A transport (what sends requests after the policies) with its own idle timers: give it as
 * `create(account, { transport })`. Tests pass timers they move by hand, so that timeouts need no waiting.
 */
export function createTransport(options?: TransportOptions): SendRequest {
  return (require('./http/transport') as typeof import('./http/transport')).createTransport(options);
}

/** Starts the local emulator of the service (loaded on call: importing the package stays cheap). */
export function startEmulator(options?: EmulatorOptions): Promise<Emulator> {
  return (require('./emulator/emulator') as typeof import('./emulator/emulator')).startEmulator(options);
}

export {
  isAzureMLError,
  AzureMLError,
  AzureMLAbortError,
  AzureMLAccountError,
  AzureMLAuthError,
  AzureMLNetworkError,
  AzureMLNotFoundError,
  AzureMLOperationFailedError,
  AzureMLComputeFailedError,
  AzureMLProjectError,
  AzureMLRunFailedError,
  AzureMLResponseFormatError,
  AzureMLServiceError,
  AzureMLTimeoutError,
  AzureMLValidationError,
} from './errors';
export type { RetryOptions, CallOptions, UploadProgress, AnswerHead } from './http/call-options';
export type { InputProblem, AzureMLErrorName } from './errors';
export type { Account } from './account/account';
export type { AzureMLClient, WorkflowMethods } from './client/create-client';
export type {
  SubmitRunInput,
  SubmitRunOptions,
  SubmittedRun,
  WaitForRunOptions,
  GetRunLogOptions,
  RunLog,
  ListRunsInput,
  IterateRunsInput,
  DefinitionInput,
  RunRef,
  RunLocator,
  ExperimentLocator,
  WorkspaceLocator,
} from './workflow/index';
export type { Emulator, EmulatorOptions } from './emulator/emulator';
export type { FaultRule } from './emulator/faults';
export type { ClientOptions } from './client/client-core';
export type { TokenSource, TokenRequestContext } from './auth/token-source';
export type { OAuthTokens } from './auth/oauth-actions';
export type { Logger } from './http/policies/logging';
export type { OAuthActions } from './datafire/integration';
export type { PipelinePolicy, PipelineRequest, PipelineResponse, SendRequest } from './http/pipeline';
export type { IdleTimer, IdleTimers, TransportOptions } from './http/transport';
export type { FileInput, DataFireFile, PathFile, FileEncoding } from './spec/action-signature';
export type { ActionContext } from './spec/action-signature';
export type { Integration, IntegrationDetails, ActionDetails } from './datafire/integration';
export type { IntegrationAction } from './datafire/integration-action';
export type { RunStatus, WorkflowActionName } from './datafire/workflow-actions';
export type { BatchAIJobConversion, BatchAICommandJob, FromBatchAIJobOptions, SubmitBatchAIJobInput, SubmittedBatchAIJob } from './workflow/batchai/index';
export type { ComputeRef, ComputeOperationOptions, DeletedCompute, WaitForComputeOptions, ComputeSummary, ComputeSpec, ComputeScale } from './workflow/compute/index';
export type { ZipProjectOptions, ZippedProject } from './project/zip-project';
export type { HandlerOptions, HandlerResult, LambdaHandler, LambdaContext, Runnable } from './serverless/to-handler';
export type * from './spec/execution/types';
// Run History's types but its error shapes, which are the Execution Service's (the same definitions).
export type {
  Experiment,
  QueryParams,
  PaginatedRunList,
  Run,
  CreatedBy,
  RunDetailsWarning,
  RunOptions,
  CreatedFrom,
  RunDetails,
  Experiments_GetInput,
  Experiments_GetOutput,
  Experiments_CreateInput,
  Experiments_CreateOutput,
  Runs_GetChildInput,
  Runs_GetChildOutput,
  Runs_GetDetailsInput,
  Runs_GetDetailsOutput,
  Runs_GetInput,
  Runs_GetOutput,
  Runs_GetByQueryInput,
  Runs_GetByQueryOutput,
  RunHistoryOperationId,
  RunHistoryActions,
} from './spec/runhistory/types';
