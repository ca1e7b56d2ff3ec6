/**
 * `submitJob`: a command job on the v2 API in one call, as `submitRun` is for v1. The project
 * folder is uploaded as a code version (only when its content is new), the command's references
 * are checked against the inputs and outputs given (an output it names and does not declare is a
 * uri_folder), literal inputs may be given as plain values, and the job is created under a name
 * made as the SDK makes run ids, so that a retry of the request cannot start a second job.
 * A v1 definition (`definition`) is converted with toCommandJob, so a v1 flow moves to v2 by
 * changing its `api` alone.
 */
import { isoDurationSeconds } from '../../spec/iso-duration';
import { randomBytes } from 'crypto';
import { AzureMLValidationError, type InputProblem } from '../../errors';
import type { CallOptions } from '../../http/call-options';
import type { CommandJob, JobBaseResource, JobInput, JobOutput, V2Actions } from '../../spec/arm/types';
import type { RunDefinition } from '../../spec/execution/types';
import { isObject } from '../../spec/is-object';
import { markWorkflowFields, resolveExperiment, type ExperimentLocator, type RunLocator } from '../locator';
import { toCommandJob, type DroppedField } from './to-command-job';
import { qualifyComputeId, qualifyEnvironmentId } from './arm-ids';
import { uploadCode, type UploadCodeOptions, type UploadedCode } from './upload-code';

export interface SubmitJobInput extends Partial<ExperimentLocator> {
  /** The project folder: uploaded as the job's code (skipped when a version with its content hash exists). */
  project?: string;
  /** What to run, in the code's folder: `python train.py --lr ${{inputs.lr}} --out ${{outputs.model}}`. */
  command?: string;
  /** A v1 run definition instead of a command: converted with toCommandJob (see `dropped` in the answer). */
  definition?: RunDefinition | Record<string, unknown>;
  /** Inputs by name: a plain value is a literal input; an object is a JobInput (uri_folder, uri_file...). */
  inputs?: Record<string, string | number | boolean | JobInput>;
  /** Outputs by name (default: a uri_folder for each `${{outputs.name}}` of the command). */
  outputs?: Record<string, JobOutput>;
  /** The environment, e.g. `azureml:my-env:1` (required unless the definition names one). */
  environmentId?: string;
  /** The compute, by name or ARM id (none: serverless compute). */
  computeId?: string;
  environmentVariables?: Record<string, string>;
  /** The time limit: seconds, or an ISO 8601 duration such as `PT30M`. */
  timeout?: number | string;
  displayName?: string;
  description?: string;
  tags?: Record<string, string>;
  /** The job's name, which is its run id (default `{experiment}_{unix seconds}_{8 hex}`). */
  jobName?: string;
  /** Nodes of a distributed job (resources.instanceCount). */
  instanceCount?: number;
  distribution?: CommandJob['distribution'];
  /** The code asset's name (default: the folder's name). */
  codeName?: string;
}

export interface SubmitJobOptions extends CallOptions, Pick<UploadCodeOptions, 'concurrency' | 'userAgentPrefix'> {
  /** Told the code upload's progress (0 of n when the code was there already). */
  onUploadProgressBytes?: UploadCodeOptions['onProgress'];
}

export interface SubmittedJob extends RunLocator {
  /** The job as created (its properties): what Jobs_CreateOrUpdate was sent. */
  job: CommandJob;
  /** The uploaded (or reused) code, when a project was given. */
  code?: UploadedCode;
  /** What a converted v1 definition had that v2 has no place for. */
  dropped: DroppedField[];
}

const ACTION = 'azureml-execution/submitJob';
const REFERENCE = /\$\{\{\s*(inputs|outputs)\.([A-Za-z_][\w]*)\s*\}\}/g;

/** `{experiment}_{unix seconds}_{8 hex}`, a valid job name. */
export function newJobName(experimentName: string): string {
  let prefix = experimentName.replace(/[^\w-]/g, '_').slice(0, 200);
  if (!/^[a-zA-Z0-9]/.test(prefix)) prefix = `job${prefix}`;
  return `${prefix}_${Math.floor(Date.now() / 1000)}_${randomBytes(4).toString('hex')}`;
}

function timeoutOf(value: number | string | undefined, problems: InputProblem[]): string | undefined {
  if (value === undefined) return undefined;
  if (typeof value === 'number') {
    if (Number.isInteger(value) && value > 0) return `PT${value}S`;
    problems.push({ path: 'timeout', message: `must be a whole number of seconds above 0, or an ISO 8601 duration such as PT30M (got ${JSON.stringify(value)})` });
    return undefined;
  }
  if (isoDurationSeconds(value) !== undefined) return value;
  problems.push({ path: 'timeout', message: `must be an ISO 8601 duration such as PT30M, or seconds (got ${JSON.stringify(value)})` });
  return undefined;
}

