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
import { bindClient, bindOperations } from './bind-operations';
import { AzureMLAccountError, AzureMLRunFailedError } from '../errors';
import type * as V2Workflow from '../workflow/v2/index';
import type * as ComputeWorkflow from '../workflow/compute/index';
import type * as BatchAIWorkflow from '../workflow/batchai/index';
import type { AmlComputeNodeInformation, ComputeResource } from '../spec/arm/types';
import type { V2Actions } from '../spec/arm/types';
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
  /** A command job on the v2 API: the project folder uploaded as code (only when new), the job created. */
  submitJob(input: V2Workflow.SubmitJobInput, options?: V2Workflow.SubmitJobOptions): Promise<V2Workflow.SubmittedJob>;
  /** Cancels a v2 job and follows the operation until it has stopped. */
  cancelJob(run: Workflow.RunRef, options?: V2Workflow.LongRunningOptions): Promise<V2Workflow.CancelledJob>;
  /** The v2 API's actions (jobs, code, computes), bound to the same account and options. */
  readonly v2: V2Actions;
  /**
   * Waits for several runs at once (AZTK's wait_until_applications_done): resolves when all have
   * ended, with each one's details in the order given; a Failed run is an answer here, not an error.
   */
  waitForRuns(
    runs: Workflow.RunRef[],
    options?: Omit<Workflow.WaitForRunOptions, 'onLog' | 'logFromByte' | 'onStatus'> & { onEnded?: (details: RunDetails) => void },
  ): Promise<RunDetails[]>;
  /** Where a run is: its id and the client's workspace defaults, with (on v2) its experiment read from Jobs_Get when not given. */
  locateRun(run: Workflow.RunRef, options?: CallOptions): Promise<Workflow.RunLocator>;
  /**
   * Creates an AmlCompute cluster (AZTK's create_cluster) and follows its creation to the end
   * (unless `wait: false`). Computes are v2 resources: these calls use the v2 API whatever `api` says.
   */
  createCompute(compute: ComputeWorkflow.ComputeRef, spec: ComputeWorkflow.ComputeSpec, options?: ComputeWorkflow.ComputeOperationOptions): Promise<ComputeResource>;
  /** Polls until the compute is provisioned and its allocation steady (AZTK's wait_until_cluster_is_ready); Failed rejects with the service's reasons. */
  waitForCompute(compute: ComputeWorkflow.ComputeRef, options?: ComputeWorkflow.WaitForComputeOptions): Promise<ComputeResource>;
  /** Changes a cluster's minNodes, maxNodes and idle time (Compute_Update), followed to the end unless `wait: false`. */
  resizeCompute(compute: ComputeWorkflow.ComputeRef, scale: ComputeWorkflow.ComputeScale, options?: ComputeWorkflow.ComputeOperationOptions): Promise<ComputeResource>;
  /** The compute as the service has it (AZTK's get_cluster). */
  getCompute(compute: ComputeWorkflow.ComputeRef, options?: CallOptions): Promise<ComputeResource>;
  /** Every compute of the workspace, all pages (AZTK's list_clusters). */
  listComputes(workspace?: Partial<Workflow.WorkspaceLocator>, options?: CallOptions): Promise<ComputeResource[]>;
  /** A cluster's nodes with their state, run, and the address and port to log in (AZTK's remote login settings). */
  listNodes(compute: ComputeWorkflow.ComputeRef, options?: CallOptions): Promise<AmlComputeNodeInformation[]>;
  /**
   * Submits a Batch AI job file's work from a project folder: its v1 run definition, or on v2 its
   * command job (fromBatchAIJob); the answer carries the conversion's warnings.
   */
  submitBatchAIJob(input: BatchAIWorkflow.SubmitBatchAIJobInput, options?: Workflow.SubmitRunOptions & V2Workflow.SubmitJobOptions): Promise<BatchAIWorkflow.SubmittedBatchAIJob>;
  /** Deletes the compute (or detaches it with `detach: true`) and follows the operation (AZTK's delete_cluster). */
  deleteCompute(compute: ComputeWorkflow.ComputeRef, options?: ComputeWorkflow.ComputeOperationOptions & { detach?: boolean }): Promise<ComputeWorkflow.DeletedCompute>;
}

