/**
 * Token sources: where the bearer token comes from. One interface, interchangeable strategies:
 * a static token, a refresh token, a service principal, or anything a caller plugs in.
 */
import type { Account } from '../account/account';
import type { PipelinePolicy } from '../http/pipeline';

export interface TokenRequestContext {
  /** The action that needs the token, for error messages. */
  action: string;
  signal?: AbortSignal;
  /** Told when this request made the source refresh the account's tokens (to persist them). */
  onRefresh?: (account: Account) => void;
  /** Policies for the token endpoint request (logging). */
  policies?: PipelinePolicy[];
}

export interface TokenSource {
  /** A token for the next request (cached, refreshed ahead of expiry, as the source sees fit). */
  getToken(context: TokenRequestContext): Promise<string>;
  /**
   * Called when the service answered 401 to `rejectedToken`. Returns a new token to send the
   * request once more with, or undefined to let the 401 be the action's error.
   */
  onUnauthorized?(context: TokenRequestContext & { rejectedToken: string }): Promise<string | undefined>;
}