/** The command job the input describes, with every problem of the input named. */
export function commandJobOf(input: SubmitJobInput, experimentName: string): { job: CommandJob; dropped: DroppedField[] } {
  const problems: InputProblem[] = [];
  let job: CommandJob;
  let dropped: DroppedField[] = [];
  if (input.definition !== undefined) {
    if (input.command !== undefined) problems.push({ path: 'command', message: 'cannot be given with a definition: give one or the other' });
    ({ job, dropped } = toCommandJob(input.definition, { environmentId: input.environmentId, computeId: input.computeId }));
  } else {
    if (typeof input.command !== 'string' || !input.command.trim()) problems.push({ path: 'command', message: 'is required (or a v1 definition): what the job runs' });
    if (typeof input.environmentId !== 'string' || !input.environmentId)
      problems.push({ path: 'environmentId', message: 'is required: the environment the job runs in, e.g. azureml:my-env:1' });
    job = { jobType: 'Command', command: String(input.command ?? ''), environmentId: String(input.environmentId ?? '') };
    if (input.computeId) job.computeId = input.computeId;
  }
  job.experimentName = experimentName;
  const inputs: Record<string, JobInput> = { ...job.inputs };
  for (const [name, value] of Object.entries(input.inputs ?? {})) {
    if (isObject(value)) inputs[name] = value as JobInput;
    else if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean') inputs[name] = { jobInputType: 'literal', value: String(value) };
    else problems.push({ path: `inputs.${name}`, message: 'must be a value (a literal input) or a JobInput object' });
  }
  const outputs: Record<string, JobOutput> = { ...job.outputs, ...input.outputs };
  for (const [, kind, name] of job.command.matchAll(REFERENCE)) {
    if (kind === 'inputs' && !inputs[name]) problems.push({ path: `inputs.${name}`, message: `is used by the command (\${{inputs.${name}}}) and not given` });
    if (kind === 'outputs' && !outputs[name]) outputs[name] = { jobOutputType: 'uri_folder' };
  }
  if (Object.keys(inputs).length) job.inputs = inputs;
  if (Object.keys(outputs).length) job.outputs = outputs;
  if (input.environmentVariables) job.environmentVariables = { ...job.environmentVariables, ...input.environmentVariables };
  const timeout = timeoutOf(input.timeout, problems);
  if (timeout) job.limits = { jobLimitsType: 'Command', timeout };
  if (input.displayName) job.displayName = input.displayName;
  if (input.description) job.description = input.description;
  if (input.tags) job.tags = { ...input.tags };
  if (input.instanceCount !== undefined) job.resources = { ...job.resources, instanceCount: input.instanceCount };
  if (input.distribution) job.distribution = input.distribution;
  if (problems.length) throw new AzureMLValidationError({ action: ACTION, problems });
  return { job, dropped };
}

export async function submitJob(v2: V2Actions, input: SubmitJobInput, defaults: Partial<ExperimentLocator> | undefined, options: SubmitJobOptions = {}): Promise<SubmittedJob> {
  if (!input || typeof input !== 'object' || Array.isArray(input)) {
    throw new AzureMLValidationError({ action: ACTION, problems: [{ path: '', message: 'input must be an object with command (or definition) and environmentId' }] });
  }
  const experiment = resolveExperiment({ ...input, experimentName: input.experimentName ?? defaults?.experimentName ?? 'Default' }, defaults, ACTION);
  const { job, dropped } = commandJobOf(input, experiment.experimentName);
  const name = input.jobName ?? newJobName(experiment.experimentName);
  const workspace = { subscriptionId: experiment.subscriptionId, resourceGroupName: experiment.resourceGroupName, workspaceName: experiment.workspaceName };
  // Names as the service takes them: Resource Manager ids of this workspace.
  if (job.computeId) job.computeId = qualifyComputeId(job.computeId, workspace);
  job.environmentId = qualifyEnvironmentId(job.environmentId, workspace);
  // Everything the service would refuse is refused before the upload: the job is checked first.
  const body: JobBaseResource = { properties: job };
  let code: UploadedCode | undefined;
  if (input.project !== undefined) {
    if (typeof input.project !== 'string' || !input.project) {
      throw new AzureMLValidationError({ action: ACTION, problems: [{ path: 'project', message: 'must be the path of the project folder' }] });
    }
    code = await uploadCode(v2, workspace, input.project, {
      codeName: input.codeName,
      signal: options.signal,
      onProgress: options.onUploadProgressBytes,
      concurrency: options.concurrency,
      userAgentPrefix: options.userAgentPrefix,
    });
    job.codeId = code.codeId;
  }
  await v2.Jobs_CreateOrUpdate({ ...workspace, id: name, body }, { signal: options.signal, retry: options.retry, timeoutMs: options.timeoutMs, deadlineMs: options.deadlineMs });
  const submitted: SubmittedJob = { ...experiment, runId: name, job, dropped, ...(code ? { code } : {}) };
  return markWorkflowFields(submitted, ['job', 'code', 'dropped']);
}
