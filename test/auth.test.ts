/**
 * One account, kept authorized: static tokens, refresh tokens (on 401 and ahead of expiry, one
 * refresh for any number of concurrent callers), service principals (msal-node, cached),
 * authorization codes, what refresh failures say, and that no secret is ever logged or thrown.
 */
import nock from 'nock';
import { AzureMLAccountError, AzureMLAuthError, AzureMLServiceError, create, runHistory, startEmulator, type Account } from '../src';
import { sanitizeHeaders, sanitizeUrl } from '../src/http/sanitizer';
import type { PipelineRequest, SendRequest } from '../src';
import { TOKEN, WORKSPACE } from './helpers/fixtures';
import { startRecordingServer, type RecordedRequest, type RecordingServer } from './helpers/recording-server';
import { expectNoSecrets } from './helpers/secrets';

const LOGIN = 'https://login.microsoftonline.com';
const REFRESH = 'refresh-token-0123456789abcdef';
const SECRET = 'client-secret-abcdefghijklmnop';
const NEW_TOKEN = 'new-access-token-zyxwvutsrqponm';
const CANCEL = { ...WORKSPACE, runId: 'run_1' };

let server: RecordingServer;
beforeEach(async () => {
  server = await startRecordingServer();
  // The service accepts NEW_TOKEN only.
  server.reply((req: RecordedRequest) =>
    req.headers.authorization === `Bearer ${NEW_TOKEN}`
      ? { body: { runId: 'run_1' } }
      : { status: 401, headers: { 'www-authenticate': 'Bearer error="invalid_token"' }, body: { error: { code: 'UserError', message: 'Token expired' } } },
  );
});
afterEach(async () => {
  await server.close();
  jest.useRealTimers();
  delete process.env.AZURE_AUTHORITY_HOST;
  delete process.env.AZURE_TENANT_ID;
  delete process.env.AZURE_CLIENT_ID;
  delete process.env.AZURE_CLIENT_SECRET;
});

function refreshAccount(extra: Partial<Account> = {}): Account {
  return { access_token: TOKEN, refresh_token: REFRESH, client_id: 'my-app', client_secret: SECRET, tenant_id: 'my-tenant', host: server.url, ...extra };
}

/** Interceptor for one refresh grant; records the forms it got. */
function tokenEndpoint(
  path = '/my-tenant/oauth2/v2.0/token',
  answer: object = { token_type: 'Bearer', access_token: NEW_TOKEN, refresh_token: 'rotated-refresh-token', expires_in: 3600 },
  times = 1,
) {
  const forms: string[] = [];
  const scope = nock(LOGIN)
    .post(path, (body) => {
      forms.push(new URLSearchParams(body as Record<string, string>).toString());
      return true;
    })
    .times(times)
    .reply(200, answer);
  return { forms, scope };
}

describe('a static token', () => {
  it('is sent as a bearer token, and a 401 is the action error, with no refresh', async () => {
    const error = (await create({ access_token: TOKEN, host: server.url })
      .Runs_CancelRunWithUri(CANCEL)
      .catch((e: unknown) => e)) as AzureMLServiceError;
    expect(error.statusCode).toBe(401);
    expect(error.message).toBe('Action azure_machinelearningservices_execution/Runs_CancelRunWithUri failed with status code 401: UserError: Token expired');
    expect(error.responseHeaders['www-authenticate']).toBe('Bearer error="invalid_token"');
    expect(server.requests.map((r) => r.headers.authorization)).toEqual([`Bearer ${TOKEN}`]);
  });
});

