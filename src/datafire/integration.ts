/**
 * The DataFire integration built from a generated spec: the same id, action names, schemas,
 * account fields and `getDetails()` as `datafire.Integration.fromOpenAPI` gives, with this
 * package's request path behind every action.
 */
import { ACCOUNT_FIELDS, MANAGEMENT_ACCOUNT_FIELDS, type Account } from '../account/account';
import { bindClient, bindOAuth, bindOperations } from '../client/bind-operations';
import { clientCoreForAccount, coreFor, type ClientOptions } from '../client/client-core';
import { AzureMLAccountError } from '../errors';
import { OAUTH_CALLBACK_INPUT_SCHEMA, OAUTH_OUTPUT_SCHEMA, type OAuthActions } from '../auth/oauth-actions';
import type { IntegrationSpec, JSONSchema } from '../spec/operation-spec';
import { accountFromContext, type ActionContext } from './action-context';
import { checkRemoteFileInputs } from './untrusted-input';
import { commandFileResult } from './command-output';
import { looksLikeZip } from '../http/file-input';
import { asDataFireAction, makeAction, type ActionSecurity, type IntegrationAction } from './integration-action';

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

export type { OAuthActions };

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

/** The account every integration of this package falls back to: the Execution Service's. */
const SHARED_ACCOUNT_ID = 'azure_machinelearningservices_execution';

function buildSecurity(spec: IntegrationSpec): ActionSecurity {
  const security: ActionSecurity[string] = { integration: spec.id, fields: { ...ACCOUNT_FIELDS, ...(spec.defaultHost ? MANAGEMENT_ACCOUNT_FIELDS : {}) } };
  for (const def of Object.values(spec.securityDefinitions)) {
    if (def.type === 'oauth2') security.oauth = def;
  }
  return { [spec.id]: security };
}

export function createIntegration<TActions>(spec: IntegrationSpec): Integration<TActions> {
  const security = buildSecurity(spec);

  const allActions: IntegrationAction[] = [];
  const actions: Record<string, ActionFunction> = {};
  const addAction = (name: string, init: Omit<IntegrationAction, 'id' | 'security' | 'inputs' | 'run' | 'handler'>, run: IntegrationAction['run']) => {
    const action = makeAction({ id: `${spec.id}/${name}`, ...init, security, run });
    allActions.push(action);
    actions[name] = Object.assign((input: unknown, context?: ActionContext) => run(input, context), { action });
  };
  const accountOf = (context: ActionContext | undefined, actionId: string): Account => {
    // One account serves every integration of this package: a flow that names the Execution
    // Service's account reaches Run History (and the rest) with it.
    const account = accountFromContext(context, spec.id) ?? accountFromContext(context, SHARED_ACCOUNT_ID);
    if (!account) {
      const also = spec.id === SHARED_ACCOUNT_ID ? '' : ` (or ${SHARED_ACCOUNT_ID}, which every integration of this package takes)`;
      throw new AzureMLAccountError({
        message: `Account ${spec.id}${also} not specified for action ${actionId}. Did you remember to pass in the 'context' object?`,
        fields: [],
        action: actionId,
      });
    }
    return account;
  };

  for (const op of spec.operations) {
    const id = `${spec.id}/${op.operationId}`;
    addAction(op.operationId, { title: op.title, description: op.description, inputSchema: op.inputSchema, outputSchema: op.outputSchema }, async (input, context) => {
      const result = await bindOperations(spec, clientCoreForAccount(accountOf(context, id)))[op.operationId](checkRemoteFileInputs(op, input, context, id), context);
      // `datafire run` can only print or write text: a file answer becomes a summary, its bytes saved with --outputFile.
      return op.responseKind === 'binary' && context?.type === 'command' && Buffer.isBuffer(result)
        ? commandFileResult(result, looksLikeZip(result) ? 'application/zip' : 'application/octet-stream')
        : result;
    });
  }
  // What DataFire adds to every OAuth integration: exchange a code, or a refresh token, for tokens.
  addAction(
    'oauthCallback',
    { title: '', description: 'Exchange the code passed to your redirect URI for an access_token', inputSchema: OAUTH_CALLBACK_INPUT_SCHEMA, outputSchema: OAUTH_OUTPUT_SCHEMA },
    async (input, context) => bindOAuth(accountOf(context, `${spec.id}/oauthCallback`), spec.id).oauthCallback(input),
  );
  addAction(
    'oauthRefresh',
    { title: '', description: 'Exchange a refresh_token for an access_token', inputSchema: {}, outputSchema: OAUTH_OUTPUT_SCHEMA },
    async (_input, context) => bindOAuth(accountOf(context, `${spec.id}/oauthRefresh`), spec.id).oauthRefresh(),
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
      return bindClient([spec], coreFor(account, options, spec.id)) as unknown as TActions & OAuthActions;
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
