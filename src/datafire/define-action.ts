/** How a workflow action of this package is made: an id under azureml-execution/, schemas, and a handler given an object input. */
import type { JSONSchema } from '../spec/operation-spec';
import type { ActionContext } from './action-context';
import { makeAction, type ActionSecurity, type IntegrationAction } from './integration-action';
import { inputObject } from './workflow-resolve';

export type Handler = (input: Record<string, unknown>, context: ActionContext | undefined, action: string) => Promise<unknown>;

export interface WorkflowActionInit {
  title: string;
  description: string;
  inputSchema: JSONSchema;
  outputSchema: JSONSchema;
  handler: Handler;
}

/** The workflow actions need no security of their own: the account (context or environment) carries it. */
const NO_SECURITY: ActionSecurity = {};

export function defineAction(name: string, init: WorkflowActionInit): IntegrationAction {
  const id = `azureml-execution/${name}`;
  const run = (input: unknown, context?: ActionContext) => init.handler(inputObject(input, id), context, id);
  return makeAction({ id, title: init.title, description: init.description, inputSchema: init.inputSchema, outputSchema: init.outputSchema, security: NO_SECURITY, run });
}
