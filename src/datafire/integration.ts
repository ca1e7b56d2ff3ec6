/**
 * The DataFire integration built from a generated spec: the same id, action names, schemas,
 * account fields and `getDetails()` as `datafire.Integration.fromOpenAPI` gives, with this
 * package's request path behind every action.
 */
import { ACCOUNT_FIELDS, type Account } from '../account/account';
import { ClientCore, clientCoreForAccount, type ClientOptions } from '../client/client-core';
import { AzureMLAccountError } from '../http/errors';
import type { IntegrationSpec, JSONSchema, OperationSpec } from '../spec/operation-spec';
import { accountFromContext, type ActionContext } from './action-context';
import { resolveDataFire, toDataFireAction, type ActionSecurity, type IntegrationAction } from './integration-action';

export type ActionFunction = ((input: unknown, context?: ActionContext) => Promise<unknown>) & { action: IntegrationAction };

export interface ActionDetails {
  id: string;
  title: string;
  description: string;
  inputSchema: JSONSchema;
  outputSchema: JSONSchema;
  security?: Record<string, { integration: string }>;
}

export interface IntegrationDetails {
  id: string;
  title: string;
  description: string;
  security: ActionSecurity;
  logo: undefined;
  actionCount: number;
  definitions?: Record<string, JSONSchema>;
  actions?: ActionDetails[];
}

export interface Integration<TActions> {
  readonly id: string;
  readonly title: string;
  readonly description: string;
  /** DataFire's security object: the account's fields, keyed by the integration id. */
  readonly security: ActionSecurity;
  /** `actions.Runs_StartRun(input, context)`: the account comes from `context.accounts[id]`. */
  readonly actions: { [K in keyof TActions]: TActions[K] & { action: IntegrationAction } };
  readonly allActions: IntegrationAction[];
  /** The actions bound to one account: no DataFire context needed. */
  create(account: Account, options?: ClientOptions): TActions;
  /** The action named `name`: a `datafire.Action` when DataFire is installed. */
  action(name: string): IntegrationAction;
  getDetails(withActions?: boolean): IntegrationDetails;
}

function buildSecurity(spec: IntegrationSpec): ActionSecurity {
  const security: ActionSecurity[string] = { integration: spec.id, fields: { ...ACCOUNT_FIELDS } };
  for (const def of Object.values(spec.securityDefinitions)) {
    if (def.type === 'oauth2') security.oauth = def;
  }
  return { [spec.id]: security };
}

export function createIntegration<TActions>(spec: IntegrationSpec): Integration<TActions> {
  const security = buildSecurity(spec);
  const operations = new Map<string, OperationSpec>(spec.operations.map((op) => [op.operationId, op]));

  const runWithContext = (op: OperationSpec, actionId: string) => async (input: unknown, context?: ActionContext) => {
    const account = accountFromContext(context, spec.id);
    if (!account) {
      throw new AzureMLAccountError(`Account ${spec.id} not specified for action ${actionId}. Did you remember to pass in the 'context' object?`, [], actionId);
    }
    return clientCoreForAccount(account).run(spec, op, input);
  };

  const allActions: IntegrationAction[] = [];
  const actions: Record<string, ActionFunction> = {};
  for (const op of spec.operations) {
    const id = `${spec.id}/${op.operationId}`;
    const run = runWithContext(op, id);
    const action: IntegrationAction = {
      id,
      title: op.title,
      description: op.description,
      inputSchema: op.inputSchema,
      outputSchema: op.outputSchema,
      security,
      inputs: null,
      run,
      handler: run,
    };
    allActions.push(action);
    actions[op.operationId] = Object.assign((input: unknown, context?: ActionContext) => run(input, context), { action });
  }

  const dataFireActions = new Map<string, IntegrationAction>();

  return {
    id: spec.id,
    title: spec.title,
    description: spec.description,
    security,
    actions: actions as Integration<TActions>['actions'],
    allActions,

    create(account: Account, options?: ClientOptions): TActions {
      if (!account || typeof account !== 'object') throw new AzureMLAccountError(`create() needs the ${spec.id} account object`, []);
      const core = options ? new ClientCore(account, options) : clientCoreForAccount(account);
      const instance: Record<string, (input: unknown) => Promise<unknown>> = {};
      for (const op of spec.operations) instance[op.operationId] = (input: unknown) => core.run(spec, op, input);
      return instance as TActions;
    },

    action(name: string): IntegrationAction {
      const plain = actions[name]?.action;
      if (!plain || !operations.has(name)) throw new Error(`Action ${spec.id}/${name} not found.`);
      let action = dataFireActions.get(name);
      if (!action) {
        const datafire = resolveDataFire();
        action = datafire ? (toDataFireAction(plain, datafire) as unknown as IntegrationAction) : plain;
        dataFireActions.set(name, action);
      }
      return action;
    },

    getDetails(withActions = false): IntegrationDetails {
      const details: IntegrationDetails = {
        id: spec.id,
        title: spec.title,
        description: spec.description,
        security,
        logo: undefined,
        actionCount: allActions.length,
      };
      if (!withActions) return details;
      details.definitions = spec.definitions;
      details.actions = allActions.map((action) => {
        const { definitions: _in, ...inputSchema } = action.inputSchema;
        const { definitions: _out, ...outputSchema } = action.outputSchema;
        return {
          id: action.id.split('/')[1],
          title: action.title,
          description: action.description,
          inputSchema,
          outputSchema,
          security: { [spec.id]: { integration: spec.id } },
        };
      });
      return details;
    },
  };
}