/** What `create(account)` gives: every action of both integrations, the OAuth actions, and the workflow. */
export type AzureMLClient = ExecutionActions & RunHistoryActions & OAuthActions & WorkflowMethods;

let workflow: typeof Workflow | undefined;
let v2Workflow: typeof V2Workflow | undefined;
let computeWorkflow: typeof ComputeWorkflow | undefined;
let batchAIWorkflow: typeof BatchAIWorkflow | undefined;

const loadWorkflow = (): typeof Workflow => (workflow ??= require('../workflow/index') as typeof Workflow);
// The v2 spec and workflow load on first use: the v1 entry point's import time does not grow.
const loadV2Workflow = (): typeof V2Workflow => (v2Workflow ??= require('../workflow/v2/index') as typeof V2Workflow);
const loadComputes = (): typeof ComputeWorkflow => (computeWorkflow ??= require('../workflow/compute/index') as typeof ComputeWorkflow);
const loadBatchAI = (): typeof BatchAIWorkflow => (batchAIWorkflow ??= require('../workflow/batchai/index') as typeof BatchAIWorkflow);

/** The API the workflow of a client uses: its option, else the account's `api` field, else v1. */
function apiOf(account: Account, options: ClientOptions | undefined): 'v1' | 'v2' {
  const api = options?.api ?? account.api ?? 'v1';
  if (api !== 'v1' && api !== 'v2') throw new AzureMLAccountError({ message: `api must be v1 or v2 (got ${JSON.stringify(api)})`, fields: ['api'] });
  return api;
}

/** The client's settings a workflow call inherits unless it gives its own. */
type WorkflowDefaults = Pick<ClientOptions, 'unknownFields' | 'onWarning'>;

