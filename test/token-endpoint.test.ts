/**
 * The token endpoint in-process: where it is for each account shape, the exact form POST, and the
 * exact AzureMLAuthError for each way an answer can fail.
 */
import { AzureMLAuthError } from '../src';
import { authorityHost, requestToken, scopeOf, tokenEndpoint } from '../src/auth/token-endpoint';
import { startRecordingServer, type RecordingServer } from './helpers/recording-server';

let server: RecordingServer;
beforeAll(async () => {
  server = await startRecordingServer();
});
afterAll(() => server.close());

const ACTION = 'azure_machinelearningservices_execution/Runs_StartRun';
const slept: number[] = [];
/** The retry's wait is recorded, not waited. */
const context = { action: ACTION, doing: 'refresh the access token', sleep: async (ms: number) => void slept.push(ms) };

describe('where the token endpoint is', () => {
  const saved = process.env.AZURE_AUTHORITY_HOST;
  afterEach(() => {
    if (saved === undefined) delete process.env.AZURE_AUTHORITY_HOST;
    else process.env.AZURE_AUTHORITY_HOST = saved;
  });

  it("is refresh_url when the account has one, else the authority's v2 endpoint of the tenant (common when none)", () => {
    delete process.env.AZURE_AUTHORITY_HOST;
    expect(tokenEndpoint({ refresh_url: 'https://login.example/t/token?x=1' })).toBe('https://login.example/t/token?x=1');
    expect(tokenEndpoint({ refresh_url: '', tenant_id: 'contoso' })).toBe('https://login.microsoftonline.com/contoso/oauth2/v2.0/token');
    expect(tokenEndpoint({ tenant_id: 'a b/c' })).toBe('https://login.microsoftonline.com/a%20b%2Fc/oauth2/v2.0/token');
    expect(tokenEndpoint({})).toBe('https://login.microsoftonline.com/common/oauth2/v2.0/token');
    expect(tokenEndpoint({ tenant_id: '' })).toBe('https://login.microsoftonline.com/common/oauth2/v2.0/token');
    expect(tokenEndpoint({ tenant_id: 42 as never, refresh_url: 7 as never })).toBe('https://login.microsoftonline.com/common/oauth2/v2.0/token');
  });

  it("takes the account's authority_host first, then AZURE_AUTHORITY_HOST, and names which one is wrong", () => {
    process.env.AZURE_AUTHORITY_HOST = 'https://login.chinacloudapi.cn/';
    expect(authorityHost({})).toBe('https://login.chinacloudapi.cn');
    expect(authorityHost({ authority_host: 'https://login.microsoftonline.us//' })).toBe('https://login.microsoftonline.us');
    expect(authorityHost({ authority_host: 5 as never })).toBe('https://login.chinacloudapi.cn');
    expect(() => authorityHost({ authority_host: 'ftp://x' })).toThrow(`The azure_machinelearningservices_execution account's authority_host must use https (got "ftp:")`);
    process.env.AZURE_AUTHORITY_HOST = 'ftp://y';
    expect(() => authorityHost({})).toThrow(`The azure_machinelearningservices_execution account's authority_host (from AZURE_AUTHORITY_HOST) must use https (got "ftp:")`);
    expect(() => tokenEndpoint({ refresh_url: 'ftp://z' })).toThrow(`The azure_machinelearningservices_execution account's refresh_url must use https (got "ftp:")`);
  });

  it("follows the account's national cloud (or AZURE_CLOUD) for the authority and the scope, below what the account names itself", () => {
    delete process.env.AZURE_AUTHORITY_HOST;
    const savedCloud = process.env.AZURE_CLOUD;
    try {
      delete process.env.AZURE_CLOUD;
      expect([authorityHost({}), scopeOf({})]).toEqual(['https://login.microsoftonline.com', 'https://management.azure.com/.default']);
      expect([authorityHost({ cloud: 'AzureChinaCloud' }), scopeOf({ cloud: 'AzureChinaCloud' })]).toEqual([
        'https://login.chinacloudapi.cn',
        'https://management.chinacloudapi.cn/.default',
      ]);
      process.env.AZURE_CLOUD = 'AzureUSGovernment';
      expect([authorityHost({}), scopeOf({})]).toEqual(['https://login.microsoftonline.us', 'https://management.usgovcloudapi.net/.default']);
      expect([authorityHost({ authority_host: 'https://login.example.test' }), scopeOf({ scope: 'api://x/.default' })]).toEqual(['https://login.example.test', 'api://x/.default']);
      // An unknown cloud is the base URL's error to report (it names the choices); tokens keep the defaults.
      expect([authorityHost({ cloud: 'Mars' }), scopeOf({ cloud: 'Mars' })]).toEqual(['https://login.microsoftonline.com', 'https://management.azure.com/.default']);
    } finally {
      if (savedCloud === undefined) delete process.env.AZURE_CLOUD;
      else process.env.AZURE_CLOUD = savedCloud;
    }
  });
});

