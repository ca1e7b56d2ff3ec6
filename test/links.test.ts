/**
 * Requests that do not go to the service (log file links, webhooks) go through a pipeline too:
 * the package's user agent, a request id, retries and logging, and never the bearer token.
 */
import { create } from '../src';
import { workflowAction } from '../src/datafire/workflow-actions';
import { standardPipeline } from '../src/http/standard-pipeline';
import { sanitizeUrl } from '../src/http/sanitizer';
import { fetchFromByte } from '../src/http/fetch-range';
import { startRecordingServer, type RecordingServer } from './helpers/recording-server';

let server: RecordingServer;
beforeEach(async () => {
  server = await startRecordingServer();
});
afterEach(() => server.close());

const USER_AGENT = /^azureml-execution\/\d+\.\d+\.\d+ Node\.js\/v\d+/;

describe('a log link', () => {
  it('is read with the user agent and a request id, retried after a 503, and never sent the token', async () => {
    server.reply({ status: 503, headers: { 'retry-after-ms': '0' } }, { status: 206, headers: { 'content-range': 'bytes 0-4/5' }, body: 'hello' });
    const logs: string[] = [];
    const send = standardPipeline({ logger: (line) => logs.push(line) });
    const read = await fetchFromByte(send, `${server.url}/logs/driver.txt?sig=SECRETSIG`, 0, 'x/getRunLog', undefined, 1024);
    expect(read).toEqual({ data: Buffer.from('hello'), totalSize: 5 });
    expect(server.requests.map((r) => [r.method, r.url, r.headers.range, r.headers.authorization])).toEqual([
      ['GET', '/logs/driver.txt?sig=SECRETSIG', 'bytes=0-1023', undefined],
      ['GET', '/logs/driver.txt?sig=SECRETSIG', 'bytes=0-1023', undefined],
    ]);
    for (const request of server.requests) expect(request.headers['user-agent']).toMatch(USER_AGENT);
    // One request id for both attempts of the call.
    expect(server.requests[0].headers['x-ms-client-request-id']).toMatch(/^[0-9a-f-]{36}$/);
    expect(server.requests[1].headers['x-ms-client-request-id']).toBe(server.requests[0].headers['x-ms-client-request-id']);
    expect(logs.join('\n')).not.toContain('SECRETSIG');
    expect(logs.filter((line) => line.startsWith('-->'))).toHaveLength(2);
  });

  it("is read by getRunLog through the client's link pipeline: its user agent prefix, no Authorization", async () => {
    const where = { subscriptionId: '6a8bd9bb-1df3-4bca-9b24-27a7f3e5b9e7', resourceGroupName: 'rg', workspaceName: 'ws', experimentName: 'links' };
    server.reply((request) =>
      request.url.startsWith('/log')
        ? { status: 206, headers: { 'content-range': 'bytes 0-2/3' }, body: 'ok\n' }
        : { status: 200, body: { runId: 'r1', status: 'Running', logFiles: { 'azureml-logs/70_driver_log.txt': `${server.url}/log?sv=1&sig=LOGSIG` } } },
    );
    const client = create({ access_token: 'link-token-123', host: server.url }, { userAgentPrefix: 'my-flow/1.0', workspace: where });
    const log = await client.getRunLog('r1');
    expect(log).toEqual({ runId: 'r1', name: 'azureml-logs/70_driver_log.txt', log: 'ok\n', fromByte: 0, nextByte: 3, totalBytes: 3, status: 'Running' });
    const [details, link] = server.requests;
    expect(details.headers.authorization).toBe('Bearer link-token-123');
    expect(link.url).toBe('/log?sv=1&sig=LOGSIG');
    expect(link.headers.authorization).toBeUndefined();
    expect(link.headers['user-agent']).toMatch(/^my-flow\/1\.0 azureml-execution\//);
    expect(server.requests).toHaveLength(2);
  });
});

describe('the report webhook', () => {
  it('is posted through the link pipeline: user agent, request id, a retry after a 503', async () => {
    server.reply({ status: 503, headers: { 'retry-after-ms': '0' } }, { status: 200, body: 'ok' });
    const run = { runId: 'r1', experimentName: 'e', status: 'Completed', durationSeconds: 2 };
    const result = await workflowAction('reportRun').run(run, { variables: { reportWebhook: `${server.url}/services/T000/B000/HOOKSECRET` } });
    expect(result).toEqual({ message: 'Run r1 of experiment e ended Completed after 2.0 s', webhookStatus: 200 });
    expect(server.requests).toHaveLength(2);
    const [first, second] = server.requests;
    expect([second.method, second.url, second.headers['content-type']]).toEqual(['POST', '/services/T000/B000/HOOKSECRET', 'application/json']);
    expect(JSON.parse(second.body.toString())).toEqual({ text: 'Run r1 of experiment e ended Completed after 2.0 s', run });
    expect(second.headers['user-agent']).toMatch(USER_AGENT);
    expect(second.headers['x-ms-client-request-id']).toBe(first.headers['x-ms-client-request-id']);
  });

  it('names the setting, not the URL, when the webhook is not an http(s) URL', async () => {
    const run = { runId: 'r1', experimentName: 'e', status: 'Failed' };
    await expect(workflowAction('reportRun').run(run, { variables: { reportWebhook: 'ftp://x/secret-path' } })).rejects.toThrow(
      'Action azureml-execution/reportRun was given invalid input: variables.reportWebhook must be an http or https URL',
    );
  });

  it('shows only the origin of a URL whose path is its secret, in logs', () => {
    expect(sanitizeUrl('https://hooks.slack.com/services/T000/B000/HOOKSECRET?x=1', true)).toBe('https://hooks.slack.com/REDACTED');
    expect(sanitizeUrl('https://hooks.slack.com/services/T000?x=1')).toBe('https://hooks.slack.com/services/T000?x=REDACTED');
  });
});
