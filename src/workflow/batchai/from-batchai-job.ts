/**
 * `fromBatchAIJob(job)`: a Batch AI job (Microsoft.BatchAI 2018-03-01 and 2018-05-01: the whole
 * resource, or its `properties`) as the Azure ML run that does the same work: a v1 run definition
 * and a v2 command job, with the warnings of what changed on the way. Batch AI was retired and
 * its users moved to Azure ML compute clusters; this keeps their job files working.
 *
 * - the toolkit: pyTorchSettings (PyTorch, or MPI with communicationBackend MPI), tensorFlowSettings
 *   (workers and parameter servers), horovodSettings and customMpiSettings (MPI),
 *   customToolkitSettings (a command line); nodeCount and processCount become nodes x processes;
 * - environmentVariables and secrets (with a value) become the run's variables;
 * - inputDirectories and outputDirectories become AZ_BATCHAI_INPUT_<id> and AZ_BATCHAI_OUTPUT_<id>:
 *   outputs under outputs/<id> (so they become the run's artifacts), and the mount roots
 *   (AZ_BATCHAI_MOUNT_ROOT, AZ_BATCHAI_JOB_MOUNT_ROOT) under mounts/ in the project folder;
 * - jobPreparation.commandLine runs before the job (v2: the command runs it first);
 * - constraints.maxWallClockTime is the time limit, cluster the compute target,
 *   containerSettings the docker base image (v1).
 *
 * What has no Azure ML counterpart (CNTK, Caffe, Caffe2, Chainer, mount volumes, Key Vault
 * references) is an error naming the field and what to use instead, before anything is sent.
 * No secret value ever appears in a warning or an error.
 */
import { AzureMLValidationError, type InputProblem } from '../../errors';
import type { CommandJob, DistributionConfiguration } from '../../spec/arm/types';
import type { RunDefinition } from '../../spec/execution/types';
import { isObject } from '../../spec/is-object';
import { isoDurationSeconds } from '../../spec/iso-duration';
import { shellQuote } from '../v2/to-command-job';
import { splitShellWords } from './shell-words';

export interface FromBatchAIJobOptions {
  /** The v2 environment (e.g. azureml:my-env:1): Batch AI jobs name none. */
  environmentId?: string;
}

/** A v2 command job without what the submission adds (the code) and, unless given, the environment. */
export type BatchAICommandJob = Omit<CommandJob, 'environmentId'> & { environmentId?: string };

export interface BatchAIJobConversion {
  /** The v1 run definition, or undefined when v1 cannot do what the job needs (`v1Blockers` says why). */
  definition?: RunDefinition;
  v1Blockers: string[];
  /** The v2 command job (its properties). */
  commandJob: BatchAICommandJob;
  /** The job's experimentName, when it had one. */
  experimentName?: string;
  /** What changed on the way (never a secret's value). */
  warnings: string[];
}

/** Where Batch AI's mount roots are in the project folder: the data that was mounted goes there. */
export const MOUNT_ROOT = 'mounts';
export const JOB_MOUNT_ROOT = 'mounts/job';

const ACTION = 'azureml-execution/fromBatchAIJob';

/** Fields with no Azure ML counterpart, and what to do instead. */
const UNSUPPORTED: Record<string, string> = {
  cntkSettings: 'has no Azure ML counterpart: run CNTK with customToolkitSettings.commandLine (e.g. "python train.py ...") in an environment that has CNTK',
  caffeSettings: 'has no Azure ML counterpart: run Caffe with customToolkitSettings.commandLine (e.g. "caffe train --solver=solver.prototxt") in an environment that has Caffe',
  caffe2Settings: 'has no Azure ML counterpart: run Caffe2 with customToolkitSettings.commandLine (e.g. "python train.py ...") in an environment that has Caffe2',
  chainerSettings: 'has no Azure ML counterpart: run Chainer with customToolkitSettings.commandLine (or customMpiSettings for ChainerMN) in an environment that has Chainer',
  mountVolumes:
    'has no Azure ML counterpart: jobs read data from inputs (a uri_folder on a datastore), not mounted file systems; put small data under mounts/ in the project folder, or register a data asset and pass it as an input',
};

