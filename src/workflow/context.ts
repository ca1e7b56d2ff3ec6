/** What the workflow functions work with: the client's actions, and its workspace defaults. */
import type { SendRequest } from '../http/pipeline';
import { defaultLinkPipeline } from '../http/standard-pipeline';
import type { ExecutionActions } from '../spec/execution/types';
import type { RunHistoryActions } from '../spec/runhistory/types';
import type { ExperimentLocator } from './locator';

/** The actions of both integrations, bound to one account. */
export type ServiceActions = ExecutionActions & RunHistoryActions;

export interface WorkflowContext {
  client: ServiceActions;
  /** Locator fields that calls may leave out. */
  defaults?: Partial<ExperimentLocator>;
  /** Sends requests to links (log files, SAS URLs): the client's link pipeline, without its token. */
  links?: SendRequest;
}

/** The context's link pipeline, or the default one. */
export const linksOf = (ctx: WorkflowContext): SendRequest => ctx.links ?? defaultLinkPipeline();

/** The name workflow errors carry as their action. */
export const workflowAction = (name: string): string => `azureml-execution/${name}`;
