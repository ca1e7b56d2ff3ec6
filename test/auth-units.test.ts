/**
 * The token sources' parts in-process, each on its own: expiry parsing, the OAuth actions' form
 * and answer, the refresh-token source's account updates, the choice of source, refresh
 * notices, and the token cycler's edges (with Date.now held still).
 */
import type { Account } from '../src/account/account';
import { AzureMLAccountError } from '../src';
import { accountExpiry } from '../src/auth/expiry';
import { notifyTokenRefresh } from '../src/auth/notify-refresh';
import { oauthCallback, oauthRefresh } from '../src/auth/oauth-actions';
import { refreshTokenSource } from '../src/auth/refresh-token-source';
import { REFRESH_WINDOW_MS, TokenCycler, type AccessToken } from '../src/auth/token-cycler';
import { tokenSourceForAccount } from '../src/auth/token-source-for-account';
import { startRecordingServer, type RecordingServer } from './helpers/recording-server';

const ID = 'azure_machinelearningservices_execution';
const NOW = Date.parse('2026-11-25T12:00:00Z');

let server: RecordingServer;
beforeAll(async () => {
  server = await startRecordingServer();
});
afterAll(() => server.close());
beforeEach(() => jest.spyOn(Date, 'now').mockReturnValue(NOW));
afterEach(() => jest.restoreAllMocks());

const form = (index = -1) => Object.fromEntries(new URLSearchParams(server.requests.at(index)!.body.toString('utf8')));