describe('a refresh token', () => {
  it('refreshes on a 401 with the exact grant, sends the request once more, and updates the account in place', async () => {
    const { forms, scope } = tokenEndpoint();
    const account = refreshAccount();
    const refreshed: Account[] = [];
    const before = Date.now();
    expect(await create(account, { onTokenRefresh: (a) => refreshed.push({ ...a }) }).Runs_CancelRunWithUri(CANCEL)).toEqual({ runId: 'run_1' });
    scope.done();
    expect(forms).toEqual([`grant_type=refresh_token&refresh_token=${REFRESH}&client_id=my-app&client_secret=${SECRET}&scope=https%3A%2F%2Fmanagement.azure.com%2F.default`]);
    expect(server.requests.map((r) => r.headers.authorization)).toEqual([`Bearer ${TOKEN}`, `Bearer ${NEW_TOKEN}`]);
    expect(server.requests[0].headers['x-ms-client-request-id']).toBe(server.requests[1].headers['x-ms-client-request-id']);
    expect(account.access_token).toBe(NEW_TOKEN);
    expect(account.refresh_token).toBe('rotated-refresh-token');
    const expiresAt = new Date(account.expires_at as string).getTime();
    expect(expiresAt).toBeGreaterThanOrEqual(before + 3600 * 1000);
    expect(expiresAt).toBeLessThanOrEqual(Date.now() + 3600 * 1000);
    expect(refreshed).toEqual([account]);
  });

  it('makes one refresh for 20 concurrent calls that all get 401, then all 20 succeed', async () => {
    const { forms } = tokenEndpoint();
    const client = create(refreshAccount());
    const results = await Promise.all(Array.from({ length: 20 }, () => client.Runs_CancelRunWithUri(CANCEL)));
    expect(results).toEqual(Array.from({ length: 20 }, () => ({ runId: 'run_1' })));
    expect(forms).toHaveLength(1);
    expect(server.requests.filter((r) => r.headers.authorization === `Bearer ${NEW_TOKEN}`)).toHaveLength(20);
  });

  it('refreshes ahead of expiry: within two minutes of expires_at, before sending', async () => {
    jest.useFakeTimers({
      doNotFake: ['nextTick', 'setImmediate', 'setTimeout', 'clearTimeout', 'setInterval', 'clearInterval', 'queueMicrotask'],
      now: new Date('2026-11-23T12:00:00Z'),
    });
    const { forms } = tokenEndpoint('/my-tenant/oauth2/v2.0/token', { access_token: NEW_TOKEN, expires_in: 3600 }, 2);
    const account = refreshAccount({ access_token: NEW_TOKEN, expires_at: '2026-11-23T12:30:00Z' });
    const client = create(account);
    await client.Runs_CancelRunWithUri(CANCEL);
    expect(forms).toHaveLength(0); // 30 minutes left: no refresh

    jest.setSystemTime(new Date('2026-11-23T12:28:30Z')); // 90 s left
    await client.Runs_CancelRunWithUri(CANCEL);
    expect(forms).toHaveLength(1);
    expect(account.expires_at).toBe('2026-11-23T13:28:30.000Z');
    expect(server.requests).toHaveLength(2); // no 401 on the way

    jest.setSystemTime(new Date('2026-11-23T13:27:00Z')); // within two minutes of the new expiry
    await client.Runs_CancelRunWithUri(CANCEL);
    expect(forms).toHaveLength(2);
  });

  it('reads DataFire expiration fields and epoch seconds, and refuses a malformed expiry before any request', async () => {
    const { forms } = tokenEndpoint();
    await create(refreshAccount({ access_token: 'old', expiration: Math.floor(Date.now() / 1000) + 30 })).Runs_CancelRunWithUri(CANCEL);
    expect(forms).toHaveLength(1);
    expect(server.requests).toHaveLength(1);
    const error = (await create(refreshAccount({ expires_at: 'next tuesday' }))
      .Runs_CancelRunWithUri(CANCEL)
      .catch((e: unknown) => e)) as AzureMLAccountError;
    expect(error).toBeInstanceOf(AzureMLAccountError);
    expect(error.message).toBe(
      'The azure_machinelearningservices_execution account\'s expires_at must be an ISO date (e.g. 2026-11-23T12:00:00Z) or seconds since the epoch (got "next tuesday")',
    );
    expect(error.fields).toEqual(['expires_at']);
    expect(server.requests).toHaveLength(1);
  });

  it("uses the account's refresh_url, else AZURE_AUTHORITY_HOST with the tenant, else 'common'", async () => {
    const custom = nock('https://sso.example.com').post('/oauth/token').reply(200, { access_token: NEW_TOKEN });
    await create(refreshAccount({ refresh_url: 'https://sso.example.com/oauth/token' })).Runs_CancelRunWithUri(CANCEL);
    custom.done();
    process.env.AZURE_AUTHORITY_HOST = 'https://login.microsoftonline.us/';
    const gov = nock('https://login.microsoftonline.us').post('/common/oauth2/v2.0/token').reply(200, { access_token: NEW_TOKEN });
    await create(refreshAccount({ tenant_id: undefined })).Runs_CancelRunWithUri(CANCEL);
    gov.done();
  });

  it('gives the token endpoint reason when the refresh fails, never a bare 401, and no secret', async () => {
    nock(LOGIN)
      .post('/my-tenant/oauth2/v2.0/token')
      .reply(400, {
        error: 'invalid_grant',
        error_description: 'AADSTS70008: The provided authorization code or refresh token has expired due to inactivity.',
        error_codes: [70008],
      });
    const account = refreshAccount();
    const error = (await create(account)
      .Runs_CancelRunWithUri(CANCEL)
      .catch((e: unknown) => e)) as AzureMLAuthError;
    expect(error).toBeInstanceOf(AzureMLAuthError);
    expect(error.message).toBe(
      'Action azure_machinelearningservices_execution/Runs_CancelRunWithUri could not refresh the access token: the token endpoint https://login.microsoftonline.com/my-tenant/oauth2/v2.0/token answered 400: invalid_grant: AADSTS70008: The provided authorization code or refresh token has expired due to inactivity.',
    );
    expect(error).toMatchObject({ statusCode: 400, error: 'invalid_grant', action: 'azure_machinelearningservices_execution/Runs_CancelRunWithUri' });
    expect(account.access_token).toBe(TOKEN);
    expectNoSecrets(error, [TOKEN, REFRESH, SECRET]);
  });

  it('reports a second 401 after a successful refresh as such, without looping', async () => {
    tokenEndpoint('/my-tenant/oauth2/v2.0/token', { access_token: 'also-rejected' });
    const error = (await create(refreshAccount())
      .Runs_CancelRunWithUri(CANCEL)
      .catch((e: unknown) => e)) as AzureMLServiceError;
    expect(error.message).toBe(
      'Action azure_machinelearningservices_execution/Runs_CancelRunWithUri failed with status code 401 (after refreshing the access token): UserError: Token expired',
    );
    expect(server.requests.map((r) => r.headers.authorization)).toEqual([`Bearer ${TOKEN}`, 'Bearer also-rejected']);
  });

  it('calls DataFire oauth refresh callbacks, and a callback that throws does not break the call', async () => {
    const datafire = require('datafire');
    const seen: string[] = [];
    const callbacks = datafire.Action.oauthRefreshCallbacks as unknown[];
    const before = callbacks.length;
    datafire.Action.addOAuthRefreshCallback((a: Account) => seen.push(String(a.access_token)));
    datafire.Action.addOAuthRefreshCallback(() => {
      throw new Error('disk full');
    });
    const warnings: unknown[] = [];
    const warn = jest.spyOn(process, 'emitWarning').mockImplementation(((message: unknown) => void warnings.push(message)) as never);
    try {
      tokenEndpoint();
      const ownCallback = jest.fn(() => {
        throw new Error('also broken');
      });
      expect(await create(refreshAccount(), { onTokenRefresh: ownCallback }).Runs_CancelRunWithUri(CANCEL)).toEqual({ runId: 'run_1' });
      expect(seen).toEqual([NEW_TOKEN]);
      expect(ownCallback).toHaveBeenCalledTimes(1);
      // Not lost: each failure is a warning.
      expect(warnings).toEqual([
        'a DataFire oauth refresh callback threw after a token refresh (ignored): disk full',
        'onTokenRefresh threw after a token refresh (ignored): also broken',
      ]);
    } finally {
      warn.mockRestore();
      callbacks.splice(before);
    }
  });
});

