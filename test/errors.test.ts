/**
 * What a failing call throws: ErrorResponse fields with the innerError chain, non-JSON bodies,
 * unreadable answers, connection failures, and never a secret.
 */
import nock from 'nock';
import * as net from 'net';
import { AzureMLError, AzureMLNetworkError, AzureMLResponseFormatError, AzureMLServiceError, create } from '../src';
import { BASE_PATH, TOKEN, WORKSPACE } from './helpers/fixtures';
import { expectNoSecrets } from './helpers/secrets';
import { failure } from './helpers/failure';

const HOST = 'https://eastus.api.azureml.ms';
const CANCEL_PATH = `${BASE_PATH}/runId/run_1/cancel`;
const ACCOUNT_SECRETS = { access_token: TOKEN, refresh_token: 'refresh-token-value-0123456789', client_secret: 'client-secret-value-abcdefghij' };
// Retries are the subject of reliability.test.ts: here every answer is the call's answer.
const NO_RETRY = { retry: { maxRetries: 0 } };
const cancel = () => create({ ...ACCOUNT_SECRETS, region: 'eastus' }, NO_RETRY).Runs_CancelRunWithUri({ ...WORKSPACE, runId: 'run_1' });

describe('ErrorResponse answers', () => {
  const body = {
    error: {
      code: 'UserError',
      message: 'Run run_1 is already in a terminal state.',
      target: 'runId',
      details: [{ code: 'InvalidState', message: 'Completed runs cannot be canceled', target: 'status' }],
      innerError: { code: 'BadArgument', innerError: { code: 'RunTerminal', innerError: { code: 'RunCompleted' } } },
    },
    correlation: { operation: '0f6e1c2d9a7b4e3f', request: 'a1b2c3d4e5f60718' },
    environment: 'eastus',
    location: 'eastus',
    time: '2026-11-23T10:00:00.0000000+00:00',
  };

  it('carries the code, message, target, details, innerError chain, correlation and request ids', async () => {
    nock(HOST)
      .post(CANCEL_PATH)
      .reply(400, body, { 'x-ms-request-id': 'req-123', 'x-ms-client-request-id': 'client-456', 'x-ms-correlation-request-id': 'corr-789', 'set-cookie': 'session=abc' });
    const error = (await failure(cancel())) as AzureMLServiceError;
    expect(error).toBeInstanceOf(AzureMLServiceError);
    expect(error).toBeInstanceOf(AzureMLError);
    expect(error.name).toBe('AzureMLServiceError');
    expect(error.message).toBe(
      'Action azure_machinelearningservices_execution/Runs_CancelRunWithUri failed with status code 400: UserError: Run run_1 is already in a terminal state.',
    );
    expect(error.statusCode).toBe(400);
    expect(error.body).toBe(JSON.stringify(body));
    expect(error.code).toBe('UserError');
    expect(error.serviceMessage).toBe('Run run_1 is already in a terminal state.');
    expect(error.target).toBe('runId');
    expect(error.details).toEqual(body.error.details);
    expect(error.innerError).toEqual(body.error.innerError);
    expect(error.innerErrorCodes).toEqual(['BadArgument', 'RunTerminal', 'RunCompleted']);
    expect(error.deepestCode).toBe('RunCompleted');
    expect(error.correlation).toEqual(body.correlation);
    expect(error.errorResponse).toEqual(body);
    expect(error.action).toBe('azure_machinelearningservices_execution/Runs_CancelRunWithUri');
    expect(error.requestId).toBe('req-123');
    expect(error.clientRequestId).toBe('client-456');
    expect(error.correlationRequestId).toBe('corr-789');
    expect(error.responseHeaders).toEqual({
      'content-type': 'application/json',
      'x-ms-request-id': 'req-123',
      'x-ms-client-request-id': 'client-456',
      'x-ms-correlation-request-id': 'corr-789',
    });
    expectNoSecrets(error, Object.values(ACCOUNT_SECRETS));
  });

  it('serializes to JSON with its fields (for logs and datafire serve)', async () => {
    nock(HOST)
      .post(CANCEL_PATH)
      .reply(404, { error: { code: 'UserError', message: 'Run not found' } });
    const error = await failure(cancel());
    expect(JSON.parse(JSON.stringify(error))).toEqual({
      name: 'AzureMLServiceError',
      message: 'Action azure_machinelearningservices_execution/Runs_CancelRunWithUri failed with status code 404: UserError: Run not found',
      action: 'azure_machinelearningservices_execution/Runs_CancelRunWithUri',
      statusCode: 404,
      body: '{"error":{"code":"UserError","message":"Run not found"}}',
      code: 'UserError',
      serviceMessage: 'Run not found',
      innerErrorCodes: [],
      errorResponse: { error: { code: 'UserError', message: 'Run not found' } },
      responseHeaders: { 'content-type': 'application/json' },
      attempts: 1,
    });
  });

  it('uses the message alone when the service gives no code', async () => {
    nock(HOST)
      .post(CANCEL_PATH)
      .reply(500, { error: { message: 'Something broke' } });
    expect((await failure(cancel())).message).toBe('Action azure_machinelearningservices_execution/Runs_CancelRunWithUri failed with status code 500: Something broke');
  });
});

