/**
 * The workflow as DataFire actions, for flows, `datafire serve` paths, tasks and serverless
 * handlers: submit a project, get a run's status, wait, cancel, read the log, list runs, and the
 * monitor and report actions of a task that tells when runs end.
 *
 * Where the account, workspace and project come from: see workflow-resolve.ts.
 *
 * Input schemas hold no $ref: DataFire's server turns them into its request validator, which
 * resolves references against its own document. The inputs are checked again, precisely, by the
 * workflow functions.
 */
import { AzureMLRunFailedError, AzureMLValidationError } from '../errors';
import type { JSONSchema } from '../spec/operation-spec';
import { TERMINAL_STATUSES } from '../spec/run-status';
import type { Run, RunDetails } from '../spec/runhistory/types';
import type { ActionContext } from './action-context';
import { asDataFireAction, type IntegrationAction } from './integration-action';
import { defineAction } from './define-action';
import { computeActions } from './compute-actions';
import { postWebhook } from './webhook';
import { downloadFolder, projectFolder, projectZip, requireRunId, resolve, type Resolved } from './workflow-resolve';

/** What GET /runs/{runId} and the lists answer: a run's state, without its signed file links. */
export interface RunStatus {
  runId: string;
  experimentName: string;
  status: string;
  target?: string;
  createdUtc?: string;
  startTimeUtc?: string;
  endTimeUtc?: string;
  durationSeconds?: number;
  error?: { code?: string; message?: string };
}

const LOCATOR_PROPERTIES: Record<string, JSONSchema> = {
  subscriptionId: { type: 'string', description: 'The Azure subscription (default: variable subscriptionId, or AZUREML_SUBSCRIPTION_ID)' },
  resourceGroupName: { type: 'string', description: "The workspace's resource group (default: variable resourceGroupName, or AZUREML_RESOURCE_GROUP)" },
  workspaceName: { type: 'string', description: 'The workspace (default: variable workspaceName, or AZUREML_WORKSPACE)' },
  experimentName: { type: 'string', description: 'The experiment (default: variable experimentName, or AZUREML_EXPERIMENT; on v2 a job says its own)' },
  api: { type: 'string', enum: ['v1', 'v2'], description: 'v1 (Execution Service runs, the default) or v2 (command jobs); default: variable api, the account, or AZUREML_API' },
};

const RUN_ID: JSONSchema = { type: 'string', description: 'The run id' };

const RUN_STATUS_SCHEMA: JSONSchema = {
  type: 'object',
  properties: {
    runId: { type: 'string' },
    experimentName: { type: 'string' },
    status: { type: 'string' },
    target: { type: 'string' },
    createdUtc: { type: 'string', format: 'date-time' },
    startTimeUtc: { type: 'string', format: 'date-time' },
    endTimeUtc: { type: 'string', format: 'date-time' },
    durationSeconds: { type: 'number' },
    error: { type: 'object', properties: { code: { type: 'string' }, message: { type: 'string' } } },
  },
};

const RUN_LIST_SCHEMA: JSONSchema = { type: 'object', properties: { runs: { type: 'array', items: RUN_STATUS_SCHEMA } } };

function runStatusOf(run: Run | RunDetails, experimentName: string): RunStatus {
  const out: RunStatus = { runId: String(run.runId), experimentName, status: String(run.status ?? '') };
  if (run.target) out.target = run.target;
  if ('createdUtc' in run && run.createdUtc) out.createdUtc = run.createdUtc;
  if (run.startTimeUtc) out.startTimeUtc = run.startTimeUtc;
  if (run.endTimeUtc) out.endTimeUtc = run.endTimeUtc;
  if (run.startTimeUtc && run.endTimeUtc) out.durationSeconds = (Date.parse(run.endTimeUtc) - Date.parse(run.startTimeUtc)) / 1000;
  const root = run.error?.error;
  if (root) out.error = { ...(root.code ? { code: root.code } : {}), ...(root.message ? { message: root.message } : {}) };
  return out;
}

/** Lists are of one experiment's runs: on v2 too, the experiment must be named. */
function requireExperiment(resolved: Resolved, action: string): void {
  if (!resolved.workspace.experimentName) {
    throw new AzureMLValidationError({
      action,
      problems: [{ path: 'experimentName', message: 'is required: give it in the input, as the DataFire variable experimentName, or as AZUREML_EXPERIMENT' }],
    });
  }
}