function workflowMethods(ctx: WorkflowContext, defaults: WorkflowDefaults, v2: () => V2Workflow.V2WorkflowContext, api: 'v1' | 'v2'): Omit<WorkflowMethods, 'v2'> {
  // On v2 a run given by its id alone gets its experiment from Jobs_Get; the rest is v1's own code (Run History).
  const run = async (ref: Workflow.RunRef, action: string): Promise<Workflow.RunRef> => (api === 'v2' ? loadV2Workflow().resolveJobRun(v2(), ref, action) : ref);
  const withDefaults = (options: Workflow.SubmitRunOptions | undefined): Workflow.SubmitRunOptions => ({
    ...options,
    unknownFields: options?.unknownFields ?? defaults.unknownFields,
    onWarning: options?.onWarning ?? defaults.onWarning,
  });
  return {
    submitRun: (input, options) =>
      api === 'v2'
        ? (loadV2Workflow().submitRunAsJob(v2(), input as V2Workflow.SubmitRunOrJobInput, withDefaults(options)) as unknown as Promise<Workflow.SubmittedRun>)
        : loadWorkflow().submitRun(ctx, input, withDefaults(options)),
    waitForRun: async (ref, options) => loadWorkflow().waitForRun(ctx, await run(ref, 'azureml-execution/waitForRun'), options),
    waitForRuns: (refs, options = {}) => {
      const { onEnded, ...waitOptions } = options;
      return Promise.all(
        refs.map(async (ref) => {
          const located = await run(ref, 'azureml-execution/waitForRuns');
          const details = await loadWorkflow()
            .waitForRun(ctx, located, waitOptions)
            .catch((error: unknown) => {
              if (error instanceof AzureMLRunFailedError) return error.details;
              throw error;
            });
          onEnded?.(details);
          return details;
        }),
      );
    },
    cancelRun: async (ref, options) =>
      api === 'v2'
        ? ({ runId: (await loadV2Workflow().cancelJob(v2(), ref, options)).runId } as StartRunResult)
        : ctx.client.Runs_CancelRunWithUri(loadWorkflow().resolveRun(ref, ctx.defaults, 'azureml-execution/cancelRun'), options),
    getRunLog: async (ref, options) => loadWorkflow().getRunLog(ctx, await run(ref, 'azureml-execution/getRunLog'), options),
    listRuns: (input, options) => loadWorkflow().listRuns(ctx, input, options),
    listRunsPage: (input, options) => loadWorkflow().listRunsPage(ctx, input, options),
    iterateRuns: (input, options) => loadWorkflow().iterateRuns(ctx, input, options),
    iterateChildRuns: (ref, options) => loadWorkflow().iterateChildRuns(ctx, ref, options),
    getMetrics: async (ref, options) => loadWorkflow().getMetrics(ctx, await run(ref, 'azureml-execution/getMetrics'), options),
    downloadOutputs: async (ref, options) => loadWorkflow().downloadOutputs(ctx, await run(ref, 'azureml-execution/downloadOutputs'), options),
    getRunDetails: async (ref, options) => loadWorkflow().getRunDetails(ctx, await run(ref, 'azureml-execution/getRunDetails'), options),
    submitJob: (input, options) => loadV2Workflow().submitJob(v2().v2, input, ctx.defaults, options),
    locateRun: async (ref, options) =>
      api === 'v2'
        ? loadV2Workflow().resolveJobRun(v2(), ref, 'azureml-execution/locateRun', options)
        : loadWorkflow().resolveRun(ref, ctx.defaults, 'azureml-execution/locateRun'),
    cancelJob: (ref, options) => loadV2Workflow().cancelJob(v2(), ref, options),
    createCompute: (ref, spec, options) => loadComputes().createCompute(v2(), ref, spec, options),
    waitForCompute: (ref, options) => loadComputes().waitForCompute(v2(), ref, options),
    resizeCompute: (ref, scale, options) => loadComputes().resizeCompute(v2(), ref, scale, options),
    getCompute: (ref, options) => loadComputes().getCompute(v2(), ref, options),
    listComputes: (workspace, options) => loadComputes().listComputes(v2(), workspace, options),
    listNodes: (ref, options) => loadComputes().listNodes(v2(), ref, options),
    deleteCompute: (ref, options) => loadComputes().deleteCompute(v2(), ref, options),
    submitBatchAIJob: (input, options) =>
      loadBatchAI().submitBatchAIJob(
        {
          api,
          defaultExperiment: ctx.defaults?.experimentName,
          submitRun: (runInput, runOptions) => loadWorkflow().submitRun(ctx, runInput as Workflow.SubmitRunInput, withDefaults(runOptions)),
          submitJob: (jobInput, jobOptions) => loadV2Workflow().submitJob(v2().v2, jobInput, ctx.defaults, jobOptions),
        },
        input,
        options,
      ),
  };
}

export function createClient(account: Account, options?: ClientOptions): AzureMLClient {
  const core = coreFor(account, options, executionSpec.id);
  const api = apiOf(account, options);
  const actions = bindClient([executionSpec, runHistorySpec], core) as unknown as ServiceActions & OAuthActions;
  const ctx: WorkflowContext = { client: actions, defaults: options?.workspace, links: (request) => core.linkPipeline()(request) };
  let v2ctx: V2Workflow.V2WorkflowContext | undefined;
  const v2 = (): V2Workflow.V2WorkflowContext => {
    if (!v2ctx) {
      const { v2Spec } = require('../spec/arm/spec') as typeof import('../spec/arm/spec');
      v2ctx = { ...ctx, v2: bindOperations(v2Spec, core) as unknown as V2Actions, poll: (url, call) => core.poll(v2Spec, url, call) };
    }
    return v2ctx;
  };
  const client = Object.assign(actions, workflowMethods(ctx, { unknownFields: options?.unknownFields, onWarning: options?.onWarning }, v2, api));
  Object.defineProperty(client, 'v2', { get: () => v2().v2, enumerable: false });
  return client as AzureMLClient;
}
