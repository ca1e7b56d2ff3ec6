/**
 * Token sources: where the bearer token comes from. One interface, interchangeable strategies
 * (a static token here; refresh tokens and service principals plug in the same way).
 */
export interface TokenRequestContext {
  /** The action that needs the token, for error messages. */
  action: string;
  signal?: AbortSignal;
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
