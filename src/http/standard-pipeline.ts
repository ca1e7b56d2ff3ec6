/**
 * The two pipelines every outbound request goes through. The service pipeline carries the bearer
 * token; the link pipeline (log files, SAS URLs, webhooks) never does, since links carry their own
 * signature and may point at another host. Both get the same request id, user agent, retries,
 * logging and size caps (the transport's), so no request of this package leaves without them.
 */
import type { RetryOptions } from './call-options';
import { createPipeline, type PipelinePolicy, type SendRequest } from './pipeline';
import { clientRequestIdPolicy } from './policies/client-request-id';
import { environmentLogger, loggingPolicy, type Logger } from './policies/logging';
import { retryPolicy } from './policies/retry';
import { userAgentPolicy } from './policies/user-agent';
import { defaultTransport } from './transport';

export interface StandardPipelineOptions {
  /** Put before the package's own User-Agent, e.g. `my-flow/1.2`. */
  userAgentPrefix?: string;
  retry?: RetryOptions;
  /** Defaults to the DEBUG=azureml-execution logger, when on; null: none (the caller's policies log). */
  logger?: Logger | null;
  /**
   * Builds the policies that authorize a request (the bearer token), given the logging policies
   * so that token requests are logged as well. None for links.
   */
  authorize?: (logging: PipelinePolicy[]) => PipelinePolicy[];
  /** The caller's own policies, just before the transport (service requests only). */
  policies?: readonly PipelinePolicy[];
  transport?: SendRequest;
}

export function standardPipeline(options: StandardPipelineOptions = {}): SendRequest {
  const logger = options.logger === null ? undefined : (options.logger ?? environmentLogger());
  const logging = logger ? [loggingPolicy(logger)] : [];
  return createPipeline(
    [
      // Outermost: one request id for every attempt of the call.
      clientRequestIdPolicy(),
      userAgentPolicy(options.userAgentPrefix),
      retryPolicy(options.retry),
      // Inside retry: each attempt gets a valid token, and a 401 is the token's business only.
      ...(options.authorize?.(logging) ?? []),
      ...(options.policies ?? []),
      // Innermost: every attempt is logged, with the Authorization it carried shown as REDACTED.
      ...logging,
    ],
    options.transport ?? defaultTransport,
  );
}

let webhookPipeline: SendRequest | undefined;

/** The link pipeline of requests made outside any client (webhooks), with the default settings. */
export function defaultLinkPipeline(): SendRequest {
  return (webhookPipeline ??= standardPipeline());
}