describe('a service principal', () => {
  const msalTokenEndpoint = (times: number) => {
    const forms: URLSearchParams[] = [];
    nock(LOGIN)
      .post(/^\/sp-tenant\/oauth2\/v2\.0\/token/, (body) => {
        forms.push(new URLSearchParams(body as Record<string, string>));
        return true;
      })
      .times(times)
      .reply(200, { token_type: 'Bearer', expires_in: 3599, ext_expires_in: 3599, access_token: NEW_TOKEN });
    return forms;
  };

  it('gets a token with client credentials through msal-node, and 1,000 calls make one token request', async () => {
    const forms = msalTokenEndpoint(1);
    const client = create({ client_id: 'sp-app', client_secret: SECRET, tenant_id: 'sp-tenant', host: server.url });
    for (let i = 0; i < 1000; i += 50) await Promise.all(Array.from({ length: 50 }, () => client.Runs_CancelRunWithUri(CANCEL)));
    expect(forms).toHaveLength(1);
    expect(Object.fromEntries([...forms[0]].filter(([k]) => ['client_id', 'client_secret', 'grant_type', 'scope'].includes(k)))).toEqual({
      client_id: 'sp-app',
      client_secret: SECRET,
      grant_type: 'client_credentials',
      scope: 'https://management.azure.com/.default',
    });
    expect(server.requests).toHaveLength(1000);
    expect(new Set(server.requests.map((r) => r.headers.authorization))).toEqual(new Set([`Bearer ${NEW_TOKEN}`]));
  });

  it('reads AZURE_TENANT_ID, AZURE_CLIENT_ID and AZURE_CLIENT_SECRET, and the account scope', async () => {
    Object.assign(process.env, { AZURE_TENANT_ID: 'sp-tenant', AZURE_CLIENT_ID: 'env-app', AZURE_CLIENT_SECRET: SECRET });
    const forms = msalTokenEndpoint(1);
    await create({ host: server.url, scope: 'https://ml.azure.com/.default' }).Runs_CancelRunWithUri(CANCEL);
    expect([forms[0].get('client_id'), forms[0].get('scope')]).toEqual(['env-app', 'https://ml.azure.com/.default']);
  });

  it('keeps msal error codes and messages, without the secret', async () => {
    nock(LOGIN)
      .post(/^\/sp-tenant\/oauth2\/v2\.0\/token/)
      .reply(401, { error: 'invalid_client', error_description: 'AADSTS7000215: Invalid client secret provided.', error_codes: [7000215] });
    const error = (await create({ client_id: 'sp-app', client_secret: SECRET, tenant_id: 'sp-tenant', host: server.url })
      .Runs_CancelRunWithUri(CANCEL)
      .catch((e: unknown) => e)) as AzureMLAuthError;
    expect(error).toBeInstanceOf(AzureMLAuthError);
    expect(error.error).toBe('invalid_client');
    expect(error.message).toMatch(
      /^Action azure_machinelearningservices_execution\/Runs_CancelRunWithUri could not get a token for the service principal: the token endpoint https:\/\/login\.microsoftonline\.com\/sp-tenant\/oauth2\/v2\.0\/token failed: invalid_client: .*AADSTS7000215: Invalid client secret provided\./,
    );
    expectNoSecrets(error, [SECRET]);
    expect(server.requests).toHaveLength(0);
  });

  it('works against the emulator (an http authority) in strict mode, one token for many calls', async () => {
    const emulator = await startEmulator({ strictAuth: true, clients: [{ clientId: 'sp-app', clientSecret: SECRET }] });
    try {
      const account = { client_id: 'sp-app', client_secret: SECRET, tenant_id: 'sp-tenant', host: emulator.url, authority_host: emulator.authorityHost };
      const history = runHistory.create(account);
      for (let i = 0; i < 10; i++) await history.Experiments_Create({ ...WORKSPACE });
      expect(emulator.tokenRequests).toEqual({ client_credentials: 1 });
    } finally {
      await emulator.close();
    }
  });
});

