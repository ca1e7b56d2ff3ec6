/**
 * `create(account, options)`: one client for the whole service. The Execution Service actions
 * (the drop-in surface), the Run History actions and the workflow (submit, wait, logs, lists)
 * share one request path, one token source and one set of options.
 */
import type { Account } from '../account/account';
import type { CallOptions } from '../http/call-options';
import type { OAuthActions } from '../auth/oauth-actions';
import { executionSpec } from '../spec/execution/spec';
import type { ExecutionActions, StartRunResult } from '../spec/execution/types';
import type { Run, RunDetails, RunHistoryActions } from '../spec/runhistory/types';
import { runHistorySpec } from '../spec/runhistory/spec';
import type * as Workflow from '../workflow/index';
import type { ServiceActions, WorkflowContext } from '../workflow/context';
import { bindClient } from './bind-operations';
import { coreFor, type ClientOptions } from './client-core';

export interface WorkflowMethods {
  /** Zips a folder (or takes a zip), creates the experiment if needed, and starts the run with Runs_StartRun. */
  submitRun(input: Workflow.SubmitRunInput, options?: Workflow.SubmitRunOptions): Promise<Workflow.SubmittedRun>;
  /** Polls until the run is Completed (resolves), Canceled (resolves) or Failed (rejects with AzureMLRunFailedError). */
  waitForRun(run: Workflow.RunRef, options?: Workflow.WaitForRunOptions): Promise<RunDetails>;
  /** Cancels the run (Runs_CancelRunWithUri). */
  cancelRun(run: Workflow.RunRef, options?: CallOptions): Promise<StartRunResult>;
  /** The run's log from a byte offset (AZTK's tail with current_bytes). */
  getRunLog(run: Workflow.RunRef, options?: Workflow.GetRunLogOptions): Promise<Workflow.RunLog>;
  /** The experiment's runs, newest first, optionally in one status and at most `top`. */
  listRuns(input?: Workflow.ListRunsInput, options?: CallOptions): Promise<Run[]>;
  /** One page of the experiment's runs, newest first, with the token of the next page when there is one. */
  listRunsPage(input?: Workflow.ListRunsPageInput, options?: CallOptions): Promise<Workflow.RunsPage>;
  /** Every run a Runs_GetByQuery query matches, across all pages. */
  iterateRuns(input?: Workflow.IterateRunsInput, options?: CallOptions): AsyncGenerator<Run, void, undefined>;
  /** Every child run of a run (Runs_GetChild), across all pages. */
  iterateChildRuns(run: Workflow.RunRef, options?: CallOptions): AsyncGenerator<Run, void, undefined>;
  /** Every metric of the run by name, each a list of points (value, step, time) in step order. */
  getMetrics(run: Workflow.RunRef, options?: CallOptions): Promise<Workflow.RunMetrics>;
  /** Writes every artifact under a prefix (default outputs/) to `<to>/<artifact path>`, several at once, skipping files already there. */
  downloadOutputs(run: Workflow.RunRef, options: Workflow.DownloadOutputsOptions): Promise<Workflow.DownloadedOutputs>;
  /** Status, times, definition, log names, last metric values and artifact paths, in one answer. */
  getRunDetails(run: Workflow.RunRef, options?: CallOptions): Promise<Workflow.RunSummary>;
}

/** What `create(account)` gives: every action of both integrations, the OAuth actions, and the workflow. */
export type AzureMLClient = ExecutionActions & RunHistoryActions & OAuthActions & WorkflowMethods;

let workflow: typeof Workflow | undefined;

const loadWorkflow = (): typeof Workflow => (workflow ??= require('../workflow/index') as typeof Workflow);

/** The client's settings a workflow call inherits unless it gives its own. */
type WorkflowDefaults = Pick<ClientOptions, 'unknownFields' | 'onWarning'>;

function workflowMethods(ctx: WorkflowContext, defaults: WorkflowDefaults): WorkflowMethods {
  return {
    submitRun: (input, options) =>
      loadWorkflow().submitRun(ctx, input, { ...options, unknownFields: options?.unknownFields ?? defaults.unknownFields, onWarning: options?.onWarning ?? defaults.onWarning }),
    waitForRun: (run, options) => loadWorkflow().waitForRun(ctx, run, options),
    cancelRun: async (run, options) => ctx.client.Runs_CancelRunWithUri(loadWorkflow().resolveRun(run, ctx.defaults, 'azureml-execution/cancelRun'), options),
    getRunLog: (run, options) => loadWorkflow().getRunLog(ctx, run, options),
    listRuns: (input, options) => loadWorkflow().listRuns(ctx, input, options),
    listRunsPage: (input, options) => loadWorkflow().listRunsPage(ctx, input, options),
    iterateRuns: (input, options) => loadWorkflow().iterateRuns(ctx, input, options),
    iterateChildRuns: (run, options) => loadWorkflow().iterateChildRuns(ctx, run, options),
    getMetrics: (run, options) => loadWorkflow().getMetrics(ctx, run, options),
    downloadOutputs: (run, options) => loadWorkflow().downloadOutputs(ctx, run, options),
    getRunDetails: (run, options) => loadWorkflow().getRunDetails(ctx, run, options),
  };
}

export function createClient(account: Account, options?: ClientOptions): AzureMLClient {
  const core = coreFor(account, options, executionSpec.id);
  const actions = bindClient([executionSpec, runHistorySpec], core) as unknown as ServiceActions & OAuthActions;
  return Object.assign(
    actions,
    workflowMethods(
      { client: actions, defaults: options?.workspace, links: (request) => core.linkPipeline()(request) },
      { unknownFields: options?.unknownFields, onWarning: options?.onWarning },
    ),
  );
}
