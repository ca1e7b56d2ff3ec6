/**
 * A compute in one flat line of facts (what `azureml-exec compute list` shows, what DataFire's
 * compute actions answer): whatever its kind, with the cluster's scale and node counts when it
 * is an AmlCompute.
 */
import type { AmlComputeProperties, ComputeResource } from '../../spec/arm/types';
import { isoDurationSeconds } from '../../spec/iso-duration';

export interface ComputeSummary {
  name: string;
  id?: string;
  computeType: string;
  provisioningState: string;
  /** Steady or Resizing (clusters). */
  allocationState?: string;
  vmSize?: string;
  vmPriority?: string;
  minNodes?: number;
  maxNodes?: number;
  idleSecondsBeforeScaleDown?: number;
  currentNodes?: number;
  targetNodes?: number;
  idleNodes?: number;
  runningNodes?: number;
  location?: string;
  createdOn?: string;
  /** The service's reasons when provisioning failed (provisioningErrors and the cluster's errors). */
  errors: { code?: string; message?: string }[];
}

/** The reasons a compute gives for failing: provisioningErrors, then the cluster's own errors, without repeats. */
export function computeErrors(resource: ComputeResource): { code?: string; message?: string }[] {
  const props = resource.properties as { provisioningErrors?: unknown; properties?: { errors?: unknown } } | undefined;
  const lists = [props?.provisioningErrors, props?.properties?.errors];
  const out: { code?: string; message?: string }[] = [];
  const seen = new Set<string>();
  for (const list of lists) {
    if (!Array.isArray(list)) continue;
    for (const item of list as { error?: { code?: unknown; message?: unknown } }[]) {
      const error = item?.error;
      if (!error) continue;
      const reason = { ...(typeof error.code === 'string' ? { code: error.code } : {}), ...(typeof error.message === 'string' ? { message: error.message } : {}) };
      const key = JSON.stringify(reason);
      if (seen.has(key)) continue;
      seen.add(key);
      out.push(reason);
    }
  }
  return out;
}

export function computeSummary(resource: ComputeResource): ComputeSummary {
  const props = resource.properties;
  const summary: ComputeSummary = {
    name: String(resource.name ?? ''),
    computeType: String(props?.computeType ?? ''),
    provisioningState: String(props?.provisioningState ?? 'Unknown'),
    errors: computeErrors(resource),
  };
  if (resource.id) summary.id = resource.id;
  if (resource.location) summary.location = resource.location;
  if (props?.createdOn) summary.createdOn = props.createdOn;
  if (props?.computeType === 'AmlCompute' && props.properties) {
    const aml: AmlComputeProperties = props.properties;
    if (aml.allocationState) summary.allocationState = aml.allocationState;
    if (aml.vmSize) summary.vmSize = aml.vmSize;
    if (aml.vmPriority) summary.vmPriority = aml.vmPriority;
    if (aml.scaleSettings) {
      summary.minNodes = aml.scaleSettings.minNodeCount ?? 0;
      summary.maxNodes = aml.scaleSettings.maxNodeCount;
      const idle = isoDurationSeconds(aml.scaleSettings.nodeIdleTimeBeforeScaleDown);
      if (idle !== undefined) summary.idleSecondsBeforeScaleDown = idle;
    }
    if (typeof aml.currentNodeCount === 'number') summary.currentNodes = aml.currentNodeCount;
    if (typeof aml.targetNodeCount === 'number') summary.targetNodes = aml.targetNodeCount;
    if (aml.nodeStateCounts) {
      summary.idleNodes = aml.nodeStateCounts.idleNodeCount ?? 0;
      summary.runningNodes = aml.nodeStateCounts.runningNodeCount ?? 0;
    }
  }
  return summary;
}
