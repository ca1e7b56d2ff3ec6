/**
 * Sign-in for the emulator: an OAuth token endpoint (client_credentials, refresh_token and
 * authorization_code grants, with Azure AD's answers and error shapes) and the bearer check of
 * every service route. In strict mode only tokens it issued, and not yet expired, are accepted,
 * and it issues them only to the clients it was started with (a secret compared in constant time).
 */
import { randomBytes } from 'crypto';
import type { IncomingMessage, ServerResponse } from 'http';
import { HttpError, readBody, sameSecret, sendJson } from './http-util';

/** A confidential client the emulator issues tokens to in strict mode. */
export interface EmulatorClient {
  clientId: string;
  clientSecret: string;
}

export interface AuthOptions {
  strict: boolean;
  tokenLifetimeSeconds: number;
  /** Strict mode: the only clients that get tokens. */
  clients?: EmulatorClient[];
  /** The clock tokens expire by, in ms (tests move it instead of waiting). */
  now?: () => number;
}

/** Who is calling: the emulator's owner (any accepted bearer token), or a run with its own token. */
export type Principal = { kind: 'owner' } | { kind: 'run'; runKey: string };

/** The prefix of run tokens: a token that has it is a run's, valid or not, never the owner's. */
const RUN_TOKEN_PREFIX = 'emu_run_';

interface Issued {
  expiresAt: number;
  clientId?: string;
}

export class EmulatorAuth {
  private readonly accessTokens = new Map<string, Issued>();
  private readonly refreshTokens = new Map<string, Issued>();
  /** Run tokens (AZUREML_RUN_TOKEN) by token: the run each one may act for, while it runs. Kept in memory only. */
  private readonly runTokens = new Map<string, string>();
  /** How many token requests each grant type got: tests count refreshes with it. */
  readonly tokenRequests: Record<string, number> = {};

  constructor(private readonly options: AuthOptions) {}

  private now(): number {
    return (this.options.now ?? Date.now)();
  }

  private issue(clientId: string | undefined, withRefresh: boolean, scope: string) {
    const accessToken = `emu_at_${randomBytes(24).toString('base64url')}`;
    const lifetime = this.options.tokenLifetimeSeconds;
    this.accessTokens.set(accessToken, { expiresAt: this.now() + lifetime * 1000, clientId });
    const answer: Record<string, unknown> = { token_type: 'Bearer', scope, expires_in: lifetime, ext_expires_in: lifetime, access_token: accessToken };
    if (withRefresh) {
      const refreshToken = `emu_rt_${randomBytes(24).toString('base64url')}`;
      this.refreshTokens.set(refreshToken, { expiresAt: this.now() + 90 * 24 * 3600 * 1000, clientId });
      answer.refresh_token = refreshToken;
    }
    return answer;
  }

  /** POST /{tenant}/oauth2/v2.0/token (and v1's /oauth2/token). */
  async handleToken(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const form = new URLSearchParams((await readBody(req, 64 * 1024)).toString('utf8'));
    const grant = form.get('grant_type') ?? '';
    this.tokenRequests[grant] = (this.tokenRequests[grant] ?? 0) + 1;
    const scope = form.get('scope') ?? 'https://management.azure.com/.default';
    const clientId = form.get('client_id') ?? undefined;
    const fail = (error: string, description: string, status = 400) =>
      sendJson(res, status, { error, error_description: description, error_codes: [Number(/AADSTS(\d+)/.exec(description)?.[1] ?? 0)], timestamp: new Date().toISOString() });
    const secret = form.get('client_secret') ?? '';
    /** Strict mode: the client must be one the emulator was started with, with its secret. */
    const unknownClient = () => {
      if (!this.options.strict) return false;
      const client = (this.options.clients ?? []).find((c) => c.clientId === clientId);
      // Both compared, whatever the first gave: the answer's time says nothing about which was wrong.
      const secretOk = sameSecret(secret, client?.clientSecret ?? randomBytes(16).toString('hex'));
      return !client || !secretOk;
    };
    const invalidClient = () =>
      fail(
        'invalid_client',
        `AADSTS7000215: Invalid client secret provided, or client ${JSON.stringify(String(clientId ?? '').slice(0, 100))} is not registered with this emulator.`,
        401,
      );

    switch (grant) {
      case 'client_credentials':
        if (!clientId || !(secret || form.get('client_assertion'))) {
          return fail('invalid_client', 'AADSTS7000216: client_assertion or client_secret is required for a confidential client.', 401);
        }
        if (unknownClient()) return invalidClient();
        return sendJson(res, 200, this.issue(clientId, false, scope));
      case 'refresh_token': {
        const token = form.get('refresh_token') ?? '';
        const issued = this.refreshTokens.get(token);
        if (!token || (this.options.strict && (!issued || issued.expiresAt < this.now() || (issued.clientId !== undefined && issued.clientId !== clientId)))) {
          return fail('invalid_grant', 'AADSTS70008: The provided authorization code or refresh token has expired due to inactivity.');
        }
        this.refreshTokens.delete(token);
        return sendJson(res, 200, this.issue(clientId, true, scope));
      }
      case 'authorization_code':
        if (!form.get('code')) return fail('invalid_grant', 'AADSTS900144: The request body must contain the following parameter: code.');
        // The emulator has no sign-in page to issue codes from: in strict mode the client's own secret is what counts.
        if (unknownClient()) return invalidClient();
        return sendJson(res, 200, this.issue(clientId, true, scope));
      default:
        return fail('unsupported_grant_type', `AADSTS70003: The app requested an unsupported grant type '${grant}'.`);
    }
  }

  /** A new token that acts for the run `runKey` alone (its metrics and artifacts), until revoked. */
  issueRunToken(runKey: string): string {
    const token = `${RUN_TOKEN_PREFIX}${randomBytes(24).toString('base64url')}`;
    this.runTokens.set(token, runKey);
    return token;
  }

  /** Ends the tokens of a run (when it ends: a process it left behind acts for it no more). */
  revokeRunTokens(runKey: string): void {
    for (const [token, key] of this.runTokens) if (key === runKey) this.runTokens.delete(token);
  }

  /**
   * Who sent the request; throws a 401 HttpError (with WWW-Authenticate) unless it carries an
   * acceptable bearer token. A run token is a run's in every mode, and only while its run runs.
   */
  check(req: IncomingMessage): Principal {
    const header = req.headers.authorization ?? '';
    const match = /^Bearer\s+(\S+)$/i.exec(header);
    const challenge = (error?: string) => ({ 'www-authenticate': error ? `Bearer error="${error}"` : 'Bearer' });
    if (!match) throw new HttpError(401, 'UserError', 'The request has no bearer token in Authorization.', { innerCode: 'AuthenticationRequired' }, challenge());
    if (match[1].startsWith(RUN_TOKEN_PREFIX)) {
      const runKey = this.runTokens.get(match[1]);
      if (!runKey)
        throw new HttpError(401, 'UserError', 'The run token is not valid: its run has ended, or it was never issued.', { innerCode: 'InvalidToken' }, challenge('invalid_token'));
      return { kind: 'run', runKey };
    }
    if (!this.options.strict) return { kind: 'owner' };
    const issued = this.accessTokens.get(match[1]);
    if (!issued) throw new HttpError(401, 'UserError', 'The bearer token was not issued by this emulator.', { innerCode: 'InvalidToken' }, challenge('invalid_token'));
    if (issued.expiresAt <= this.now()) throw new HttpError(401, 'UserError', 'The bearer token has expired.', { innerCode: 'TokenExpired' }, challenge('invalid_token'));
    return { kind: 'owner' };
  }
}
