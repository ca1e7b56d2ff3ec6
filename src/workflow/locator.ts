/**
 * Where a run lives: subscription, resource group, workspace, experiment, run id. Workflow calls
 * take a run id alone, or part of a locator, and fill the rest from the client's workspace
 * defaults (`create(account, { workspace })`); what is still missing is named before any request.
 */
import { AzureMLValidationError, type InputProblem } from '../errors';

export interface WorkspaceLocator {
  subscriptionId: string;
  resourceGroupName: string;
  workspaceName: string;
}

export interface ExperimentLocator extends WorkspaceLocator {
  experimentName: string;
}

export interface RunLocator extends ExperimentLocator {
  runId: string;
}

/** A run: its id (the rest from the client's workspace defaults), or its locator, in part or whole. */
export type RunRef = string | (Partial<ExperimentLocator> & { runId: string });

export const EXPERIMENT_FIELDS = ['subscriptionId', 'resourceGroupName', 'workspaceName', 'experimentName'] as const;

/**
 * On what a workflow call returns (a submitted run): the names of its fields that are not a
 * locator's (`definition`, `project`). An enumerable symbol, so `{ ...run }` carries it while JSON
 * and Object.keys do not: a raw action given the run, or a spread of it, leaves those fields out
 * instead of refusing them as unknown, unless the operation has a parameter of that name.
 */
export const WORKFLOW_FIELDS = Symbol.for('azureml-execution.workflow-fields');

/** `value` marked with the names of its fields that raw actions leave out (see WORKFLOW_FIELDS). */
export function markWorkflowFields<T extends object>(value: T, fields: readonly string[]): T {
  Object.defineProperty(value, WORKFLOW_FIELDS, { value: fields, enumerable: true });
  return value;
}

/** The input without the workflow fields it is marked with, that the operation does not take. */
export function withoutWorkflowFields(input: unknown, takes: (name: string) => boolean): unknown {
  const fields = input && typeof input === 'object' ? (input as { [WORKFLOW_FIELDS]?: unknown })[WORKFLOW_FIELDS] : undefined;
  if (!Array.isArray(fields)) return input;
  const copy: Record<string, unknown> = { ...(input as Record<string, unknown>) };
  for (const field of fields) if (typeof field === 'string' && !takes(field)) delete copy[field];
  return copy;
}

/** Only the locator fields of `from` that are set: other fields of an input never leak into requests. */
export function locatorFields(from: Partial<ExperimentLocator> | undefined): Partial<ExperimentLocator> {
  const out: Partial<ExperimentLocator> = {};
  for (const field of EXPERIMENT_FIELDS) {
    const value = from?.[field];
    if (value !== undefined && value !== null && value !== '') out[field] = value;
  }
  return out;
}

function missingProblems(locator: Partial<RunLocator>, fields: readonly string[]): InputProblem[] {
  return fields
    .filter((field) => typeof locator[field as keyof RunLocator] !== 'string' || locator[field as keyof RunLocator] === '')
    .map((field) => ({ path: field, message: 'is required (give it in the call, or in create(account, { workspace }))' }));
}

export function resolveExperiment(given: Partial<ExperimentLocator> | undefined, defaults: Partial<ExperimentLocator> | undefined, action: string): ExperimentLocator {
  const locator = { ...locatorFields(defaults), ...locatorFields(given) };
  const problems = missingProblems(locator, EXPERIMENT_FIELDS);
  if (problems.length) throw new AzureMLValidationError({ action, problems });
  return locator as ExperimentLocator;
}

export function resolveRun(ref: RunRef, defaults: Partial<ExperimentLocator> | undefined, action: string): RunLocator {
  const given = typeof ref === 'string' ? { runId: ref } : ref;
  if (!given || typeof given !== 'object') {
    throw new AzureMLValidationError({ action, problems: [{ path: 'runId', message: 'is required: give a run id, or an object with runId' }] });
  }
  const runId = given.runId;
  const problems = typeof runId === 'string' && runId !== '' ? [] : [{ path: 'runId', message: 'is required' }];
  const locator = { ...locatorFields(defaults), ...locatorFields(given) };
  problems.push(...missingProblems(locator, EXPERIMENT_FIELDS));
  if (problems.length) throw new AzureMLValidationError({ action, problems });
  return { ...(locator as ExperimentLocator), runId };
}

const WORKSPACE_FIELDS = ['subscriptionId', 'resourceGroupName', 'workspaceName'] as const;

/** The workspace of a call (computes live in a workspace, not an experiment): given fields win over the defaults. */
export function resolveWorkspace(given: Partial<WorkspaceLocator> | undefined, defaults: Partial<ExperimentLocator> | undefined, action: string): WorkspaceLocator {
  const merged = { ...locatorFields(defaults), ...locatorFields(given) };
  const problems = missingProblems(merged, WORKSPACE_FIELDS);
  if (problems.length) throw new AzureMLValidationError({ action, problems });
  return { subscriptionId: merged.subscriptionId!, resourceGroupName: merged.resourceGroupName!, workspaceName: merged.workspaceName! };
}
