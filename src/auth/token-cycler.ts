/**
 * Keeps one token for many callers, as Azure's token cycler does: it refreshes ahead of expiry
 * (within two minutes of it), and any number of concurrent callers that need a new token share
 * one request for it. A refresh that fails fails every caller waiting on it, with its reason.
 */
import type { TokenRequestContext } from './token-source';

export interface AccessToken {
  token: string;
  /** Epoch milliseconds, when known. */
  expiresAt?: number;
}

export const REFRESH_WINDOW_MS = 2 * 60 * 1000;

export class TokenCycler {
  private inflight?: Promise<AccessToken>;

  constructor(
    /** The token held now (the account's, for refresh tokens), if any. */
    private readonly current: () => AccessToken | undefined,
    /** Gets a new token: one call at a time. */
    private readonly fetchToken: (context: TokenRequestContext) => Promise<AccessToken>,
  ) {}

  private fresh(token: AccessToken | undefined): token is AccessToken {
    return !!token && (token.expiresAt === undefined || token.expiresAt - Date.now() > REFRESH_WINDOW_MS);
  }

  refresh(context: TokenRequestContext): Promise<AccessToken> {
    this.inflight ??= this.fetchToken(context).finally(() => {
      this.inflight = undefined;
    });
    return this.inflight;
  }

  async getToken(context: TokenRequestContext): Promise<string> {
    if (this.inflight) return (await this.inflight).token;
    const token = this.current();
    return this.fresh(token) ? token.token : (await this.refresh(context)).token;
  }

  /** After a 401: the token another caller got meanwhile, or a new one. */
  async renewAfterRejection(context: TokenRequestContext, rejectedToken: string): Promise<string> {
    if (this.inflight) return (await this.inflight).token;
    const token = this.current();
    if (this.fresh(token) && token.token !== rejectedToken) return token.token;
    return (await this.refresh(context)).token;
  }
}
