/** What the workflow functions work with: the client's actions, and its workspace defaults. */
import type { ExecutionActions } from '../spec/generated/execution-types';
import type { RunHistoryActions } from '../spec/generated/runhistory-types';
import type { ExperimentLocator } from './locator';

/** The actions of both integrations, bound to one account. */
export type ServiceActions = ExecutionActions & RunHistoryActions;

export interface WorkflowContext {
  client: ServiceActions;
  /** Locator fields that calls may leave out. */
  defaults?: Partial<ExperimentLocator>;
}

/** The name workflow errors carry as their action. */
export const workflowAction = (name: string): string => `azureml-execution/${name}`;