describe('accountExpiry', () => {
  it.each([
    [{ expires_at: '2026-11-25T13:00:00Z' }, NOW + 3_600_000],
    [{ expires_at: new Date(NOW + 5) as never }, NOW + 5],
    [{ expires_at: 1764075600 as never }, 1764075600_000],
    [{ expires_at: '1764075600' }, 1764075600_000],
    [{ expires_at: '1764075600.5' }, 1764075600_500],
    [{ expires_at: '1764075600.25' }, 1764075600_250],
    [{ expires_at: 999_999_999_999 as never }, 999_999_999_999_000],
    [{ expires_at: 1e12 as never }, 1e12],
    [{ expires_at: '1764075600000' }, 1764075600000],
    [{ expires_at: '', expiration: '1764075600' }, 1764075600_000],
    [{ expires_at: null as never, expiration: '2026-11-25T12:00:01Z' }, NOW + 1000],
    [{}, undefined],
  ])('reads %p', (account, expected) => {
    expect(accountExpiry(account as Account, ID)).toBe(expected);
  });

  it.each([
    [{ expires_at: 'soon' }, 'expires_at', '"soon"'],
    [{ expires_at: '1764075600.x' }, 'expires_at', '"1764075600.x"'],
    [{ expires_at: '1764075600.' }, 'expires_at', '"1764075600."'],
    [{ expiration: true }, 'expiration', 'true'],
    [{ expires_at: NaN }, 'expires_at', 'null'],
    [{ expires_at: {} }, 'expires_at', '{}'],
  ])('refuses %p, naming the field', (account, field, shown) => {
    let error: unknown;
    try {
      accountExpiry(account as never, ID);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(AzureMLAccountError);
    expect((error as AzureMLAccountError).message).toBe(`The ${ID} account's ${field} must be an ISO date (e.g. 2026-11-23T12:00:00Z) or seconds since the epoch (got ${shown})`);
    expect((error as AzureMLAccountError).fields).toEqual([field]);
  });
});

describe('oauthCallback and oauthRefresh', () => {
  const account = (extra: Partial<Account> = {}): Account => ({
    client_id: 'app',
    client_secret: 'shh',
    redirect_uri: 'https://app.example/cb',
    refresh_url: `${server.url}/token`,
    ...extra,
  });

  it('exchanges the code with the account fields and the default scope, and answers only what came', async () => {
    server.reply({ status: 200, body: { access_token: 'a1', expires_in: 0 } });
    // Strict: a field the endpoint did not give is absent, not undefined.
    expect(await oauthCallback(account(), { code: 'the-code' }, 'x/oauthCallback')).toStrictEqual({ access_token: 'a1' });
    expect(form()).toEqual({
      client_id: 'app',
      client_secret: 'shh',
      redirect_uri: 'https://app.example/cb',
      scope: 'https://management.azure.com/.default',
      grant_type: 'authorization_code',
      code: 'the-code',
    });
  });

  it('answers every token field the endpoint gives, and the expiry from expires_in', async () => {
    server.reply({ status: 200, body: { access_token: 'a2', refresh_token: 'r2', token_type: 'Bearer', scope: 'custom', expires_in: '3600' } });
    expect(await oauthRefresh(account({ refresh_token: 'r1', scope: 'custom' }), 'x/oauthRefresh')).toEqual({
      access_token: 'a2',
      refresh_token: 'r2',
      token_type: 'Bearer',
      scope: 'custom',
      expiration: '2026-11-25T13:00:00.000Z',
    });
    expect(form()).toMatchObject({ grant_type: 'refresh_token', refresh_token: 'r1', scope: 'custom' });
    server.reply({ status: 200, body: { access_token: 'a3', expires_in: -5 } });
    expect(await oauthRefresh(account({ refresh_token: 'r1' }), 'x/oauthRefresh')).toStrictEqual({ access_token: 'a3' });
    server.reply({ status: 200, body: { access_token: 'a4', refresh_token: '', token_type: '', scope: '' } });
    expect(await oauthRefresh(account({ refresh_token: 'r1' }), 'x/oauthRefresh')).toStrictEqual({ access_token: 'a4' });
  });

  it('names what it was doing when the endpoint refuses', async () => {
    server.reply({ status: 400, body: { error: 'invalid_grant', error_description: 'code used' } });
    await expect(oauthCallback(account(), { code: 'c' }, 'x/oauthCallback')).rejects.toThrow(
      `Action x/oauthCallback could not exchange the authorization code: the token endpoint ${server.url}/token answered 400: invalid_grant: code used`,
    );
    server.reply({ status: 400, body: { error: 'invalid_grant' } });
    await expect(oauthRefresh(account({ refresh_token: 'r' }), 'x/oauthRefresh')).rejects.toThrow('Action x/oauthRefresh could not refresh the access token: ');
  });

  it('refuses a missing code and a missing refresh token before any request', async () => {
    const before = server.requests.length;
    for (const input of [null, undefined, {}, { code: '' }, { code: 5 }]) {
      await expect(oauthCallback(account(), input, 'x/oauthCallback')).rejects.toThrow(
        'Action x/oauthCallback was given invalid input: code is required: the code passed to your redirect URI',
      );
    }
    for (const refresh_token of [undefined, '', 7 as never]) {
      await expect(oauthRefresh(account({ refresh_token }), 'x/oauthRefresh')).rejects.toThrow(
        'Action x/oauthRefresh was given invalid input: the account has no refresh_token to exchange',
      );
    }
    expect(server.requests.length).toBe(before);
  });
});

describe('refreshTokenSource', () => {
  it('uses the access token while it is fresh, then refreshes and writes the account as DataFire does', async () => {
    const account: Account = { access_token: 'old', refresh_token: 'r1', client_id: 'app', refresh_url: `${server.url}/token`, expires_at: '2026-11-25T12:30:00Z' };
    // An expiry of "x" is refused when the source is made: before any request.
    expect(() => refreshTokenSource({ refresh_token: 'r', expiration: 'x' as never }, ID)).toThrow(`The ${ID} account's expiration must be an ISO date`);
    const source = refreshTokenSource(account, ID);
    const before = server.requests.length;
    expect(await source.getToken({ action: 'a' })).toBe('old');
    expect(server.requests.length).toBe(before);

    account.expires_at = '2026-11-25T12:01:00Z'; // within the refresh window
    (account as Record<string, unknown>).expiration = '2026-11-25T12:01:00Z';
    server.reply({ status: 200, body: { access_token: 'new', expires_in: 3600 } });
    const refreshed: Account[] = [];
    expect(await source.getToken({ action: 'a', onRefresh: (a) => refreshed.push({ ...a }) })).toBe('new');
    expect(form()).toEqual({ grant_type: 'refresh_token', refresh_token: 'r1', client_id: 'app', scope: 'https://management.azure.com/.default' });
    expect(account).toMatchObject({ access_token: 'new', refresh_token: 'r1', expires_at: '2026-11-25T13:00:00.000Z', expiration: '2026-11-25T13:00:00.000Z' });
    expect(refreshed).toEqual([account]);
  });

  it('keeps a rotated refresh token, adds no expiration the account did not have, and forgets an expiry the endpoint no longer gives', async () => {
    const account: Account = { refresh_token: 'r1', refresh_url: `${server.url}/token`, scope: 'my-scope' };
    const source = refreshTokenSource(account, ID);
    server.reply({ status: 200, body: { access_token: 'a1', refresh_token: 'r2', expires_in: 60 } });
    expect(await source.getToken({ action: 'a' })).toBe('a1');
    expect(form().scope).toBe('my-scope');
    expect(account).toEqual({ refresh_token: 'r2', refresh_url: `${server.url}/token`, scope: 'my-scope', access_token: 'a1', expires_at: '2026-11-25T12:01:00.000Z' });
    (account as Record<string, unknown>).expiration = account.expires_at;
    server.reply({ status: 200, body: { access_token: 'a2', expires_in: 'never' } });
    expect(await source.onUnauthorized!({ action: 'a', rejectedToken: 'a1' })).toBe('a2');
    expect(account).toEqual({ refresh_token: 'r2', refresh_url: `${server.url}/token`, scope: 'my-scope', access_token: 'a2' });
  });
});

describe('refreshTokenSource edges', () => {
  it('an empty access_token is no token: the first call refreshes', async () => {
    const account: Account = { access_token: '', refresh_token: 'r1', refresh_url: `${server.url}/token` };
    server.reply({ status: 200, body: { access_token: 'fresh', expires_in: 60 } });
    const before = server.requests.length;
    expect(await refreshTokenSource(account, ID).getToken({ action: 'a' })).toBe('fresh');
    expect(server.requests.length).toBe(before + 1);
  });

  it('an expires_in of 0 gives no expiry (a token that says nothing is used until refused)', async () => {
    const account: Account = { refresh_token: 'r1', refresh_url: `${server.url}/token` };
    server.reply({ status: 200, body: { access_token: 'a0', expires_in: 0 } });
    expect(await refreshTokenSource(account, ID).getToken({ action: 'a' })).toBe('a0');
    expect(account).toStrictEqual({ refresh_token: 'r1', refresh_url: `${server.url}/token`, access_token: 'a0' });
  });
});

describe('tokenSourceForAccount', () => {
  const saved = { ...process.env };
  beforeEach(() => {
    delete process.env.AZURE_CLIENT_ID;
    delete process.env.AZURE_CLIENT_SECRET;
    delete process.env.AZURE_TENANT_ID;
  });
  afterEach(() => {
    process.env = { ...saved };
  });

  const refusal = (account: Account, action?: string) => {
    try {
      tokenSourceForAccount(account, ID, action);
    } catch (error) {
      return error as AzureMLAccountError;
    }
    throw new Error('not refused');
  };

  it('names each missing part of a service principal, whichever part is given', () => {
    expect(refusal({ client_id: 'app' }).message).toBe(`The ${ID} account is a service principal without client_secret (or AZURE_CLIENT_SECRET), tenant_id (or AZURE_TENANT_ID)`);
    expect(refusal({ client_secret: 's' }).fields).toEqual(['client_id', 'tenant_id']);
    expect(refusal({ tenant_id: 't', client_id: '' }).fields).toEqual(['client_id', 'client_secret']);
    process.env.AZURE_TENANT_ID = 'from-env';
    expect(refusal({ client_id: 'app' }).fields).toEqual(['client_secret']);
  });

  it('says what an account without credentials needs, and names the action that was called', () => {
    const error = refusal({ access_token: '', refresh_token: '' }, 'x/Runs_StartRun');
    expect(error.message).toBe(
      `The ${ID} account has no credentials: give access_token (and refresh_token to refresh it), or a service principal's client_id, client_secret and tenant_id (or AZURE_CLIENT_ID, AZURE_CLIENT_SECRET, AZURE_TENANT_ID)`,
    );
    expect(error.fields).toEqual(['access_token', 'refresh_token', 'client_id', 'client_secret', 'tenant_id']);
    expect(error.action).toBe('x/Runs_StartRun');
    expect(refusal({}).action).toBeUndefined();
  });

  it('keeps one source per account object', async () => {
    const account = { access_token: 'tok' };
    const source = tokenSourceForAccount(account, ID);
    expect(tokenSourceForAccount(account, ID)).toBe(source);
    expect(tokenSourceForAccount({ access_token: 'tok' }, ID)).not.toBe(source);
    expect(await source.getToken({ action: 'a' })).toBe('tok');
  });
});

describe('notifyTokenRefresh', () => {
  it('tells the callback the account, and a callback that throws is told to the log without the secrets it names', () => {
    const account: Account = { access_token: 'secret-access-123', refresh_token: 'secret-refresh-456' };
    const seen: Account[] = [];
    notifyTokenRefresh(account, (a) => seen.push(a));
    expect(seen).toEqual([account]);
    const logged: string[] = [];
    notifyTokenRefresh(
      account,
      () => {
        throw new Error('could not save secret-access-123 / secret-refresh-456');
      },
      (m) => logged.push(m),
    );
    expect(logged).toEqual(['onTokenRefresh threw after a token refresh (ignored): could not save [REDACTED] / [REDACTED]']);
  });

  it('a callback that throws something that is not an Error is told as it is', () => {
    const logged: string[] = [];
    for (const thrown of [null, undefined, 'plain words']) {
      notifyTokenRefresh(
        { access_token: 'a' },
        () => {
          throw thrown;
        },
        (m) => logged.push(m),
      );
    }
    expect(logged).toEqual([
      'onTokenRefresh threw after a token refresh (ignored): null',
      'onTokenRefresh threw after a token refresh (ignored): undefined',
      'onTokenRefresh threw after a token refresh (ignored): plain words',
    ]);
  });

  it('never loads DataFire to tell it: only a DataFire already loaded has callbacks to call', () => {
    let loaded = false;
    jest.doMock('datafire', () => {
      loaded = true;
      return { Action: { callOAuthRefreshCallbacks: () => undefined } };
    });
    try {
      const seen: Account[] = [];
      notifyTokenRefresh({ access_token: 'a' }, (a) => seen.push(a));
      expect(seen).toHaveLength(1);
      expect(loaded).toBe(false);
    } finally {
      jest.dontMock('datafire');
    }
  });

  it('warns by default, so that a failing save is not lost', () => {
    const warnings: Array<[unknown, unknown]> = [];
    jest.spyOn(process, 'emitWarning').mockImplementation(((message: unknown, options: unknown) => void warnings.push([message, options])) as never);
    notifyTokenRefresh({ access_token: 'a' }, () => {
      throw new Error('disk full');
    });
    expect(warnings).toEqual([['onTokenRefresh threw after a token refresh (ignored): disk full', { type: 'AzureMLWarning', code: 'AZUREML_REFRESH_CALLBACK' }]]);
  });
});

describe('TokenCycler', () => {
  const token = (name: string, inMs?: number): AccessToken => ({ token: name, expiresAt: inMs === undefined ? undefined : NOW + inMs });

  it('refreshes a token exactly at the refresh window, not one a millisecond outside it', async () => {
    let held = token('held', REFRESH_WINDOW_MS + 1);
    const fetched: string[] = [];
    const cycler = new TokenCycler(
      () => held,
      async () => {
        fetched.push('fetch');
        return token('new', 3_600_000);
      },
    );
    expect(await cycler.getToken({ action: 'a' })).toBe('held');
    held = token('held', REFRESH_WINDOW_MS);
    expect(await cycler.getToken({ action: 'a' })).toBe('new');
    expect(fetched).toEqual(['fetch']);
  });

  it('gives callers the token being fetched, not the one held, while a refresh after a 401 is in flight', async () => {
    let release!: (t: AccessToken) => void;
    const cycler = new TokenCycler(
      () => token('rejected-but-unexpired', 3_600_000),
      () => new Promise<AccessToken>((resolve) => (release = resolve)),
    );
    const renewed = cycler.renewAfterRejection({ action: 'a' }, 'rejected-but-unexpired');
    const meanwhile = cycler.getToken({ action: 'a' });
    const secondRejection = cycler.renewAfterRejection({ action: 'a' }, 'other');
    release(token('fresh', 3_600_000));
    expect(await Promise.all([renewed, meanwhile, secondRejection])).toEqual(['fresh', 'fresh', 'fresh']);
  });
});