async function waitFor(resolved: Resolved, runId: string, pollSeconds: unknown, context: ActionContext | undefined): Promise<RunStatus> {
  const interval = typeof pollSeconds === 'number' && pollSeconds > 0 ? pollSeconds * 1000 : 2000;
  const run = await resolved.client.locateRun(runId, { signal: context?.signal });
  try {
    return runStatusOf(
      await resolved.client.waitForRun(run, { initialIntervalMs: interval, maxIntervalMs: Math.max(interval, 60000), signal: context?.signal }),
      run.experimentName,
    );
  } catch (error) {
    // In a flow a Failed run is an answer, not a broken call: the status says it.
    if (error instanceof AzureMLRunFailedError) return runStatusOf(error.details, run.experimentName);
    throw error;
  }
}

/** What a v2 submission adds: the command and its inputs, the environment and the compute. */
const V2_SUBMIT_PROPERTIES: Record<string, JSONSchema> = {
  command: { type: 'string', description: 'v2: what the job runs, e.g. python train.py --lr ${{inputs.lr}} (instead of script and definition)' },
  inputs: { type: 'object', description: 'v2: inputs by name: a value is a literal input, an object a JobInput' },
  environmentId: { type: 'string', description: 'v2: the environment, e.g. azureml:my-env:1' },
  computeId: { type: 'string', description: 'v2: the compute (default: serverless)' },
  timeout: { type: ['string', 'number'], description: 'v2: the time limit, seconds or an ISO 8601 duration such as PT30M' },
  displayName: { type: 'string', description: "v2: the job's display name" },
};

const V2_SUBMITTED_PROPERTIES: Record<string, JSONSchema> = {
  job: { type: 'object', description: 'v2: the command job as created' },
  code: { type: 'object', description: 'v2: the code version uploaded, or reused (reused: true, uploadedBytes: 0)' },
  dropped: {
    type: 'array',
    items: { type: 'object', properties: { field: { type: 'string' }, reason: { type: 'string' } } },
    description: 'v2: fields of a v1 definition with no v2 place',
  },
};

function v2SubmitFields(input: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const name of ['command', 'inputs', 'environmentId', 'computeId', 'timeout', 'displayName'] as const) if (input[name] !== undefined) out[name] = input[name];
  if (input.runId !== undefined) out.jobName = input.runId;
  return out;
}

