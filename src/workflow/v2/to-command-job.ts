/**
 * `toCommandJob(definition)`: a v1 run definition (what Runs_StartRun takes, in the swagger's
 * camelCase or the service's PascalCase) as the command job of the v2 API that does the same
 * work, and the list of what it had that v2 has no place for, so that nothing is dropped unsaid.
 *
 * - script and arguments -> `command` (`python <script> <args>`, each argument quoted for a POSIX
 *   shell when it needs it); `$AZUREML_DATAREFERENCE_<name>` in an argument -> `${{inputs.<name>}}`;
 * - target -> computeId (`local` has no v2 counterpart: the job goes where the caller says);
 * - environment name and version -> environmentId `azureml:<name>:<version>` (or `@latest`);
 * - environment variables, maxRunDurationSeconds (-> limits.timeout `PT<n>S`), nodeCount
 *   (-> resources.instanceCount), jobName (-> displayName);
 * - framework and communicator -> distribution: Mpi, PyTorch (Nccl, Gloo, or the PyTorch
 *   framework on several nodes), TensorFlow (ParameterServer, or tensorflow settings);
 * - dataReferences -> inputs (`mount`/`download`) or outputs (`upload`) of type uri_folder on
 *   `azureml://datastores/<store>/paths/<path>`.
 */
import { AzureMLValidationError } from '../../errors';
import { executionSpec } from '../../spec/execution/spec';
import type { CommandJob, DistributionConfiguration, JobInput, JobOutput } from '../../spec/arm/types';
import type { RunConfiguration, RunDefinition } from '../../spec/execution/types';
import { isObject } from '../../spec/is-object';
import { normalizeRunDefinition, withoutNulls } from '../../spec/run-definition';

export interface ToCommandJobOptions {
  /** The environment to run in, when the definition names none (or to use instead of its own). */
  environmentId?: string;
  /** The compute, instead of the definition's target. */
  computeId?: string;
  /** The uploaded code (the workflow sets it). */
  codeId?: string;
  experimentName?: string;
}

/** A field of the definition that the command job has no place for, and why. */
export interface DroppedField {
  /** Its dotted path in the definition (`configuration.history.directoriesToWatch`). */
  field: string;
  reason: string;
}

export interface ConvertedJob {
  /** The job's properties: `{ properties: job }` is the body of Jobs_CreateOrUpdate. */
  job: CommandJob;
  /** What v2 has no place for (empty when the conversion lost nothing). */
  dropped: DroppedField[];
}

const ACTION = 'azureml-execution/toCommandJob';

