/**
 * The service principal's token source in-process: what it hands msal-node (a stand-in here, so
 * that each of msal's answers can be chosen), what it makes of each answer and failure, and the
 * direct form POST it makes to a loopback (http) authority.
 */
import { AzureMLAuthError } from '../src';
import { servicePrincipalSource } from '../src/auth/service-principal-source';
import { REFRESH_WINDOW_MS } from '../src/auth/token-cycler';
import { startRecordingServer, type RecordingServer } from './helpers/recording-server';

const msal = { configs: [] as unknown[], requests: [] as unknown[], answer: (): Promise<unknown> => Promise.resolve(null) };
jest.mock('@azure/msal-node', () => ({
  ConfidentialClientApplication: class {
    constructor(config: unknown) {
      msal.configs.push(config);
    }
    acquireTokenByClientCredential(request: unknown) {
      msal.requests.push(request);
      return msal.answer();
    }
  },
}));

const SECRET = 'sp-secret/value+1';
const PRINCIPAL = { clientId: 'sp-app', clientSecret: SECRET, tenantId: 'sp tenant' };
const ENDPOINT = 'https://login.microsoftonline.com/sp%20tenant/oauth2/v2.0/token';
const NOW = Date.parse('2026-11-25T12:00:00Z');

let server: RecordingServer;
beforeAll(async () => {
  server = await startRecordingServer();
});
afterAll(() => server.close());
beforeEach(() => {
  msal.configs.length = 0;
  msal.requests.length = 0;
  jest.spyOn(Date, 'now').mockReturnValue(NOW);
});
afterEach(() => jest.restoreAllMocks());

const failure = async (answer: () => Promise<unknown>): Promise<AzureMLAuthError> => {
  msal.answer = answer;
  const error = await servicePrincipalSource({}, PRINCIPAL)
    .getToken({ action: 'x/Runs_StartRun' })
    .catch((e: unknown) => e);
  expect(error).toBeInstanceOf(AzureMLAuthError);
  return error as AzureMLAuthError;
};

describe('through msal-node (an https authority)', () => {
  it("gives msal the client, the secret and the tenant's authority, asks for the scope without msal's cache, and keeps the token until its expiry", async () => {
    msal.answer = () => Promise.resolve({ accessToken: 'tok-1', expiresOn: new Date(NOW + 3_600_000) });
    const source = servicePrincipalSource({ scope: 'https://ml.azure.com/.default' }, PRINCIPAL);
    expect(await source.getToken({ action: 'x/a' })).toBe('tok-1');
    expect(msal.configs).toHaveLength(1);
    expect(msal.configs[0]).toMatchObject({ auth: { clientId: 'sp-app', clientSecret: SECRET, authority: 'https://login.microsoftonline.com/sp%20tenant' } });
    expect(typeof (msal.configs[0] as { system: { networkClient: { sendPostRequestAsync: unknown } } }).system.networkClient.sendPostRequestAsync).toBe('function');
    expect(msal.requests).toEqual([{ scopes: ['https://ml.azure.com/.default'], skipCache: true }]);
    // Held until the refresh window before its expiry; then asked again, of the same msal app.
    jest.spyOn(Date, 'now').mockReturnValue(NOW + 3_600_000 - REFRESH_WINDOW_MS - 1);
    expect(await source.getToken({ action: 'x/a' })).toBe('tok-1');
    expect(msal.requests).toHaveLength(1);
    msal.answer = () => Promise.resolve({ accessToken: 'tok-2', expiresOn: null });
    jest.spyOn(Date, 'now').mockReturnValue(NOW + 3_600_000 - REFRESH_WINDOW_MS);
    expect(await source.getToken({ action: 'x/a' })).toBe('tok-2');
    expect(msal.configs).toHaveLength(1);
    // A token without an expiry is kept until a 401.
    jest.spyOn(Date, 'now').mockReturnValue(NOW + 100 * 3_600_000);
    expect(await source.getToken({ action: 'x/a' })).toBe('tok-2');
    expect(msal.requests).toHaveLength(2);
  });

  it('an answer without a token is an error', async () => {
    for (const answer of [null, {}, { accessToken: '' }]) {
      const error = await failure(() => Promise.resolve(answer));
      expect(error).toBeInstanceOf(AzureMLAuthError);
      expect(error.message).toBe(`Action x/Runs_StartRun could not get a token for the service principal: the token endpoint ${ENDPOINT} failed: msal returned no token`);
    }
  });

  it("keeps msal's code and the first line of its message, without any occurrence of the secret, typed or encoded", async () => {
    const coded = await failure(() =>
      Promise.reject({
        errorCode: 'invalid_client',
        errorMessage: `AADSTS7000215: bad ${SECRET} and ${encodeURIComponent(SECRET)} and ${SECRET}\nTrace ID: 1`,
        message: 'ignored',
      }),
    );
    expect([coded.error, coded.errorDescription]).toEqual(['invalid_client', 'AADSTS7000215: bad [REDACTED] and [REDACTED] and [REDACTED]']);
    expect((await failure(() => Promise.reject(new Error(`socket hang up near ${SECRET}\nstack`)))).errorDescription).toBe('socket hang up near [REDACTED]');
    for (const thrown of [{}, null, undefined]) {
      const error = await failure(() => Promise.reject(thrown));
      expect([error.error, error.errorDescription]).toEqual([undefined, 'unknown error']);
    }
  });
});

describe('straight to a loopback (http) authority', () => {
  it('posts the client credentials form, and keeps the token for expires_in seconds', async () => {
    server.reply({ status: 200, body: { access_token: 'direct-1', expires_in: 3600 } });
    const source = servicePrincipalSource({ authority_host: server.url }, PRINCIPAL);
    const before = server.requests.length;
    expect(await source.getToken({ action: 'x/a' })).toBe('direct-1');
    const request = server.requests.at(-1)!;
    expect([request.method, request.url]).toEqual(['POST', '/sp%20tenant/oauth2/v2.0/token']);
    expect(Object.fromEntries(new URLSearchParams(request.body.toString()))).toEqual({
      grant_type: 'client_credentials',
      client_id: 'sp-app',
      client_secret: SECRET,
      scope: 'https://management.azure.com/.default',
    });
    jest.spyOn(Date, 'now').mockReturnValue(NOW + 3_600_000 - REFRESH_WINDOW_MS - 1);
    expect(await source.getToken({ action: 'x/a' })).toBe('direct-1');
    expect(server.requests.length - before).toBe(1);
    expect(msal.configs).toHaveLength(0);
  });

  it('names what it was doing and the action when the endpoint refuses, and renews after a 401 of its token', async () => {
    server.reply({ status: 401, body: { error: 'invalid_client' } });
    const source = servicePrincipalSource({ authority_host: server.url }, PRINCIPAL);
    const error = (await source.getToken({ action: 'x/Runs_StartRun' }).catch((e: unknown) => e)) as AzureMLAuthError;
    expect(error.message).toBe(
      `Action x/Runs_StartRun could not get a token for the service principal: the token endpoint ${server.url}/sp%20tenant/oauth2/v2.0/token answered 401: invalid_client`,
    );
    server.reply({ status: 200, body: { access_token: 'direct-2' } }, { status: 200, body: { access_token: 'direct-3' } });
    expect(await source.getToken({ action: 'x/a' })).toBe('direct-2');
    expect(await source.onUnauthorized!({ action: 'x/a', rejectedToken: 'direct-2' })).toBe('direct-3');
  });
});
