/**
 * The DataFire integration built from a generated spec: the same id, action names, schemas,
 * account fields and `getDetails()` as `datafire.Integration.fromOpenAPI` gives, with this
 * package's request path behind every action.
 */
import { ACCOUNT_FIELDS, type Account } from '../account/account';
import { ClientCore, clientCoreForAccount, type ClientOptions } from '../client/client-core';
import { AzureMLAccountError } from '../http/errors';
import { OAUTH_CALLBACK_INPUT_SCHEMA, OAUTH_OUTPUT_SCHEMA, oauthCallback, oauthRefresh, type OAuthTokens } from '../auth/oauth-actions';
import type { IntegrationSpec, JSONSchema } from '../spec/operation-spec';
import { accountFromContext, type ActionContext, type CallOptions } from './action-context';
import { checkRemoteFileInputs } from './untrusted-input';
import { asDataFireAction, type ActionSecurity, type IntegrationAction } from './integration-action';

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

/** DataFire's OAuth actions, on every integration. */
export interface OAuthActions {
  oauthCallback(input: { code: string }, context?: ActionContext): Promise<OAuthTokens>;
  oauthRefresh(input?: Record<string, never> | null, context?: ActionContext): Promise<OAuthTokens>;
}

export interface Integration<TActions> {
  readonly id: string;
  readonly title: string;
  readonly description: string;
  /** DataFire's security object: the account's fields, keyed by the integration id. */
  readonly security: ActionSecurity;
  /** `actions.Runs_StartRun(input, context)`: the account comes from `context.accounts[id]`. */
  readonly actions: { [K in keyof (TActions & OAuthActions)]: (TActions & OAuthActions)[K] & { action: IntegrationAction } };
  readonly allActions: IntegrationAction[];
  /** The actions bound to one account: no DataFire context needed. */
  create(account: Account, options?: ClientOptions): TActions & OAuthActions;
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

/** The per-call settings a context or options object carries (signal, timeouts, retry). */
export function callOptionsOf(context: ActionContext | undefined): CallOptions {
  if (!context) return {};
  const { signal, timeoutMs, deadlineMs, retry, onUploadProgress } = context;
  return { signal, timeoutMs, deadlineMs, retry, onUploadProgress };
}

/** The operations of `spec` as methods `(input, callOptions?)` sending through `core`. */
export function bindOperations(spec: IntegrationSpec, core: ClientCore): Record<string, (input?: unknown, call?: CallOptions) => Promise<unknown>> {
  const methods: Record<string, (input?: unknown, call?: CallOptions) => Promise<unknown>> = {};
  for (const op of spec.operations) methods[op.operationId] = (input, call) => core.run(spec, op, input, callOptionsOf(call as ActionContext));
  return methods;
}

export function createIntegration<TActions>(spec: IntegrationSpec): Integration<TActions> {
  const security = buildSecurity(spec);

  const allActions: IntegrationAction[] = [];
  const actions: Record<string, ActionFunction> = {};
  const addAction = (name: string, init: Omit<IntegrationAction, 'id' | 'security' | 'inputs' | 'run' | 'handler'>, run: IntegrationAction['run']) => {
    const action: IntegrationAction = { id: `${spec.id}/${name}`, ...init, security, inputs: null, run, handler: run };
    allActions.push(action);
    actions[name] = Object.assign((input: unknown, context?: ActionContext) => run(input, context), { action });
  };
  const accountOf = (context: ActionContext | undefined, actionId: string): Account => {
    const account = accountFromContext(context, spec.id);
    if (!account) {
      throw new AzureMLAccountError(`Account ${spec.id} not specified for action ${actionId}. Did you remember to pass in the 'context' object?`, [], actionId);
    }
    return account;
  };

  for (const op of spec.operations) {
    const id = `${spec.id}/${op.operationId}`;
    addAction(op.operationId, { title: op.title, description: op.description, inputSchema: op.inputSchema, outputSchema: op.outputSchema }, async (input, context) =>
      clientCoreForAccount(accountOf(context, id)).run(spec, op, checkRemoteFileInputs(op, input, context, id), callOptionsOf(context)),
    );
  }
  // What DataFire adds to every OAuth integration: exchange a code, or a refresh token, for tokens.
  addAction(
    'oauthCallback',
    { title: '', description: 'Exchange the code passed to your redirect URI for an access_token', inputSchema: OAUTH_CALLBACK_INPUT_SCHEMA, outputSchema: OAUTH_OUTPUT_SCHEMA },
    async (input, context) => oauthCallback(accountOf(context, `${spec.id}/oauthCallback`), input, `${spec.id}/oauthCallback`),
  );
  addAction(
    'oauthRefresh',
    { title: '', description: 'Exchange a refresh_token for an access_token', inputSchema: {}, outputSchema: OAUTH_OUTPUT_SCHEMA },
    async (_input, context) => oauthRefresh(accountOf(context, `${spec.id}/oauthRefresh`), `${spec.id}/oauthRefresh`),
  );

  const dataFireActions = new Map<string, IntegrationAction>();

  return {
    id: spec.id,
    title: spec.title,
    description: spec.description,
    security,
    actions: actions as Integration<TActions>['actions'],
    allActions,

    create(account: Account, options?: ClientOptions): TActions & OAuthActions {
      if (!account || typeof account !== 'object') throw new AzureMLAccountError(`create() needs the ${spec.id} account object`, []);
      const core = options ? new ClientCore(account, options) : clientCoreForAccount(account);
      const instance: Record<string, (input?: unknown, call?: CallOptions) => Promise<unknown>> = bindOperations(spec, core);
      instance.oauthCallback = (input: unknown) => oauthCallback(account, input, `${spec.id}/oauthCallback`);
      instance.oauthRefresh = () => oauthRefresh(account, `${spec.id}/oauthRefresh`);
      return instance as TActions & OAuthActions;
    },

    action(name: string): IntegrationAction {
      const plain = Object.prototype.hasOwnProperty.call(actions, name) ? actions[name].action : undefined;
      if (!plain) throw new Error(`Action ${spec.id}/${name} not found.`);
      return asDataFireAction(dataFireActions, name, plain);
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