/** Informative fields: a warning says they are not carried. */
const INFORMATIVE: Record<string, string> = {
  stdOutErrPathPrefix: 'Azure ML keeps stdout and stderr as the run logs (azureml-logs/, user_logs/): stdOutErrPathPrefix is not used',
  priority: 'Azure ML compute clusters queue jobs in order: priority is not carried',
  toolType: 'the toolkit settings say the tool: toolType is not carried',
};

/** Read-only fields of a job read back from Batch AI: not part of what it asked for. */
const READ_ONLY = new Set([
  'creationTime',
  'executionState',
  'executionStateTransitionTime',
  'executionInfo',
  'provisioningState',
  'provisioningStateTransitionTime',
  'jobOutputDirectoryPathSegment',
]);

const KNOWN = new Set([
  'nodeCount',
  'cluster',
  'experimentName',
  'environmentVariables',
  'secrets',
  'inputDirectories',
  'outputDirectories',
  'jobPreparation',
  'constraints',
  'containerSettings',
  'pyTorchSettings',
  'tensorFlowSettings',
  'horovodSettings',
  'customMpiSettings',
  'customToolkitSettings',
  ...Object.keys(UNSUPPORTED),
  ...Object.keys(INFORMATIVE),
  ...READ_ONLY,
]);

const TOOLKITS = ['pyTorchSettings', 'tensorFlowSettings', 'horovodSettings', 'customMpiSettings', 'customToolkitSettings'] as const;
type Toolkit = (typeof TOOLKITS)[number];

/** What the job runs, in terms both APIs can say. */
interface Launch {
  /** `python <script> <args>`: the script (project-relative) and its interpreter. */
  script?: string;
  interpreter?: string;
  args: string[];
  /** TensorFlow: other arguments for parameter servers, and for worker 0 (Batch AI's master). */
  psArgs?: string[];
  masterArgs?: string[];
  /** A command line that is not a python script (custom toolkits, MPI). */
  commandLine?: string;
  nodes: number;
  perNode: number;
  framework: 'Python' | 'PyTorch' | 'TensorFlow';
  communicator: 'None' | 'Gloo' | 'Mpi' | 'ParameterServer';
  tensorflow?: { workerCount: number; parameterServerCount: number };
  distribution?: DistributionConfiguration;
}

function isWhole(value: unknown, min: number): value is number {
  return Number.isSafeInteger(value) && (value as number) >= min;
}

/** The properties of a job given whole (`{ properties: {...} }`) or as its properties. */
function propertiesOf(job: unknown): Record<string, unknown> {
  if (!isObject(job))
    throw new AzureMLValidationError({ action: ACTION, problems: [{ path: '', message: 'must be a Batch AI job: its JSON object, or the object of its properties' }] });
  const inner = job.properties;
  const looksWhole = isObject(inner) && !TOOLKITS.some((k) => k in job) && !('nodeCount' in job);
  return looksWhole ? (inner as Record<string, unknown>) : job;
}