describe('answers that are not ErrorResponse', () => {
  it('gives the same error class for an HTML 502 from a proxy, with its title', async () => {
    const html =
      '<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n<center><h1>502 Bad Gateway</h1></center>\r\n<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n';
    nock(HOST).post(CANCEL_PATH).reply(502, html, { 'content-type': 'text/html' });
    const error = (await failure(cancel())) as AzureMLServiceError;
    expect(error).toBeInstanceOf(AzureMLServiceError);
    expect(error.message).toBe('Action azure_machinelearningservices_execution/Runs_CancelRunWithUri failed with status code 502: 502 Bad Gateway');
    expect(error.statusCode).toBe(502);
    expect(error.body).toBe(html);
    expect(error.code).toBeUndefined();
    expect(error.innerErrorCodes).toEqual([]);
  });

  it('gives the status text for an empty body, and plain text as it is', async () => {
    nock(HOST).post(CANCEL_PATH).reply(503, '');
    expect((await failure(cancel())).message).toBe('Action azure_machinelearningservices_execution/Runs_CancelRunWithUri failed with status code 503: Service Unavailable');
    nock(HOST).post(CANCEL_PATH).reply(429, 'Too many requests,\n slow down', { 'content-type': 'text/plain', 'retry-after': '7' });
    const error = (await failure(cancel())) as AzureMLServiceError;
    expect(error.message).toBe('Action azure_machinelearningservices_execution/Runs_CancelRunWithUri failed with status code 429: Too many requests, slow down');
    expect(error.responseHeaders['retry-after']).toBe('7');
  });

  it('says so when a 200 is not JSON or misses runId', async () => {
    nock(HOST).post(CANCEL_PATH).reply(200, '{"runId": "run_', { 'content-type': 'application/json' });
    const truncated = (await failure(cancel())) as AzureMLResponseFormatError;
    expect(truncated).toBeInstanceOf(AzureMLResponseFormatError);
    expect(truncated.message).toBe(
      'Action azure_machinelearningservices_execution/Runs_CancelRunWithUri got an answer it cannot read (status code 200): the body is not JSON (Unterminated string in JSON at position 15)',
    );
    expect(truncated.body).toBe('{"runId": "run_');
    nock(HOST).post(CANCEL_PATH).reply(200, { id: 'run_1' });
    expect((await failure(cancel())).message).toBe(
      "Action azure_machinelearningservices_execution/Runs_CancelRunWithUri got an answer it cannot read (status code 200): it does not match the operation's output schema: runId is required",
    );
  });

  it('does not follow redirects', async () => {
    nock(HOST).post(CANCEL_PATH).reply(307, '', { location: 'https://elsewhere.example/cancel' });
    const error = (await failure(cancel())) as AzureMLServiceError;
    expect(error.statusCode).toBe(307);
    expect(error.message).toBe('Action azure_machinelearningservices_execution/Runs_CancelRunWithUri failed with status code 307: Temporary Redirect');
  });
});

describe('no answer', () => {
  it('names the action and the host when the connection is refused', async () => {
    // A port that was just free: nothing listens there.
    const port = await new Promise<number>((resolve) => {
      const probe = net.createServer().listen(0, '127.0.0.1', () => {
        const { port: p } = probe.address() as net.AddressInfo;
        probe.close(() => resolve(p));
      });
    });
    const error = (await failure(
      create({ ...ACCOUNT_SECRETS, host: `http://127.0.0.1:${port}` }, NO_RETRY).Runs_CancelRunWithUri({ ...WORKSPACE, runId: 'run_1' }),
    )) as AzureMLNetworkError;
    expect(error).toBeInstanceOf(AzureMLNetworkError);
    expect(error.message).toBe(
      `Action azure_machinelearningservices_execution/Runs_CancelRunWithUri failed: no answer from http://127.0.0.1:${port} (connect ECONNREFUSED 127.0.0.1:${port})`,
    );
    expect(error.code).toBe('ECONNREFUSED');
    expect(error.host).toBe(`http://127.0.0.1:${port}`);
    expectNoSecrets(error, Object.values(ACCOUNT_SECRETS));
  });

  it('holds no secret when the connection is dropped after the request was sent', async () => {
    // A server that reads the request and closes the socket without a word: "socket hang up".
    const server = net.createServer((socket) => socket.once('data', () => socket.destroy()));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as net.AddressInfo;
    try {
      const error = (await failure(
        create({ ...ACCOUNT_SECRETS, host: `http://127.0.0.1:${port}` }, NO_RETRY).Runs_CancelRunWithUri({ ...WORKSPACE, runId: 'run_1' }),
      )) as AzureMLNetworkError;
      expect(error.message).toBe(`Action azure_machinelearningservices_execution/Runs_CancelRunWithUri failed: no answer from http://127.0.0.1:${port} (socket hang up)`);
      expect(error.code).toBe('ECONNRESET');
      expectNoSecrets(error, Object.values(ACCOUNT_SECRETS));
    } finally {
      server.close();
    }
  });
});
