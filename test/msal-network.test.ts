/**
 * msal-node's network module, on its own: what msal asks for becomes exactly this package's
 * pipeline request, and every answer (JSON, empty, not JSON, repeated headers) becomes what msal reads.
 */
import type { PipelineRequest, PipelineResponse } from '../src/http/pipeline';
import { msalNetworkClient } from '../src/auth/msal-network';

const SECRET = 'sp-secret-value/with+chars';

function recorder(answer: Partial<PipelineResponse> = {}) {
  const sent: PipelineRequest[] = [];
  const send = async (request: PipelineRequest): Promise<PipelineResponse> => {
    sent.push(request);
    return { status: 200, headers: {}, body: Buffer.from('{}'), request, ...answer };
  };
  return { sent, send };
}

test('a POST goes with its headers lower-cased, its Content-Type on the body, the action of the moment, a 30 s idle timeout and a 1 MiB cap', async () => {
  const { sent, send } = recorder({ body: Buffer.from('{"access_token":"t"}') });
  let action = 'x/first';
  const client = msalNetworkClient(send, () => action, [SECRET]);
  action = 'x/Runs_StartRun';
  const answer = await client.sendPostRequestAsync('https://login.example/tenant/oauth2/v2.0/token?x=1', {
    headers: { 'Content-Type': 'application/x-www-form-urlencoded;charset=utf-8', 'X-Client-SKU': 'msal.js.node' },
    body: 'grant_type=client_credentials',
  });
  expect(answer).toEqual({ headers: {}, body: { access_token: 't' }, status: 200 });
  const [request] = sent;
  const { body, secrets, ...rest } = request;
  expect(rest).toEqual({
    method: 'post',
    url: 'https://login.example/tenant/oauth2/v2.0/token?x=1',
    headers: { 'x-client-sku': 'msal.js.node' },
    responseType: 'buffer',
    action: 'x/Runs_StartRun',
    baseUrl: 'https://login.example',
    timeoutMs: 30000,
    maxResponseBytes: 1024 * 1024,
  });
  const built = await body!.create();
  expect(built.headers).toEqual({ 'content-type': 'application/x-www-form-urlencoded;charset=utf-8', 'content-length': '29' });
  expect(built.data.toString()).toBe('grant_type=client_credentials');
  expect(secrets!()).toEqual(['sp-secret-value%2Fwith%2Bchars', 'sp-secret-value/with+chars']);
});

test('a POST without a Content-Type is a form; a GET has no body and keeps the timeout msal gives', async () => {
  const { sent, send } = recorder();
  const client = msalNetworkClient(send, () => 'x/a', []);
  await client.sendPostRequestAsync('https://login.example/t', { body: 'a=b' });
  expect((await sent[0].body!.create()).headers['content-type']).toBe('application/x-www-form-urlencoded;charset=utf-8');
  await client.sendGetRequestAsync('https://login.example/common/discovery/instance', undefined, 2500);
  expect(sent[1]).toMatchObject({ method: 'get', url: 'https://login.example/common/discovery/instance', headers: {}, timeoutMs: 2500 });
  expect(sent[1].body).toBeUndefined();
  await client.sendGetRequestAsync('https://login.example/x', {});
  expect(sent[2].timeoutMs).toBe(30000);
});

test('answers: an empty body is {}, a body that is not JSON is an invalid_response with its first 200 characters, repeated headers are joined', async () => {
  const page = `<html>${'proxy error '.repeat(40)}</html>`;
  for (const [raw, expected] of [
    ['', {}],
    [page, { error: 'invalid_response', error_description: page.slice(0, 200) }],
    ['[1,2]', [1, 2]],
  ] as const) {
    const { send } = recorder({ status: 502, body: Buffer.from(raw), headers: { 'set-cookie': ['a=1', 'b=2'], 'content-type': 'text/html', 'x-gone': undefined } });
    const answer = await msalNetworkClient(send, () => 'x/a', []).sendPostRequestAsync('https://login.example/t', { body: 'a=b' });
    expect(answer).toEqual({ status: 502, body: expected, headers: { 'set-cookie': 'a=1, b=2', 'content-type': 'text/html' } });
    expect(Object.keys(answer.headers)).toEqual(['set-cookie', 'content-type']);
  }
});