describe('accounts that cannot work', () => {
  it('names the fields when there are no credentials at all', async () => {
    const error = (await create({ host: server.url })
      .Runs_CancelRunWithUri(CANCEL)
      .catch((e: unknown) => e)) as AzureMLAccountError;
    expect(error.message).toBe(
      "The azure_machinelearningservices_execution account has no credentials: give access_token (and refresh_token to refresh it), or a service principal's client_id, client_secret and tenant_id (or AZURE_CLIENT_ID, AZURE_CLIENT_SECRET, AZURE_TENANT_ID)",
    );
    expect(error.action).toBe('azure_machinelearningservices_execution/Runs_CancelRunWithUri');
    expect(server.requests).toHaveLength(0);
  });

  it('names the tenant when a service principal has none', async () => {
    const error = (await create({ client_id: 'a', client_secret: SECRET, host: server.url })
      .Runs_CancelRunWithUri(CANCEL)
      .catch((e: unknown) => e)) as AzureMLAccountError;
    expect(error.message).toBe('The azure_machinelearningservices_execution account is a service principal without tenant_id (or AZURE_TENANT_ID)');
    expect(error.fields).toEqual(['tenant_id']);
  });
});

describe('authorization code (DataFire oauthCallback and oauthRefresh)', () => {
  const account = () => ({
    client_id: 'web-app',
    client_secret: SECRET,
    redirect_uri: 'https://app.example.com/callback',
    refresh_token: REFRESH,
    tenant_id: 'my-tenant',
    host: server.url,
  });

  it('exchanges a code for tokens', async () => {
    const { forms } = tokenEndpoint('/my-tenant/oauth2/v2.0/token', {
      token_type: 'Bearer',
      scope: 'https://management.azure.com/user_impersonation',
      access_token: NEW_TOKEN,
      refresh_token: 'r2',
      expires_in: 3600,
    });
    const before = Date.now();
    const tokens = await create(account()).oauthCallback({ code: 'auth-code-123' });
    expect(forms).toEqual([
      `client_id=web-app&client_secret=${SECRET}&redirect_uri=https%3A%2F%2Fapp.example.com%2Fcallback&scope=https%3A%2F%2Fmanagement.azure.com%2F.default&grant_type=authorization_code&code=auth-code-123`,
    ]);
    expect(tokens).toEqual({
      access_token: NEW_TOKEN,
      refresh_token: 'r2',
      token_type: 'Bearer',
      scope: 'https://management.azure.com/user_impersonation',
      expiration: expect.any(String),
    });
    expect(new Date(tokens.expiration!).getTime()).toBeGreaterThanOrEqual(before + 3600 * 1000);
  });

  it('exchanges the refresh token, as a DataFire action with the account from the context', async () => {
    const { forms } = tokenEndpoint('/my-tenant/oauth2/v2.0/token', { access_token: NEW_TOKEN });

    const pkg = require('../src');
    const tokens = await pkg.actions.oauthRefresh(null, { accounts: { azure_machinelearningservices_execution: account() } });
    expect(tokens).toEqual({ access_token: NEW_TOKEN });
    expect(forms[0]).toContain(`grant_type=refresh_token&refresh_token=${REFRESH}`);
  });

  it('needs a code', async () => {
    await expect(create(account()).oauthCallback({ code: '' })).rejects.toThrow(
      'Action azure_machinelearningservices_execution/oauthCallback was given invalid input: code is required: the code passed to your redirect URI',
    );
  });
});