export function fromBatchAIJob(job: unknown, options: FromBatchAIJobOptions = {}): BatchAIJobConversion {
  const props = propertiesOf(job);
  const at = (field: string) => (props === job ? field : `properties.${field}`);
  const problems: InputProblem[] = [];
  const warnings: string[] = [];
  const v1Blockers: string[] = [];

  for (const field of Object.keys(props)) {
    if (UNSUPPORTED[field] && props[field] !== undefined && props[field] !== null) problems.push({ path: at(field), message: UNSUPPORTED[field] });
    else if (INFORMATIVE[field] && props[field] !== undefined && props[field] !== null) warnings.push(`${at(field)}: ${INFORMATIVE[field]}`);
    else if (!KNOWN.has(field)) problems.push({ path: at(field), message: 'is not a field of a Batch AI job (2018-03-01 or 2018-05-01)' });
  }

  const nodes = props.nodeCount === undefined ? 1 : props.nodeCount;
  if (!isWhole(nodes, 1)) problems.push({ path: at('nodeCount'), message: `must be a whole number, 1 or more (got ${JSON.stringify(nodes)})` });
  const nodeCount = isWhole(nodes, 1) ? nodes : 1;

  // The variables Batch AI set, as they are here: mount roots in the project, outputs under outputs/.
  const batchaiVars: Record<string, string> = { AZ_BATCHAI_MOUNT_ROOT: MOUNT_ROOT, AZ_BATCHAI_JOB_MOUNT_ROOT: JOB_MOUNT_ROOT };
  const expand = (text: string) =>
    text.replace(/\$\{(AZ_BATCHAI_\w+)\}|\$(AZ_BATCHAI_\w+)/g, (whole, braced: string | undefined, bare: string | undefined) => {
      const name = (braced ?? bare)!;
      return Object.prototype.hasOwnProperty.call(batchaiVars, name) ? batchaiVars[name] : whole;
    });
  const outputsToMake: string[] = [];
  const ids = new Set<string>();
  const listOf = (field: string): Record<string, unknown>[] => {
    const value = props[field];
    if (value === undefined || value === null) return [];
    if (!Array.isArray(value) || !value.every(isObject)) {
      problems.push({ path: at(field), message: 'must be a list of objects' });
      return [];
    }
    return value as Record<string, unknown>[];
  };
  listOf('inputDirectories').forEach((dir, i) => {
    const id = dir.id;
    if (typeof id !== 'string' || !/^[A-Za-z0-9_]+$/.test(id)) return void problems.push({ path: at(`inputDirectories[${i}].id`), message: 'must be letters, digits and _' });
    if (typeof dir.path !== 'string' || !dir.path) return void problems.push({ path: at(`inputDirectories[${i}].path`), message: 'is required' });
    const expanded = expand(dir.path);
    batchaiVars[`AZ_BATCHAI_INPUT_${id}`] = expanded;
    if (expanded !== dir.path)
      warnings.push(
        `${at(`inputDirectories[${i}]`)} (${id}): ${dir.path} is read from ${expanded} in the project folder; for large data, register a data asset and pass it as a v2 input`,
      );
    else if (dir.path.startsWith('/'))
      warnings.push(`${at(`inputDirectories[${i}]`)} (${id}): ${dir.path} is an absolute path of the Batch AI node; it must exist where the job runs`);
  });
  listOf('outputDirectories').forEach((dir, i) => {
    const id = dir.id;
    if (typeof id !== 'string' || !/^[A-Za-z0-9_]+$/.test(id)) return void problems.push({ path: at(`outputDirectories[${i}].id`), message: 'must be letters, digits and _' });
    if (ids.has(id.toUpperCase())) return void problems.push({ path: at(`outputDirectories[${i}].id`), message: `${id} is used by another output directory` });
    ids.add(id.toUpperCase());
    if (dir.pathSuffix !== undefined && dir.pathSuffix !== null && typeof dir.pathSuffix !== 'string')
      return void problems.push({ path: at(`outputDirectories[${i}].pathSuffix`), message: 'must be a string' });
    const suffix = dir.pathSuffix ? `/${dir.pathSuffix.replace(/^\/+|\/+$/g, '')}` : '';
    if (suffix.includes('..')) return void problems.push({ path: at(`outputDirectories[${i}].pathSuffix`), message: 'must not contain ..' });
    const where = `outputs/${id}${suffix}`;
    batchaiVars[`AZ_BATCHAI_OUTPUT_${id}`] = where;
    if (dir.createNew !== false) outputsToMake.push(where);
    warnings.push(
      `${at(`outputDirectories[${i}]`)} (${id}): written to ${where} instead of ${String(dir.pathPrefix ?? 'its pathPrefix')}, so that it becomes an artifact of the run`,
    );
  });

  // Variables: the job's own, then secrets (values never shown), then Batch AI's.
  const variables: Record<string, string> = {};
  listOf('environmentVariables').forEach((v, i) => {
    if (typeof v.name !== 'string' || !v.name || typeof v.value !== 'string')
      return void problems.push({ path: at(`environmentVariables[${i}]`), message: 'needs a name and a string value' });
    variables[v.name] = v.value;
  });
  listOf('secrets').forEach((v, i) => {
    if (typeof v.name !== 'string' || !v.name) return void problems.push({ path: at(`secrets[${i}].name`), message: 'is required' });
    if (v.valueSecretReference !== undefined) {
      return void problems.push({
        path: at(`secrets[${i}].valueSecretReference`),
        message: 'is a Key Vault reference, which Azure ML does not put into a job environment: give the value, or read the secret from the workspace Key Vault in the script',
      });
    }
    if (typeof v.value !== 'string') return void problems.push({ path: at(`secrets[${i}].value`), message: 'is required (a string)' });
    variables[v.name] = v.value;
    warnings.push(
      `${at(`secrets[${i}]`)} (${v.name}): its value becomes an environment variable of the run, which Azure ML shows with the run's definition; keep secrets in the workspace Key Vault instead`,
    );
  });
  Object.assign(variables, batchaiVars);

  const launch = launchOf(props, at, nodeCount, expand, problems, warnings);

  // Time limit, compute, container, preparation.
  let timeoutSeconds: number | undefined;
  const constraints = props.constraints;
  if (constraints !== undefined && constraints !== null) {
    const wall = isObject(constraints) ? constraints.maxWallClockTime : undefined;
    timeoutSeconds = isoDurationSeconds(wall);
    if (timeoutSeconds === undefined)
      problems.push({ path: at('constraints.maxWallClockTime'), message: `must be an ISO 8601 duration such as PT6H (got ${JSON.stringify(wall)})` });
  }
  let target: string | undefined;
  if (props.cluster !== undefined && props.cluster !== null) {
    const id = isObject(props.cluster) ? props.cluster.id : undefined;
    if (typeof id !== 'string' || !id) problems.push({ path: at('cluster.id'), message: 'is required: the Batch AI cluster resource id' });
    else {
      target = id.replace(/\/+$/, '').split('/').pop();
      warnings.push(
        `${at('cluster')}: runs on the Azure ML compute cluster ${target}; create it first (azureml-exec compute create ${target} --vm-size <size> --max-nodes ${nodeCount})`,
      );
    }
  }
  let baseImage: string | undefined;
  if (props.containerSettings !== undefined && props.containerSettings !== null) {
    const registry = isObject(props.containerSettings) ? props.containerSettings.imageSourceRegistry : undefined;
    const image = isObject(registry) ? registry.image : undefined;
    if (typeof image !== 'string' || !image) problems.push({ path: at('containerSettings.imageSourceRegistry.image'), message: 'is required' });
    else {
      baseImage = image;
      warnings.push(
        `${at('containerSettings')}: v2 takes an environment, not an image: register one with ${baseImage} (az ml environment create --image ${baseImage}) and give its environmentId`,
      );
    }
    if (isObject(registry) && registry.credentials !== undefined && registry.credentials !== null) {
      problems.push({
        path: at('containerSettings.imageSourceRegistry.credentials'),
        message:
          "would travel in the run definition, which the service shows back: push the image to the workspace's container registry (or let the workspace identity pull it), and leave the credentials out",
      });
    }
  }
  let preparation: string | undefined;
  if (props.jobPreparation !== undefined && props.jobPreparation !== null) {
    const line = isObject(props.jobPreparation) ? props.jobPreparation.commandLine : undefined;
    if (typeof line !== 'string' || !line.trim()) problems.push({ path: at('jobPreparation.commandLine'), message: 'is required: what to run before the job' });
    else {
      preparation = expand(line);
      v1Blockers.push('jobPreparation: a v1 run runs one script and has no step before it; submit with the v2 API (--api v2), whose command runs it first');
      if (launch && launch.perNode > 1)
        warnings.push(`${at('jobPreparation')}: runs before the job in each of the ${launch.perNode} processes of a node (Batch AI ran it once per node)`);
    }
  }
  if (problems.length || !launch) throw new AzureMLValidationError({ action: ACTION, problems });

  // v2: one shell command that does it all.
  const run = (args: string[]) => [launch.interpreter ?? 'python', launch.script!, ...args].map(shellQuote).join(' ');
  let main: string;
  if (launch.commandLine !== undefined) main = launch.commandLine;
  else if (launch.psArgs || launch.masterArgs) {
    // Batch AI gave each TensorFlow role its own arguments: the task in TF_CONFIG picks them.
    const role = `"$(${shellQuote(launch.interpreter ?? 'python')} -c 'import json,os;t=json.loads(os.environ["TF_CONFIG"])["task"];print(t["type"]+str(t["index"]))')"`;
    const cases = [];
    if (launch.psArgs) cases.push(`ps*) ${run(launch.psArgs)} ;;`);
    if (launch.masterArgs) cases.push(`worker0) ${run(launch.masterArgs)} ;;`);
    cases.push(`*) ${run(launch.args)} ;;`);
    main = `case ${role} in ${cases.join(' ')} esac`;
  } else main = run(launch.args);
  const steps = [...(preparation ? [`(${preparation})`] : []), ...(outputsToMake.length ? [`mkdir -p ${outputsToMake.map(shellQuote).join(' ')}`] : []), main];
  const commandJob: BatchAICommandJob = {
    jobType: 'Command',
    command: steps.join(' && '),
    environmentVariables: variables,
    ...(options.environmentId ? { environmentId: options.environmentId } : {}),
    ...(target ? { computeId: target } : {}),
    ...(launch.nodes > 1 ? { resources: { instanceCount: launch.nodes } } : {}),
    ...(launch.distribution ? { distribution: launch.distribution } : {}),
    ...(timeoutSeconds !== undefined ? { limits: { jobLimitsType: 'Command', timeout: `PT${timeoutSeconds}S` } } : {}),
  };

  // v1: a script with its arguments, when the job is one.
  let definition: RunDefinition | undefined;
  if (launch.commandLine !== undefined) v1Blockers.push('the command line is not a python script with arguments: a v1 run runs a script; submit with the v2 API (--api v2)');
  if (launch.psArgs || launch.masterArgs)
    v1Blockers.push('TensorFlow roles with their own arguments: a v1 run gives every process the same arguments; submit with the v2 API (--api v2)');
  if (!v1Blockers.length) {
    if (outputsToMake.length) warnings.push(`v1: the script creates its output directories (${outputsToMake.join(', ')}) itself; v2 creates them before the command`);
    const unexpanded = launch.args.filter((a) => /\$/.test(a));
    if (unexpanded.length) warnings.push(`v1: arguments are passed without a shell, so ${unexpanded.join(' ')} stay as written; v2 runs them in a shell`);
    const configuration: Record<string, unknown> = {
      script: launch.script,
      arguments: launch.args,
      framework: launch.framework,
      communicator: launch.communicator,
      nodeCount: launch.nodes,
      target: target ?? 'local',
      environment: {
        environmentVariables: variables,
        ...(launch.interpreter ? { python: { interpreterPath: launch.interpreter, userManagedDependencies: true } } : {}),
        ...(baseImage ? { docker: { baseImage, enabled: true } } : {}),
      },
    };
    if (launch.perNode > 1 || launch.communicator === 'Mpi') configuration.mpi = { processCountPerNode: launch.perNode };
    if (launch.tensorflow) configuration.tensorflow = launch.tensorflow;
    if (timeoutSeconds !== undefined) configuration.maxRunDurationSeconds = timeoutSeconds;
    definition = { configuration } as RunDefinition;
  }
  return {
    ...(definition ? { definition } : {}),
    v1Blockers,
    commandJob,
    ...(typeof props.experimentName === 'string' && props.experimentName ? { experimentName: props.experimentName } : {}),
    warnings,
  };
}

