/**
 * What a cluster is made of, in the words of AZTK's cluster configuration (vm size, node counts,
 * idle time, the admin user), checked and turned into the ComputeResource body of
 * Compute_CreateOrUpdate. Every problem is named before anything is sent; a password or key is
 * never part of a message.
 */
import { AzureMLValidationError, type InputProblem } from '../../errors';
import type { ComputeResource, ScaleSettings } from '../../spec/arm/types';
import { isObject } from '../../spec/is-object';

export interface ComputeSpec {
  /** The size of each node, e.g. STANDARD_DS3_V2. */
  vmSize: string;
  /** Nodes kept even when idle (default 0: the cluster costs nothing when unused). */
  minNodes?: number;
  /** The most nodes the cluster grows to. */
  maxNodes: number;
  /** How long a node stays idle before it leaves (default: the service's, 120 s). */
  idleSecondsBeforeScaleDown?: number;
  /** Dedicated (default) or LowPriority nodes. */
  vmPriority?: 'Dedicated' | 'LowPriority';
  /** The admin user made on each node, to log in with (AZTK's username). */
  adminUserName?: string;
  /** The admin user's SSH public key (a secret to the service: never shown back). */
  sshPublicKey?: string;
  /** The admin user's password, instead of a key (never shown back). */
  adminUserPassword?: string;
  /** Whether the SSH port is open: Enabled, Disabled or NotSpecified (the service's default). */
  remoteLoginPortPublicAccess?: 'Enabled' | 'Disabled' | 'NotSpecified';
  /** The Azure region (default: the workspace's). */
  location?: string;
  description?: string;
  tags?: Record<string, string>;
}

/** The scale of a cluster: node counts and idle time. */
export interface ComputeScale {
  minNodes?: number;
  maxNodes: number;
  idleSecondsBeforeScaleDown?: number;
}

/** The service's rule for AmlCompute names. */
const COMPUTE_NAME = /^[a-zA-Z](?:[a-zA-Z0-9-]{0,14}[a-zA-Z0-9])$/;

/** Why `name` is not a cluster name the service takes, or undefined. */
export function computeNameProblem(name: unknown): string | undefined {
  if (typeof name !== 'string' || name === '') return 'is required: the name of the compute';
  if (!COMPUTE_NAME.test(name)) return 'can include letters, digits and dashes, must start with a letter, end with a letter or digit, and be 2 to 16 characters long';
  return undefined;
}

/**
 * A compute's name, present: used by every verb that names one. Only creating holds it to the
 * cluster naming rule (computeResourceOf): other kinds of compute (an instance, an attached
 * one) have their own rules, and the service says when a name is wrong.
 */
export function checkComputeName(name: unknown, action: string): string {
  const problem = typeof name === 'string' && name !== '' ? undefined : 'is required: the name of the compute';
  if (problem) throw new AzureMLValidationError({ action, problems: [{ path: 'name', message: problem }] });
  return name as string;
}

function wholeNumber(value: unknown, path: string, min: number, problems: InputProblem[]): void {
  if (value === undefined) return;
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < min)
    problems.push({ path, message: `must be a whole number, ${min} or more (got ${JSON.stringify(value)})` });
}

/** The problems of a scale: whole numbers, minNodes not above maxNodes. */
function scaleProblems(scale: Partial<ComputeScale>, problems: InputProblem[]): void {
  if (scale.maxNodes === undefined) problems.push({ path: 'maxNodes', message: 'is required: the most nodes the cluster grows to' });
  wholeNumber(scale.maxNodes, 'maxNodes', 0, problems);
  wholeNumber(scale.minNodes, 'minNodes', 0, problems);
  wholeNumber(scale.idleSecondsBeforeScaleDown, 'idleSecondsBeforeScaleDown', 0, problems);
  if (typeof scale.minNodes === 'number' && typeof scale.maxNodes === 'number' && scale.minNodes > scale.maxNodes) {
    problems.push({ path: 'minNodes', message: `must not be more than maxNodes (${scale.minNodes} > ${scale.maxNodes})` });
  }
}

/** ScaleSettings of the v2 API from a scale. */
export function scaleSettingsOf(scale: ComputeScale, action: string): ScaleSettings {
  const problems: InputProblem[] = [];
  if (!isObject(scale)) throw new AzureMLValidationError({ action, problems: [{ path: 'scale', message: 'must be an object with maxNodes (and minNodes)' }] });
  scaleProblems(scale, problems);
  if (problems.length) throw new AzureMLValidationError({ action, problems });
  return {
    maxNodeCount: scale.maxNodes,
    minNodeCount: scale.minNodes ?? 0,
    ...(scale.idleSecondsBeforeScaleDown !== undefined ? { nodeIdleTimeBeforeScaleDown: `PT${scale.idleSecondsBeforeScaleDown}S` } : {}),
  };
}

