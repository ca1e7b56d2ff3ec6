/**
 * An action as DataFire sees one: id, title, description, schemas, security, `run` and `handler`.
 * When DataFire is loaded in the process, `toDataFireAction` gives a real `datafire.Action` whose
 * `run` is this package's (ajv 8 validation, streaming, typed errors) instead of DataFire's.
 */
import type { JSONSchema } from '../spec/operation-spec';
import type { ActionContext } from './action-context';
import { resolveDataFire, type DataFireModule } from './datafire-module';

export interface ActionSecurity {
  [integrationId: string]: { integration: string; fields: Record<string, string>; oauth?: Record<string, unknown> };
}

export interface IntegrationAction {
  id: string;
  title: string;
  description: string;
  inputSchema: JSONSchema;
  outputSchema: JSONSchema;
  security: ActionSecurity;
  inputs: null;
  /** Runs the action with the account found in `context.accounts[integration id]`. */
  run(input: unknown, context?: ActionContext): Promise<unknown>;
  /** The same as run: DataFire wraps foreign actions with `new Action({handler, ...})`. */
  handler(input: unknown, context?: ActionContext): Promise<unknown>;
}

/** The one action factory: what DataFire needs of an action, with `handler` the same as `run`. */
export function makeAction(init: Omit<IntegrationAction, 'inputs' | 'handler'>): IntegrationAction {
  const { id, title, description, inputSchema, outputSchema, security, run } = init;
  return { id, title, description, inputSchema, outputSchema, security, inputs: null, run, handler: run };
}

/**
 * `plain` as DataFire's own Action class when DataFire is installed (converted once per key and
 * kept in `cache`), else as it is.
 */
export function asDataFireAction(cache: Map<string, IntegrationAction>, key: string, plain: IntegrationAction): IntegrationAction {
  let action = cache.get(key);
  if (!action) {
    const datafire = resolveDataFire();
    action = datafire ? (toDataFireAction(plain, datafire) as unknown as IntegrationAction) : plain;
    cache.set(key, action);
  }
  return action;
}

export function toDataFireAction(action: IntegrationAction, datafire: DataFireModule): Record<string, unknown> {
  const dfAction = new datafire.Action({
    title: action.title,
    description: action.description,
    inputSchema: action.inputSchema,
    outputSchema: action.outputSchema,
    security: action.security,
    handler: action.handler,
  });
  dfAction.id = action.id;
  // DataFire's own run would validate again with its ajv 4 (without formats) and give its messages.
  dfAction.run = (input: unknown, context?: ActionContext) => action.run(input, context);
  return dfAction;
}