describe('logging', () => {
  it('logs requests and answers with an allow-list, and no secret ever', async () => {
    tokenEndpoint();
    const lines: string[] = [];
    const account = refreshAccount();
    const addsHeader = { name: 'custom', sendRequest: (req: PipelineRequest, next: SendRequest) => ((req.headers['x-api-key'] = 'custom-key-secret'), next(req)) };
    await create(account, { logger: (line) => lines.push(line), policies: [addsHeader] }).Runs_StartSnapshotRun({ ...WORKSPACE, runId: 'run_1', definition: {} });
    const text = lines.join('\n');
    expect(lines).toHaveLength(6); // the 401, the token request, the retry: each out and back
    expect(lines[0]).toMatch(
      /^--> azure_machinelearningservices_execution\/Runs_StartSnapshotRun: POST http:\/\/127\.0\.0\.1:\d+\/execution\/v1\.0\/.*\/experiments\/my-exp\/snapshotrun\?runId=run_1 \{/,
    );
    expect(JSON.parse(lines[0].slice(lines[0].indexOf('{')))).toEqual({
      accept: 'application/json',
      'user-agent': expect.stringMatching(/^azureml-execution\//),
      'x-ms-client-request-id': expect.stringMatching(/^[0-9a-f-]{36}$/),
      authorization: 'REDACTED',
      'x-api-key': 'REDACTED',
    });
    expect(lines[1]).toMatch(/^<-- azure_machinelearningservices_execution\/Runs_StartSnapshotRun: 401 in \d+ ms /);
    expect(lines[2]).toMatch(/^--> azure_machinelearningservices_execution\/Runs_StartSnapshotRun: POST https:\/\/login\.microsoftonline\.com\/my-tenant\/oauth2\/v2\.0\/token /);
    expect(lines[5]).toMatch(/^<-- azure_machinelearningservices_execution\/Runs_StartSnapshotRun: 200 in \d+ ms /);
    expect(text).toContain('"www-authenticate":"Bearer error=\\"invalid_token\\""');
    for (const secret of [TOKEN, NEW_TOKEN, REFRESH, 'rotated-refresh-token', SECRET, 'custom-key-secret']) expect(text.includes(secret) ? secret : 'absent').toBe('absent');
  });

  it('redacts query values but for an allow-list, and credentials in URLs', () => {
    expect(sanitizeUrl('https://user:pw@store.example.com/logs/70_driver_log.txt?sv=2019&sig=abc%2Bdef&runId=r1&api-version=2019-09-30')).toBe(
      'https://store.example.com/logs/70_driver_log.txt?sv=REDACTED&sig=REDACTED&runId=r1&api-version=2019-09-30',
    );
    expect(sanitizeHeaders({ Authorization: 'Bearer x', Cookie: 'a=b', 'Content-Type': 'application/json', 'x-ms-request-id': 'id' })).toEqual({
      Authorization: 'REDACTED',
      Cookie: 'REDACTED',
      'Content-Type': 'application/json',
      'x-ms-request-id': 'id',
    });
    // Values a header list repeats are joined; headers without a value are left out.
    expect(sanitizeHeaders({ 'accept-ranges': ['bytes', 'none'], 'set-cookie': ['a=b'], 'content-length': 12, date: undefined, 'x-other': undefined })).toEqual({
      'accept-ranges': 'bytes, none',
      'set-cookie': 'REDACTED',
      'content-length': '12',
    });
    expect(sanitizeUrl('http://127.0.0.1:1/x')).toBe('http://127.0.0.1:1/x');
    expect(sanitizeUrl('http://u:p@127.0.0.1:1/x?runId=a&runId=b&sig=1&sig=2')).toBe('http://127.0.0.1:1/x?runId=a&runId=b&sig=REDACTED&sig=REDACTED');
    expect(sanitizeUrl('not a url?sig=secret')).toBe('REDACTED');
  });

  it('shows exactly the headers and query parameters of the allow-list, in any case', () => {
    const shown = [
      'accept',
      'accept-encoding',
      'accept-ranges',
      'cache-control',
      'connection',
      'content-encoding',
      'content-length',
      'content-range',
      'content-type',
      'date',
      'etag',
      'expires',
      'keep-alive',
      'last-modified',
      'location',
      'pragma',
      'range',
      'request-id',
      'retry-after',
      'retry-after-ms',
      'server',
      'transfer-encoding',
      'user-agent',
      'www-authenticate',
      'x-ms-client-request-id',
      'x-ms-correlation-request-id',
      'x-ms-request-id',
      'x-ms-retry-after-ms',
    ];
    const hidden = ['authorization', 'cookie', 'set-cookie', 'x-ms-authorization-auxiliary', 'proxy-authorization', 'x-api-key', 'x-functions-key'];
    const headers = Object.fromEntries([...shown, ...hidden].map((name) => [name.toUpperCase(), `v-${name}`]));
    expect(sanitizeHeaders(headers)).toEqual(Object.fromEntries([...shown.map((n) => [n.toUpperCase(), `v-${n}`]), ...hidden.map((n) => [n.toUpperCase(), 'REDACTED'])]));
    const query = ['api-version', 'runId', '$top', '$count', '$orderby', '$sortorder', 'sig', 'se', 'code', 'runid'];
    expect(sanitizeUrl(`http://h/x?${query.map((q) => `${encodeURIComponent(q)}=1`).join('&')}`)).toBe(
      'http://h/x?api-version=1&runId=1&%24top=1&%24count=1&%24orderby=1&%24sortorder=1&sig=REDACTED&se=REDACTED&code=REDACTED&runid=REDACTED',
    );
  });
});

describe('token requests go through the pipeline', () => {
  const USER_AGENT = /^azureml-execution\/\d+\.\d+\.\d+ Node\.js\//;

  it('a refresh: the user agent and a request id, and one retry after a 503', async () => {
    const seen: Array<{ userAgent: string; requestId: string }> = [];
    const record = function (this: { req: { headers: Record<string, string> } }) {
      seen.push({ userAgent: this.req.headers['user-agent'], requestId: this.req.headers['x-ms-client-request-id'] });
    };
    nock(LOGIN)
      .post('/my-tenant/oauth2/v2.0/token')
      .reply(function () {
        record.call(this as never);
        return [503, 'busy', { 'retry-after-ms': '0' }];
      })
      .post('/my-tenant/oauth2/v2.0/token')
      .reply(function () {
        record.call(this as never);
        return [200, { access_token: NEW_TOKEN, expires_in: 3600 }];
      });
    await expect(create(refreshAccount()).Runs_CancelRunWithUri(CANCEL)).resolves.toEqual({ runId: 'run_1' });
    expect(seen).toHaveLength(2);
    for (const request of seen) expect(request.userAgent).toMatch(USER_AGENT);
    expect(seen[1].requestId).toBe(seen[0].requestId);
  });

  it("msal's token request: the user agent, and one retry after a 503", async () => {
    const agents: string[] = [];
    nock(LOGIN)
      .post(/^\/sp-tenant\/oauth2\/v2\.0\/token/)
      .reply(function () {
        agents.push((this as unknown as { req: { headers: Record<string, string> } }).req.headers['user-agent']);
        return [503, { error: 'temporarily_unavailable' }, { 'retry-after-ms': '0' }];
      })
      .post(/^\/sp-tenant\/oauth2\/v2\.0\/token/)
      .reply(function () {
        agents.push((this as unknown as { req: { headers: Record<string, string> } }).req.headers['user-agent']);
        return [200, { token_type: 'Bearer', expires_in: 3599, access_token: NEW_TOKEN }];
      });
    await expect(create({ client_id: 'sp-app', client_secret: SECRET, tenant_id: 'sp-tenant', host: server.url }).Runs_CancelRunWithUri(CANCEL)).resolves.toEqual({
      runId: 'run_1',
    });
    expect(agents).toHaveLength(2);
    for (const agent of agents) expect(agent).toMatch(USER_AGENT);
  });
});