export const workflowActions = {
  submitRun: defineAction('submitRun', {
    title: 'Submit a run',
    description: 'Zips a project folder of this server (honouring .amlignore), or takes a zip, creates the experiment if needed, and starts the run.',
    inputSchema: {
      type: 'object',
      properties: {
        ...LOCATOR_PROPERTIES,
        project: {
          type: 'string',
          description: 'A project folder (or .zip); over HTTP, one under the projects folder (variable projectsDir, default projects/ of the DataFire project)',
        },
        // A string: DataFire's server JSON-parses body fields of no type. A flow may also pass DataFire's file object.
        projectZip: {
          type: 'string',
          description:
            'Instead of project: the zip as base64 (from a flow, a DataFire file object {content, encoding} too); over HTTP only with the variable allowProjectZipUploads: true',
        },
        script: { type: 'string', description: 'The script to run (configuration.script)' },
        arguments: { type: 'array', items: { type: 'string' }, description: "The script's arguments" },
        target: { type: 'string', description: 'The compute target (default local)' },
        definition: { type: 'object', description: 'A RunDefinition, camelCase or PascalCase; script, arguments and target are laid over it' },
        environmentVariables: { type: 'object', additionalProperties: { type: 'string' }, description: 'Environment variables of the run' },
        runId: { type: 'string', description: 'The run id, the job name on v2 (default {experiment}_{unix seconds}_{8 hex})' },
        batchaiJob: {
          type: 'object',
          description: 'A Batch AI job (the resource or its properties) to run from the project folder, instead of script and definition (on v2, with environmentId)',
        },
        ...V2_SUBMIT_PROPERTIES,
      },
    },
    outputSchema: {
      type: 'object',
      properties: {
        runId: { type: 'string' },
        experimentName: { type: 'string' },
        subscriptionId: { type: 'string' },
        resourceGroupName: { type: 'string' },
        workspaceName: { type: 'string' },
        definition: { type: 'object' },
        project: { type: 'object', properties: { files: { type: 'array', items: { type: 'string' } }, bytes: { type: 'integer' } } },
        ...V2_SUBMITTED_PROPERTIES,
        warnings: { type: 'array', items: { type: 'string' }, description: 'batchaiJob: what changed in the conversion' },
      },
    },
    handler: async (input, context, action) => {
      const resolved = resolve(input, context, action);
      if ((input.project === undefined) === (input.projectZip === undefined)) {
        throw new AzureMLValidationError({
          action,
          problems: [{ path: 'project', message: 'give either project (a folder or zip on this server) or projectZip (the zip itself)' }],
        });
      }
      const project = input.project !== undefined ? projectFolder(String(input.project), context, action) : projectZip(input.projectZip, context, action);
      if (input.batchaiJob !== undefined) {
        if (typeof project !== 'string')
          throw new AzureMLValidationError({ action, problems: [{ path: 'project', message: 'a Batch AI job runs from a project folder: give project' }] });
        const { warnings, ...submitted } = await resolved.client.submitBatchAIJob(
          {
            project,
            job: input.batchaiJob,
            environmentId: input.environmentId as string | undefined,
            runId: input.runId as string | undefined,
            experimentName: input.experimentName as string | undefined,
          },
          { signal: context?.signal },
        );
        return { ...submitted, warnings };
      }
      const common = {
        project: project as string,
        script: input.script as string | undefined,
        arguments: input.arguments as string[] | undefined,
        target: input.target as string | undefined,
        definition: input.definition as Record<string, unknown> | undefined,
        environmentVariables: input.environmentVariables as Record<string, string> | undefined,
      };
      if (resolved.api === 'v2') return resolved.client.submitRun({ ...common, ...v2SubmitFields(input) } as never, { signal: context?.signal });
      return resolved.client.submitRun({ ...common, runId: input.runId as string | undefined }, { signal: context?.signal });
    },
  }),

  getRun: defineAction('getRun', {
    title: "Get a run's status",
    description: "The run's status, target, times and error.",
    inputSchema: { type: 'object', required: ['runId'], properties: { ...LOCATOR_PROPERTIES, runId: RUN_ID } },
    outputSchema: RUN_STATUS_SCHEMA,
    handler: async (input, context, action) => {
      const resolved = resolve(input, context, action);
      const run = await resolved.client.locateRun(requireRunId(input, action), { signal: context?.signal });
      const details = await resolved.client.Runs_GetDetails(run, { signal: context?.signal });
      return runStatusOf(details, run.experimentName);
    },
  }),

  waitForRun: defineAction('waitForRun', {
    title: 'Wait for a run to end',
    description: 'Polls until the run is Completed, Failed or Canceled, and gives its final status.',
    inputSchema: {
      type: 'object',
      required: ['runId'],
      properties: { ...LOCATOR_PROPERTIES, runId: RUN_ID, pollSeconds: { type: 'number', description: 'First wait between polls (default 2)' } },
    },
    outputSchema: RUN_STATUS_SCHEMA,
    handler: async (input, context, action) => waitFor(resolve(input, context, action), requireRunId(input, action), input.pollSeconds, context),
  }),

  waitForRuns: defineAction('waitForRuns', {
    title: 'Wait for several runs to end',
    description: "Waits until every run has ended (AZTK's wait_until_applications_done) and gives each one's final status, and the ids of those that failed.",
    inputSchema: {
      type: 'object',
      required: ['runIds'],
      properties: {
        ...LOCATOR_PROPERTIES,
        runIds: { type: 'array', items: { type: 'string' }, minItems: 1, description: 'The run ids' },
        pollSeconds: { type: 'number', description: 'First wait between polls (default 2)' },
      },
    },
    outputSchema: { type: 'object', properties: { runs: { type: 'array', items: RUN_STATUS_SCHEMA }, failed: { type: 'array', items: { type: 'string' } } } },
    handler: async (input, context, action) => {
      const ids = input.runIds;
      if (!Array.isArray(ids) || !ids.length || !ids.every((id) => typeof id === 'string' && id)) {
        throw new AzureMLValidationError({ action, problems: [{ path: 'runIds', message: 'must be a list of run ids' }] });
      }
      const resolved = resolve(input, context, action);
      const runs = await Promise.all([...new Set(ids as string[])].map((runId) => waitFor(resolved, runId, input.pollSeconds, context)));
      return { runs, failed: runs.filter((run) => run.status === 'Failed').map((run) => run.runId) };
    },
  }),

  cancelRun: defineAction('cancelRun', {
    title: 'Cancel a run',
    description: 'Asks the service to cancel the run.',
    inputSchema: { type: 'object', required: ['runId'], properties: { ...LOCATOR_PROPERTIES, runId: RUN_ID } },
    outputSchema: { type: 'object', properties: { runId: { type: 'string' } } },
    handler: async (input, context, action) => resolve(input, context, action).client.cancelRun(requireRunId(input, action), { signal: context?.signal }),
  }),

  getRunLog: defineAction('getRunLog', {
    title: "Read a run's log",
    description: 'The driver log from a byte offset (fromByte), and the offset to read from next time (nextByte).',
    inputSchema: {
      type: 'object',
      required: ['runId'],
      properties: {
        ...LOCATOR_PROPERTIES,
        runId: RUN_ID,
        fromByte: { type: 'integer', minimum: 0, description: 'Bytes already read (default 0)' },
        rank: { type: 'integer', minimum: 0, description: "A distributed run: the log of the process of this rank (default rank 0's)" },
      },
    },
    outputSchema: {
      type: 'object',
      properties: {
        runId: { type: 'string' },
        name: { type: 'string' },
        log: { type: 'string' },
        fromByte: { type: 'integer' },
        nextByte: { type: 'integer' },
        totalBytes: { type: 'integer' },
        status: { type: 'string' },
      },
    },
    handler: async (input, context, action) => {
      const fromByte = input.fromByte === undefined ? undefined : Number(input.fromByte);
      const rank = input.rank === undefined ? undefined : Number(input.rank);
      const log = await resolve(input, context, action).client.getRunLog(requireRunId(input, action), {
        fromByte,
        signal: context?.signal,
        ...(rank !== undefined ? { rank } : {}),
      });
      const { error: _error, ...rest } = log;
      return rest;
    },
  }),

  getRunDetails: defineAction('getRunDetails', {
    title: "Get a run's details",
    description: 'Status, times, definition, log names, the last value of each metric and the paths of its artifacts.',
    inputSchema: { type: 'object', required: ['runId'], properties: { ...LOCATOR_PROPERTIES, runId: RUN_ID } },
    outputSchema: {
      type: 'object',
      properties: {
        runId: { type: 'string' },
        experimentName: { type: 'string' },
        status: { type: 'string' },
        target: { type: 'string' },
        startTimeUtc: { type: 'string', format: 'date-time' },
        endTimeUtc: { type: 'string', format: 'date-time' },
        durationMs: { type: 'number' },
        definition: { type: 'object' },
        logFiles: { type: 'array', items: { type: 'string' } },
        metrics: { type: 'object' },
        artifacts: { type: 'array', items: { type: 'string' } },
        error: { type: 'object' },
      },
    },
    handler: async (input, context, action) => resolve(input, context, action).client.getRunDetails(requireRunId(input, action), { signal: context?.signal }),
  }),

  getMetrics: defineAction('getMetrics', {
    title: "Get a run's metrics",
    description: 'Every metric of the run by name, each a list of points ({value, step, time}) in step order.',
    inputSchema: { type: 'object', required: ['runId'], properties: { ...LOCATOR_PROPERTIES, runId: RUN_ID } },
    outputSchema: {
      type: 'object',
      properties: {
        metrics: {
          type: 'object',
          additionalProperties: {
            type: 'array',
            items: { type: 'object', properties: { value: {}, step: { type: 'integer' }, time: { type: 'string' } } },
          },
        },
      },
    },
    handler: async (input, context, action) => ({ metrics: await resolve(input, context, action).client.getMetrics(requireRunId(input, action), { signal: context?.signal }) }),
  }),

  downloadOutputs: defineAction('downloadOutputs', {
    title: "Download a run's outputs",
    description: 'Writes every artifact under prefix (default outputs/) to <to>/<artifact path> on this server, skipping files already there with the same size.',
    inputSchema: {
      type: 'object',
      required: ['runId', 'to'],
      properties: {
        ...LOCATOR_PROPERTIES,
        runId: RUN_ID,
        to: {
          type: 'string',
          description: 'The folder to write into, on this server; over HTTP, one under the downloads folder (variable downloadsDir, default downloads/ of the DataFire project)',
        },
        prefix: { type: 'string', description: "Only artifacts whose path starts with this (default outputs/, '' for all)" },
      },
    },
    outputSchema: {
      type: 'object',
      properties: {
        runId: { type: 'string' },
        to: { type: 'string' },
        bytes: { type: 'integer' },
        files: {
          type: 'array',
          items: { type: 'object', properties: { path: { type: 'string' }, file: { type: 'string' }, bytes: { type: 'integer' }, skipped: { type: 'boolean' } } },
        },
      },
    },
    handler: async (input, context, action) =>
      resolve(input, context, action).client.downloadOutputs(requireRunId(input, action), {
        to: downloadFolder(input.to, context, action),
        prefix: input.prefix as string | undefined,
        signal: context?.signal,
      }),
  }),

  listRuns: defineAction('listRuns', {
    title: 'List runs',
    description: "The experiment's runs, newest first.",
    inputSchema: {
      type: 'object',
      properties: {
        ...LOCATOR_PROPERTIES,
        status: { type: 'string', description: 'Only runs in this status' },
        top: { type: 'integer', minimum: 1, description: 'At most this many' },
      },
    },
    outputSchema: RUN_LIST_SCHEMA,
    handler: async (input, context, action) => {
      const resolved = resolve(input, context, action);
      requireExperiment(resolved, action);
      const top = input.top === undefined ? undefined : Number(input.top);
      const runs = await resolved.client.listRuns({ status: input.status as string | undefined, top }, { signal: context?.signal });
      return { runs: runs.map((run) => runStatusOf(run, resolved.workspace.experimentName)) };
    },
  }),

  endedRuns: defineAction('endedRuns', {
    title: 'Runs that ended',
    description:
      "The experiment's latest Completed, Failed and Canceled runs, the last ended first: a task monitor (array runs, trackBy runId) that reports each run once when it ends.",
    inputSchema: { type: 'object', properties: { ...LOCATOR_PROPERTIES, top: { type: 'integer', minimum: 1, description: 'How many of each status to look at (default 20)' } } },
    outputSchema: RUN_LIST_SCHEMA,
    handler: async (input, context, action) => {
      const resolved = resolve(input, context, action);
      requireExperiment(resolved, action);
      const top = input.top === undefined ? 20 : Number(input.top);
      const lists = await Promise.all(TERMINAL_STATUSES.map((status) => resolved.client.listRuns({ status, top }, { signal: context?.signal })));
      const runs = lists.flat().map((run) => runStatusOf(run, resolved.workspace.experimentName));
      runs.sort((a, b) => (b.endTimeUtc ?? '').localeCompare(a.endTimeUtc ?? ''));
      return { runs };
    },
  }),

  reportRun: defineAction('reportRun', {
    title: 'Report a run that ended',
    description: 'Logs one line for the run and, when the variable reportWebhook (or AZUREML_REPORT_WEBHOOK) is set, POSTs the run status there as JSON.',
    inputSchema: RUN_STATUS_SCHEMA,
    outputSchema: { type: 'object', properties: { message: { type: 'string' }, webhookStatus: { type: 'integer' } } },
    handler: async (input, context, action) => {
      const run = input as unknown as RunStatus;
      const took = typeof run.durationSeconds === 'number' ? ` after ${run.durationSeconds.toFixed(1)} s` : '';
      const why = run.error?.message ? `: ${run.error.code ? `${run.error.code}: ` : ''}${run.error.message}` : '';
      const message = `Run ${run.runId} of experiment ${run.experimentName} ended ${run.status}${took}${why}`;
      console.log(message);
      const variables = (context?.variables ?? {}) as Record<string, unknown>;
      const fromVariable = typeof variables.reportWebhook === 'string';
      const webhook = fromVariable ? (variables.reportWebhook as string) : process.env.AZUREML_REPORT_WEBHOOK;
      if (!webhook) return { message };
      const setting = fromVariable ? 'variables.reportWebhook' : 'AZUREML_REPORT_WEBHOOK';
      const response = await postWebhook(webhook, { text: message, run }, action, setting, context?.signal);
      if (response.status < 200 || response.status > 299) throw new Error(`The report webhook answered ${response.status} for run ${run.runId}`);
      return { message, webhookStatus: response.status };
    },
  }),

  ...computeActions,
};

export type WorkflowActionName = keyof typeof workflowActions;

const asDataFire = new Map<string, IntegrationAction>();

/** The workflow action `name`: a `datafire.Action` when DataFire is installed (as `action(name)` gives for the service's actions). */
export function workflowAction(name: WorkflowActionName): IntegrationAction {
  const plain = Object.prototype.hasOwnProperty.call(workflowActions, name) ? workflowActions[name] : undefined;
  if (!plain) throw new Error(`Action azureml-execution/${String(name)} not found. Known: ${Object.keys(workflowActions).join(', ')}`);
  return asDataFireAction(asDataFire, name, plain);
}
