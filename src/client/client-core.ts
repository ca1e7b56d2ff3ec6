/**
 * The one request path of every action: validate the input, find the base URL and the token,
 * build the request, send it through the pipeline, read the answer.
 */
import type { Account } from '../account/account';
import { resolveBaseUrl } from '../account/base-url';
import { tokenSourceForAccount } from '../auth/token-source-for-account';
import type { TokenSource } from '../auth/token-source';
import { buildRequest } from '../http/build-request';
import { createPipeline, type PipelinePolicy, type SendRequest } from '../http/pipeline';
import { bearerTokenPolicy } from '../http/policies/bearer-token';
import { clientRequestIdPolicy } from '../http/policies/client-request-id';
import { userAgentPolicy } from '../http/policies/user-agent';
import { environmentLogger, loggingPolicy, type Logger } from '../http/policies/logging';
import { readResponse } from '../http/read-response';
import { axiosTransport } from '../http/transport';
import { validateInput } from '../http/validate-input';
import type { IntegrationSpec, OperationSpec } from '../spec/operation-spec';

export interface ClientOptions {
  /** Where tokens come from, instead of the account's own fields. */
  tokenSource?: TokenSource;
  /** Put before the package's own User-Agent, e.g. `my-flow/1.2`. */
  userAgentPrefix?: string;
  /** Extra policies (hooks), run inside the built-in ones, just before the transport. */
  policies?: PipelinePolicy[];
  /** Told with the account after its tokens were refreshed (to persist them). A throw is ignored. */
  onTokenRefresh?: (account: Account) => void;
  /** Logs each request and answer, sanitized (no secrets, no bodies). Also on with DEBUG=azureml-execution. */
  logger?: Logger;
}

export interface CallOptions {
  signal?: AbortSignal;
}

export class ClientCore {
  private pipeline?: SendRequest;

  constructor(
    readonly account: Account,
    private readonly options: ClientOptions = {},
  ) {}

  private getPipeline(integrationId: string, action: string): SendRequest {
    if (this.pipeline) return this.pipeline;
    const tokenSource = this.options.tokenSource ?? tokenSourceForAccount(this.account, integrationId, action);
    const logger = this.options.logger ?? environmentLogger();
    const logging = logger ? [loggingPolicy(logger)] : [];
    this.pipeline = createPipeline(
      [
        clientRequestIdPolicy(),
        userAgentPolicy(this.options.userAgentPrefix),
        bearerTokenPolicy(tokenSource, { onRefresh: this.options.onTokenRefresh, tokenPolicies: logging }),
        ...(this.options.policies ?? []),
        // Innermost: every attempt is logged, with the Authorization it carried shown as REDACTED.
        ...logging,
      ],
      axiosTransport,
    );
    return this.pipeline;
  }

  async run(spec: IntegrationSpec, op: OperationSpec, input: unknown, call: CallOptions = {}): Promise<unknown> {
    const action = `${spec.id}/${op.operationId}`;
    const validated = await validateInput(spec, op, input, action);
    const baseUrl = resolveBaseUrl(this.account, spec.id, action);
    const send = this.getPipeline(spec.id, action);
    const request = buildRequest(op, validated, baseUrl, action);
    request.signal = call.signal;
    return readResponse(op, await send(request));
  }
}

/** Cores for accounts met in DataFire contexts, so that every action run with one account shares its state. */
const coresByAccount = new WeakMap<Account, ClientCore>();

export function clientCoreForAccount(account: Account): ClientCore {
  let core = coresByAccount.get(account);
  if (!core) coresByAccount.set(account, (core = new ClientCore(account)));
  return core;
}