/** The toolkit of the job (exactly one) as what to launch, with its nodes and processes. */
function launchOf(
  props: Record<string, unknown>,
  at: (field: string) => string,
  nodes: number,
  expand: (text: string) => string,
  problems: InputProblem[],
  warnings: string[],
): Launch | undefined {
  const given = TOOLKITS.filter((k) => props[k] !== undefined && props[k] !== null);
  if (given.length !== 1) {
    if (!problems.some((p) => Object.keys(UNSUPPORTED).some((k) => p.path.endsWith(k)))) {
      problems.push({
        path: at(given.length ? given[1] : 'pyTorchSettings'),
        message: given.length ? `a job has one toolkit: ${given.join(' and ')} are both given` : `the job names no toolkit: give one of ${TOOLKITS.join(', ')}`,
      });
    }
    return undefined;
  }
  const kind: Toolkit = given[0];
  const settings = props[kind];
  if (!isObject(settings)) return void problems.push({ path: at(kind), message: 'must be an object' });
  const field = (name: string) => at(`${kind}.${name}`);
  const words = (name: string): string[] | undefined => {
    const value = settings[name];
    if (value === undefined || value === null || value === '') return undefined;
    if (typeof value !== 'string') return void problems.push({ path: field(name), message: 'must be a string (a command line)' });
    try {
      return splitShellWords(value).map(expand);
    } catch (error) {
      return void problems.push({ path: field(name), message: `cannot be read as a command line: ${(error as Error).message}` });
    }
  };
  const script = (): string | undefined => {
    const value = settings.pythonScriptFilePath;
    if (typeof value !== 'string' || !value) return void problems.push({ path: field('pythonScriptFilePath'), message: 'is required: the script to run' });
    const expanded = expand(value);
    if (expanded.startsWith('/')) {
      const base = expanded.split('/').pop()!;
      warnings.push(`${field('pythonScriptFilePath')}: ${value} is a path of the Batch AI node; the run runs ${base} from the project folder`);
      return base;
    }
    return expanded.replace(/^\.\//, '');
  };
  const interpreter = typeof settings.pythonInterpreterPath === 'string' && settings.pythonInterpreterPath ? expand(settings.pythonInterpreterPath) : undefined;
  /** processCount (every process of the job, default nodeCount) as processes per node. */
  const perNodeOf = (): number => {
    const count = settings.processCount ?? nodes;
    if (!isWhole(count, 1)) return (problems.push({ path: field('processCount'), message: `must be a whole number, 1 or more (got ${JSON.stringify(count)})` }), 1);
    if (count % nodes !== 0) return (problems.push({ path: field('processCount'), message: `must be a multiple of nodeCount (${count} processes on ${nodes} nodes)` }), 1);
    return count / nodes;
  };
  const base = { nodes, interpreter };

  if (kind === 'pyTorchSettings') {
    const perNode = perNodeOf();
    const backend = settings.communicationBackend;
    if (backend !== undefined && !['TCP', 'Gloo', 'MPI', 'tcp', 'gloo', 'mpi'].includes(String(backend))) {
      problems.push({ path: field('communicationBackend'), message: `must be TCP, Gloo or MPI (got ${JSON.stringify(backend)})` });
    }
    const mpi = String(backend).toUpperCase() === 'MPI';
    if (String(backend).toUpperCase() === 'TCP') warnings.push(`${field('communicationBackend')}: TCP is Gloo in Azure ML (PyTorch's TCP backend was removed)`);
    const distributed = nodes * perNode > 1;
    return {
      ...base,
      script: script(),
      args: words('commandLineArgs') ?? [],
      perNode,
      framework: 'PyTorch',
      communicator: distributed ? (mpi ? 'Mpi' : 'Gloo') : 'None',
      ...(distributed
        ? { distribution: mpi ? { distributionType: 'Mpi', processCountPerInstance: perNode } : { distributionType: 'PyTorch', processCountPerInstance: perNode } }
        : {}),
    };
  }
  if (kind === 'tensorFlowSettings') {
    const workers = settings.workerCount;
    const servers = settings.parameterServerCount;
    const distributed = workers !== undefined || servers !== undefined || nodes > 1;
    if (workers !== undefined && !isWhole(workers, 1)) problems.push({ path: field('workerCount'), message: `must be a whole number, 1 or more (got ${JSON.stringify(workers)})` });
    if (servers !== undefined && !isWhole(servers, 0))
      problems.push({ path: field('parameterServerCount'), message: `must be a whole number, 0 or more (got ${JSON.stringify(servers)})` });
    const workerArgs = words('workerCommandLineArgs');
    const psArgs = words('parameterServerCommandLineArgs');
    const masterArgs = words('masterCommandLineArgs');
    if (!distributed) return { ...base, script: script(), args: masterArgs ?? workerArgs ?? [], perNode: 1, framework: 'TensorFlow', communicator: 'None' };
    const workerCount = isWhole(workers, 1) ? workers : nodes;
    // Batch AI's default: one parameter server for distributed training.
    const parameterServerCount = isWhole(servers, 0) ? servers : 1;
    const args = workerArgs ?? masterArgs ?? [];
    const same = (a: string[] | undefined) => a === undefined || JSON.stringify(a) === JSON.stringify(args);
    // Different from the workers' (with none given, the master's are everyone's).
    if (!same(masterArgs)) warnings.push(`${field('masterCommandLineArgs')}: Azure ML's TF_CONFIG has workers and parameter servers; worker 0 takes the master's arguments`);
    return {
      ...base,
      script: script(),
      args,
      ...(parameterServerCount && !same(psArgs) ? { psArgs } : {}),
      ...(masterArgs && !same(masterArgs) ? { masterArgs } : {}),
      perNode: 1,
      framework: 'TensorFlow',
      communicator: 'ParameterServer',
      tensorflow: { workerCount, parameterServerCount },
      distribution: { distributionType: 'TensorFlow', workerCount, parameterServerCount },
    };
  }
  if (kind === 'horovodSettings') {
    const perNode = perNodeOf();
    return {
      ...base,
      script: script(),
      args: words('commandLineArgs') ?? [],
      perNode,
      framework: 'Python',
      communicator: 'Mpi',
      distribution: { distributionType: 'Mpi', processCountPerInstance: perNode },
    };
  }
  // customMpiSettings and customToolkitSettings: a command line, a python script when it is one.
  const line = settings.commandLine;
  if (typeof line !== 'string' || !line.trim()) return void problems.push({ path: field('commandLine'), message: 'is required: what the job runs' });
  const mpi = kind === 'customMpiSettings';
  const perNode = mpi ? perNodeOf() : 1;
  const shape = {
    perNode,
    framework: 'Python' as const,
    communicator: mpi ? ('Mpi' as const) : ('None' as const),
    ...(mpi ? { distribution: { distributionType: 'Mpi' as const, processCountPerInstance: perNode } } : {}),
  };
  let parts: string[] | undefined;
  try {
    parts = splitShellWords(line);
  } catch (error) {
    return void problems.push({ path: field('commandLine'), message: `cannot be read as a command line: ${(error as Error).message}` });
  }
  // `python train.py args`, with nothing a shell would do (pipes, &&, redirections, variables of its own): a script v1 can run.
  const simple = !/[|&;<>()`]/.test(line) && parts.length >= 2 && /(^|\/)python[\d.]*$/.test(parts[0]) && /\.py$/.test(parts[1]);
  if (simple) {
    const interpreterWord = parts[0] === 'python' || parts[0] === 'python3' ? undefined : expand(parts[0]);
    return { ...base, ...shape, interpreter: interpreterWord, script: expand(parts[1]).replace(/^\.\//, ''), args: parts.slice(2).map(expand) };
  }
  return { ...base, ...shape, args: [], commandLine: expand(line) };
}