describe('requestToken', () => {
  it('POSTs the form, leaving out empty and missing fields, and answers the parsed JSON as it came', async () => {
    server.reply({ status: 200, body: { access_token: 'new-access', refresh_token: 'same-refresh', expires_in: '3599', extra: 1 } });
    const answer = await requestToken(
      `${server.url}/tenant/oauth2/v2.0/token`,
      { grant_type: 'refresh_token', refresh_token: 'rt é&=', client_id: 'app', client_secret: '', scope: undefined },
      context,
    );
    expect(answer).toEqual({ access_token: 'new-access', refresh_token: 'same-refresh', expires_in: '3599', extra: 1 });
    const sent = server.requests.at(-1)!;
    expect(sent.method).toBe('POST');
    expect(sent.url).toBe('/tenant/oauth2/v2.0/token');
    expect(sent.headers['content-type']).toBe('application/x-www-form-urlencoded');
    expect(sent.headers.accept).toBe('application/json');
    expect(sent.body.toString('utf8')).toBe('grant_type=refresh_token&refresh_token=rt+%C3%A9%26%3D&client_id=app');
    expect(sent.headers['content-length']).toBe(String(sent.body.length));
  });

  const failure = async (reply: { status: number; body?: string | object }, form: Record<string, string> = {}) => {
    server.reply(reply);
    const error = await requestToken(`${server.url}/t/token`, form, context).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AzureMLAuthError);
    return error as AzureMLAuthError;
  };

  it("reports the endpoint's error and error_description", async () => {
    const error = await failure({ status: 400, body: { error: 'invalid_grant', error_description: 'AADSTS70008: The refresh token has expired' } });
    expect(error.message).toBe(
      `Action ${ACTION} could not refresh the access token: the token endpoint ${server.url}/t/token answered 400: invalid_grant: AADSTS70008: The refresh token has expired`,
    );
    expect([error.statusCode, error.error, error.errorDescription, error.tokenEndpoint]).toEqual([
      400,
      'invalid_grant',
      'AADSTS70008: The refresh token has expired',
      `${server.url}/t/token`,
    ]);
  });

  it('takes an error without a description, and a description without an error', async () => {
    expect((await failure({ status: 401, body: { error: 'invalid_client' } })).message).toMatch(/answered 401: invalid_client$/);
    const onlyDescription = await failure({ status: 400, body: { error_description: 'no such tenant', error: 12 } });
    expect(onlyDescription.message).toMatch(/answered 400: no such tenant$/);
    expect(onlyDescription.error).toBeUndefined();
  });

  it('reports a 2xx without access_token (or with one that is not a string) as such', async () => {
    expect((await failure({ status: 200, body: { token_type: 'Bearer' } })).message).toBe(
      `Action ${ACTION} could not refresh the access token: the token endpoint ${server.url}/t/token answered 200: the answer has no access_token`,
    );
    expect((await failure({ status: 200, body: { access_token: 5 } })).errorDescription).toBe('the answer has no access_token');
    expect((await failure({ status: 200, body: 'not json' })).errorDescription).toBe('the answer has no access_token');
    // Its own error fields, when a 2xx has them, are what is reported.
    expect((await failure({ status: 200, body: { error: 'temporarily_unavailable' } })).message).toMatch(/answered 200: temporarily_unavailable$/);
  });

  it("reports a failure with a body that is not JSON by the body's first 200 characters, spaces folded", async () => {
    const body = `<html>\n  <body>Bad   gateway</body>\n</html>${'x'.repeat(300)}`;
    const error = await failure({ status: 404, body });
    expect(error.errorDescription).toBe(`<html> <body>Bad gateway</body> </html>${'x'.repeat(200 - 39)}`);
    expect((await failure({ status: 404, body: ' \n ' })).message).toMatch(/answered 404: no reason given$/);
    // A 3xx is not a token either.
    expect((await failure({ status: 302, body: 'moved' })).message).toMatch(/answered 302: moved$/);
  });

  it('refuses a token from an answer that is not 2xx: 300 and 400 with an access_token in them are failures', async () => {
    expect((await failure({ status: 300, body: { access_token: 'tok', error: 'multiple_choices' } })).message).toMatch(/answered 300: multiple_choices$/);
    expect((await failure({ status: 400, body: { access_token: 'tok', error: 'invalid_request' } })).message).toMatch(/answered 400: invalid_request$/);
    server.reply({ status: 299, body: { access_token: 'tok' } });
    expect(await requestToken(`${server.url}/t/token`, {}, context)).toEqual({ access_token: 'tok' });
  });

  it('never repeats the secrets of the form in an error, whatever the endpoint echoes', async () => {
    const form = { grant_type: 'client_credentials', client_id: 'app', client_secret: 'very-secret-value', refresh_token: 'refresh-secret-value' };
    const echoed = await failure({ status: 400, body: { error: 'bad very-secret-value', error_description: 'got refresh-secret-value' } }, form);
    expect(echoed.message).not.toMatch(/very-secret-value|refresh-secret-value/);
    const before = server.requests.length;
    const raw = await failure({ status: 500, body: 'echo: very-secret-value' }, form);
    expect(raw.message).not.toContain('very-secret-value');
    // A 5xx is tried once more, no more, after a wait of about a second (with jitter).
    expect(server.requests.length - before).toBe(2);
    expect(slept.length).toBeGreaterThan(0);
    expect(slept[slept.length - 1]).toBeGreaterThanOrEqual(500);
    expect(slept[slept.length - 1]).toBeLessThanOrEqual(1500);
  });

  it('reports an endpoint that does not answer, after one retry', async () => {
    const closed = await startRecordingServer();
    const url = `${closed.url}/t/token`;
    await closed.close();
    const error = await requestToken(url, { client_secret: 'very-secret-value' }, context).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AzureMLAuthError);
    expect((error as AzureMLAuthError).message).toMatch(new RegExp(`^Action ${ACTION} could not refresh the access token: the token endpoint ${url} failed: .*ECONNREFUSED`));
    expect((error as AzureMLAuthError).statusCode).toBeUndefined();
  });
});