/** The fields of a ComputeSpec (what createCompute and its DataFire action take). */
export const COMPUTE_SPEC_FIELDS: readonly string[] = [
  'vmSize',
  'minNodes',
  'maxNodes',
  'idleSecondsBeforeScaleDown',
  'vmPriority',
  'adminUserName',
  'sshPublicKey',
  'adminUserPassword',
  'remoteLoginPortPublicAccess',
  'location',
  'description',
  'tags',
];
const SPEC_FIELDS = new Set(COMPUTE_SPEC_FIELDS);

/** The body of Compute_CreateOrUpdate for an AmlCompute cluster of this spec. */
export function computeResourceOf(name: string, spec: ComputeSpec, action: string): ComputeResource {
  const problems: InputProblem[] = [];
  const nameProblem = computeNameProblem(name);
  if (nameProblem) problems.push({ path: 'name', message: nameProblem });
  if (!isObject(spec)) throw new AzureMLValidationError({ action, problems: [...problems, { path: 'spec', message: 'must be an object with vmSize and maxNodes' }] });
  for (const field of Object.keys(spec)) if (!SPEC_FIELDS.has(field)) problems.push({ path: field, message: `is not a known field (known: ${[...SPEC_FIELDS].join(', ')})` });
  if (typeof spec.vmSize !== 'string' || !spec.vmSize.trim()) problems.push({ path: 'vmSize', message: 'is required: the size of the nodes, e.g. STANDARD_DS3_V2' });
  scaleProblems(spec, problems);
  if (spec.vmPriority !== undefined && spec.vmPriority !== 'Dedicated' && spec.vmPriority !== 'LowPriority') {
    problems.push({ path: 'vmPriority', message: `must be Dedicated or LowPriority (got ${JSON.stringify(spec.vmPriority)})` });
  }
  if (spec.remoteLoginPortPublicAccess !== undefined && !['Enabled', 'Disabled', 'NotSpecified'].includes(spec.remoteLoginPortPublicAccess)) {
    problems.push({ path: 'remoteLoginPortPublicAccess', message: `must be Enabled, Disabled or NotSpecified (got ${JSON.stringify(spec.remoteLoginPortPublicAccess)})` });
  }
  for (const field of ['adminUserName', 'location', 'description'] as const) {
    if (spec[field] !== undefined && typeof spec[field] !== 'string') problems.push({ path: field, message: 'must be a string' });
  }
  // Secrets: their values never go into a message.
  for (const field of ['sshPublicKey', 'adminUserPassword'] as const) {
    if (spec[field] === undefined) continue;
    if (typeof spec[field] !== 'string' || !spec[field]) problems.push({ path: field, message: 'must be a non-empty string' });
    else if (!spec.adminUserName) problems.push({ path: field, message: 'needs adminUserName: the user it logs in' });
  }
  if (spec.tags !== undefined && (!isObject(spec.tags) || Object.values(spec.tags).some((v) => typeof v !== 'string'))) {
    problems.push({ path: 'tags', message: 'must be an object of strings' });
  }
  if (problems.length) throw new AzureMLValidationError({ action, problems });

  const credentials = spec.adminUserName
    ? {
        adminUserName: spec.adminUserName,
        ...(spec.sshPublicKey ? { adminUserSshPublicKey: spec.sshPublicKey } : {}),
        ...(spec.adminUserPassword ? { adminUserPassword: spec.adminUserPassword } : {}),
      }
    : undefined;
  return {
    ...(spec.location ? { location: spec.location } : {}),
    ...(spec.tags ? { tags: spec.tags } : {}),
    properties: {
      computeType: 'AmlCompute',
      ...(spec.description !== undefined ? { description: spec.description } : {}),
      properties: {
        vmSize: spec.vmSize,
        vmPriority: spec.vmPriority ?? 'Dedicated',
        scaleSettings: scaleSettingsOf(spec, action),
        ...(credentials ? { userAccountCredentials: credentials } : {}),
        ...(spec.remoteLoginPortPublicAccess ? { remoteLoginPortPublicAccess: spec.remoteLoginPortPublicAccess } : {}),
      },
    },
  } as ComputeResource;
}