/** Quoted for a POSIX shell when it holds anything but plain characters. */
export function shellQuote(arg: string): string {
  if (/^[\w@%+=:,./${}-]+$/.test(arg) && !/\$(?!\{\{)/.test(arg)) return arg;
  return `'${arg.replace(/'/g, `'\\''`)}'`;
}

const DATA_REFERENCE = /\$AZUREML_DATAREFERENCE_([A-Za-z_][\w]*)/g;

/** `$AZUREML_DATAREFERENCE_<name>` (v1's variable of a data reference) as v2's `${{inputs.<name>}}`. */
const withInputs = (text: string): string => text.replace(DATA_REFERENCE, (_m, name: string) => `\${{inputs.${name}}}`);

function distributionOf(config: RunConfiguration, dropped: DroppedField[]): DistributionConfiguration | undefined {
  const perNode = config.mpi?.processCountPerNode;
  const framework = config.framework;
  const communicator = config.communicator;
  if (communicator === 'Mpi') return { distributionType: 'Mpi', ...(perNode ? { processCountPerInstance: perNode } : {}) };
  if (communicator === 'Nccl' || communicator === 'Gloo' || (framework === 'PyTorch' && (config.nodeCount ?? 1) > 1)) {
    return { distributionType: 'PyTorch', ...(perNode ? { processCountPerInstance: perNode } : {}) };
  }
  // The SDK writes a tensorflow section of zeros into every definition: only one asking for tasks counts.
  const tfTasks = !!config.tensorflow && ((config.tensorflow.workerCount ?? 0) > 0 || (config.tensorflow.parameterServerCount ?? 0) > 0);
  if (communicator === 'ParameterServer' || (framework === 'TensorFlow' && tfTasks)) {
    const tf = config.tensorflow ?? {};
    return {
      distributionType: 'TensorFlow',
      ...(tf.workerCount !== undefined ? { workerCount: tf.workerCount } : {}),
      ...(tf.parameterServerCount !== undefined ? { parameterServerCount: tf.parameterServerCount } : {}),
    };
  }
  // The SDK writes processCountPerNode: 1 into every definition: only another value is a loss worth naming.
  if (perNode !== undefined && perNode !== 1)
    dropped.push({ field: 'configuration.mpi.processCountPerNode', reason: 'used only with the Mpi communicator, which the definition does not set' });
  return undefined;
}

function dataReferences(config: RunConfiguration, job: CommandJob, dropped: DroppedField[]): void {
  const refs = config.dataReferences ?? {};
  for (const [name, ref] of Object.entries(refs)) {
    const field = `configuration.dataReferences.${name}`;
    if (!ref.dataStoreName) {
      dropped.push({ field, reason: 'no dataStoreName: a v2 input needs a datastore path' });
      continue;
    }
    const uri = `azureml://datastores/${ref.dataStoreName}/paths/${(ref.pathOnDataStore ?? '').replace(/^\/+/, '')}`;
    const mode = String(ref.mode ?? 'mount').toLowerCase();
    if (mode === 'upload') {
      const output: JobOutput = { jobOutputType: 'uri_folder', uri, mode: 'Upload' };
      job.outputs = { ...job.outputs, [name]: output };
    } else {
      const input: JobInput = { jobInputType: 'uri_folder', uri, mode: mode === 'download' ? 'Download' : 'ReadOnlyMount' };
      job.inputs = { ...job.inputs, [name]: input };
    }
    if (ref.pathOnCompute)
      dropped.push({ field: `${field}.pathOnCompute`, reason: 'v2 chooses where an input is mounted; the command gets its path from ${{inputs.' + name + '}}' });
    if (ref.overwrite !== undefined) dropped.push({ field: `${field}.overwrite`, reason: 'v2 outputs have no overwrite setting' });
  }
}

/** Why a field has no place in the command job, with what to do instead (others get a generic reason). */
const NO_V2_PLACE: Record<string, string> = {
  snapshotId: 'a v1 snapshot is not a v2 code asset: submit the project folder (the workflow uploads it as code)',
  parentRunId: 'v2 jobs have no parent run; use a pipeline job to group steps',
  runType: 'v2 jobs have no run type',
  'configuration.history': 'v2 always collects ./outputs and ./logs; other folders are not watched',
  'configuration.spark': 'Spark jobs are not part of the command job',
  'configuration.hdi': 'HDInsight targets have no v2 counterpart',
  'configuration.docker': 'v2 sets the container up from the environment and the compute',
  'configuration.identity': 'give identity in the job (AMLToken, Managed or UserIdentity) if the default does not suit',
  'configuration.environment.python': 'v2 environments are registered assets: register one with these dependencies and give its environmentId',
  'configuration.environment.docker': 'v2 environments are registered assets: register one with this image and give its environmentId',
  'configuration.environment.spark': 'Spark jobs are not part of the command job',
  'configuration.environment.inferencingStackVersion': 'an inferencing setting, not a training one',
};

/** Fields the conversion reads, at each level; every other field given is reported as dropped. */
const READ = {
  definition: new Set(['configuration']),
  configuration: new Set([
    'script',
    'command',
    'arguments',
    'framework',
    'communicator',
    'target',
    'dataReferences',
    'jobName',
    'maxRunDurationSeconds',
    'nodeCount',
    'environment',
    'environmentVariables',
    'tensorflow',
    'mpi',
  ]),
  environment: new Set(['name', 'version', 'environmentVariables']),
};

function reportUnread(value: Record<string, unknown> | undefined, read: Set<string>, base: string, dropped: DroppedField[]): void {
  for (const [key, item] of Object.entries(value ?? {})) {
    if (read.has(key) || item === undefined || (isObject(item) && !Object.keys(item).length)) continue;
    const field = base ? `${base}.${key}` : key;
    dropped.push({ field, reason: NO_V2_PLACE[field] ?? 'no place in a v2 command job' });
  }
}

export function toCommandJob(definition: RunDefinition | Record<string, unknown>, options: ToCommandJobOptions = {}): ConvertedJob {
  if (!isObject(definition)) {
    throw new AzureMLValidationError({ action: ACTION, problems: [{ path: 'definition', message: 'must be a run definition object' }] });
  }
  const normalized = normalizeRunDefinition(definition, executionSpec.definitions);
  const def = withoutNulls(normalized.definition) as RunDefinition & Record<string, unknown>;
  const config: RunConfiguration & Record<string, unknown> = (def.configuration ?? {}) as RunConfiguration & Record<string, unknown>;
  const dropped: DroppedField[] = [];

  const problems: Array<{ path: string; message: string }> = [];
  // azureml-core 1.x also writes `command` (a list or a string) instead of script and arguments.
  const given = config.command;
  // References are replaced before quoting, so that `${{inputs.x}}` stays unquoted, as in arguments.
  const command = Array.isArray(given)
    ? given.map((part) => shellQuote(withInputs(String(part)))).join(' ')
    : typeof given === 'string' && given.trim()
      ? withInputs(given)
      : undefined;
  if (!config.script && !command) problems.push({ path: 'definition.configuration.script', message: 'is required (or command): the command job runs `python <script>`' });
  const env = config.environment;
  const environmentId = options.environmentId ?? (env?.name ? `azureml:${env.name}${env.version ? `:${env.version}` : '@latest'}` : undefined);
  if (!environmentId) problems.push({ path: 'environmentId', message: 'is required: give options.environmentId, or name the environment in configuration.environment.name' });
  if (problems.length) throw new AzureMLValidationError({ action: ACTION, problems });

  if (config.framework === 'PySpark' || config.framework === 'Cntk') {
    dropped.push({ field: 'configuration.framework', reason: `${config.framework} has no v2 command job; the script runs with python` });
  }
  const args = (config.arguments ?? []).map((arg) => withInputs(String(arg)));
  const job: CommandJob = {
    jobType: 'Command',
    command: config.script ? ['python', shellQuote(config.script), ...args.map(shellQuote)].join(' ') : command!,
    environmentId: environmentId!,
  };
  if (config.script && command) dropped.push({ field: 'configuration.command', reason: 'script and arguments make the command; command is not used with them' });
  if (options.codeId) job.codeId = options.codeId;
  const computeId = options.computeId ?? (config.target && config.target !== 'local' ? config.target : undefined);
  if (computeId) job.computeId = computeId;
  else if (config.target === 'local') dropped.push({ field: 'configuration.target', reason: 'v2 has no local target: the job runs on the compute given, else serverless compute' });
  if (options.experimentName) job.experimentName = options.experimentName;
  if (config.jobName) job.displayName = config.jobName;
  const variables = { ...(isObject(config.environmentVariables) ? (config.environmentVariables as Record<string, string>) : {}), ...env?.environmentVariables };
  if (Object.keys(variables).length) job.environmentVariables = variables;
  if (config.maxRunDurationSeconds !== undefined) job.limits = { jobLimitsType: 'Command', timeout: `PT${config.maxRunDurationSeconds}S` };
  if (config.nodeCount !== undefined) job.resources = { instanceCount: config.nodeCount };
  const distribution = distributionOf(config, dropped);
  if (distribution) job.distribution = distribution;
  dataReferences(config, job, dropped);

  reportUnread(def, READ.definition, '', dropped);
  reportUnread(config, READ.configuration, 'configuration', dropped);
  reportUnread(env as Record<string, unknown> | undefined, READ.environment, 'configuration.environment', dropped);
  if (env?.name && options.environmentId) dropped.push({ field: 'configuration.environment.name', reason: `replaced by the environmentId given (${options.environmentId})` });
  return { job, dropped };
}
