/**
 * The small policies alone, over a scripted `next`: request id, user agent, bearer token, logging,
 * and which logger the standard pipeline picks.
 */
import * as fs from 'fs';
import type { PipelinePolicy, PipelineRequest, PipelineResponse } from '../src/http/pipeline';
import { bearerTokenPolicy } from '../src/http/policies/bearer-token';
import { clientRequestIdPolicy } from '../src/http/policies/client-request-id';
import { loggingPolicy } from '../src/http/policies/logging';
import { retryPolicy } from '../src/http/policies/retry';
import { userAgentPolicy } from '../src/http/policies/user-agent';
import { standardPipeline } from '../src/http/standard-pipeline';
import type { TokenSource } from '../src/auth/token-source';

function request(extra: Partial<PipelineRequest> = {}): PipelineRequest {
  return { method: 'post', url: 'http://127.0.0.1:1/x?sig=abc', headers: {}, responseType: 'buffer', action: 'test/Policies', baseUrl: 'http://127.0.0.1:1', ...extra };
}

function answer(status: number, req: PipelineRequest, headers: PipelineResponse['headers'] = {}): PipelineResponse {
  return { status, headers, body: Buffer.alloc(0), request: req };
}

it('names each policy, as a pipeline of its own lists them', () => {
  const tokens: TokenSource = { getToken: async () => 't' };
  const policies: PipelinePolicy[] = [clientRequestIdPolicy(), userAgentPolicy(), retryPolicy(), bearerTokenPolicy(tokens), loggingPolicy(() => undefined)];
  expect(policies.map((p) => p.name)).toEqual(['clientRequestId', 'userAgent', 'retry', 'bearerToken', 'logging']);
});

describe('clientRequestIdPolicy', () => {
  it("sets a new UUID per call, and keeps one the caller set (every attempt of a call keeps the call's)", async () => {
    const seen: string[] = [];
    const policy = clientRequestIdPolicy();
    const next = async (req: PipelineRequest) => (seen.push(req.headers['x-ms-client-request-id']), answer(200, req));
    await policy.sendRequest(request(), next);
    await policy.sendRequest(request(), next);
    await policy.sendRequest(request({ headers: { 'x-ms-client-request-id': 'mine' } }), next);
    expect(seen[0]).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(seen[1]).not.toBe(seen[0]);
    expect(seen[2]).toBe('mine');
  });
});

describe('userAgentPolicy', () => {
  it("puts the caller's prefix first, and reads package.json once at most", async () => {
    const own = `azureml-execution/${(JSON.parse(fs.readFileSync('package.json', 'utf8')) as { version: string }).version} Node.js/${process.version} (${process.platform}; ${process.arch})`;
    // The module object itself (the policy's \`fs\` reads through to it), not this file's import of it.
    const reads = jest.spyOn(require('fs') as typeof fs, 'readFileSync');
    try {
      const seen: string[] = [];
      const next = async (req: PipelineRequest) => (seen.push(req.headers['user-agent']), answer(200, req));
      await userAgentPolicy().sendRequest(request(), next);
      await userAgentPolicy('my-flow/1.2').sendRequest(request(), next);
      await userAgentPolicy().sendRequest(request(), next);
      expect(seen).toEqual([own, `my-flow/1.2 ${own}`, own]);
      expect(reads.mock.calls.filter(([file]) => String(file).endsWith('package.json')).length).toBeLessThanOrEqual(1);
    } finally {
      reads.mockRestore();
    }
  });
});

describe('bearerTokenPolicy', () => {
  const first = 'first-token-value-0001';
  const renewed = 'renewed/token+value=02';

  function source(onUnauthorized?: TokenSource['onUnauthorized']): TokenSource {
    return { getToken: async () => first, ...(onUnauthorized ? { onUnauthorized } : {}) };
  }

  it('adds every form of the token to the secrets the request already had, or starts them', async () => {
    const bare = request();
    await bearerTokenPolicy(source()).sendRequest(bare, async (req) => answer(200, req));
    expect(bare.headers.authorization).toBe(`Bearer ${first}`);
    expect(bare.secrets!()).toEqual([first]);

    const withOwn = request({ secrets: () => ['the-client-secret'] });
    await bearerTokenPolicy(source(async () => renewed)).sendRequest(withOwn, async (req) => answer(req.headers.authorization === `Bearer ${first}` ? 401 : 200, req));
    expect(withOwn.headers.authorization).toBe(`Bearer ${renewed}`);
    // The caller's, then the tokens sent (longest form first; URL- and form-encoding agree here).
    expect(withOwn.secrets!()).toEqual(['the-client-secret', 'renewed%2Ftoken%2Bvalue%3D02', renewed, first]);
  });

  it('sends once more after a 401 only with a renewed token and a body that can be built again, and marks a second 401', async () => {
    let calls = 0;
    const always401 = async (req: PipelineRequest) => (calls++, answer(401, req));

    const none = await bearerTokenPolicy(source(async () => undefined)).sendRequest(request(), always401);
    expect([calls, 'afterTokenRefresh' in none]).toEqual([1, false]);

    calls = 0;
    const oneShot = { replayable: false, notReplayableReason: 'a stream', create: async () => ({ data: Buffer.alloc(0), headers: {} }) };
    await bearerTokenPolicy(source(async () => renewed)).sendRequest(request({ body: oneShot }), always401);
    expect(calls).toBe(1);

    calls = 0;
    const twice = await bearerTokenPolicy(source(async () => renewed)).sendRequest(request(), always401);
    expect([calls, twice.afterTokenRefresh]).toEqual([2, true]);

    calls = 0;
    const fixed = await bearerTokenPolicy(source(async () => renewed)).sendRequest(request(), async (req) => (calls++, answer(calls === 1 ? 401 : 200, req)));
    expect([calls, fixed.status, 'afterTokenRefresh' in fixed]).toEqual([2, 200, false]);
  });
});

describe('loggingPolicy', () => {
  it('logs each request and its answer or failure, with the time taken, sanitized', async () => {
    const lines: string[] = [];
    const now = jest.spyOn(Date, 'now');
    try {
      now.mockReturnValueOnce(1000).mockReturnValueOnce(1250);
      const req = request({ headers: { authorization: 'Bearer secret-token', 'content-type': 'application/json' } });
      await loggingPolicy((line) => lines.push(line)).sendRequest(req, async () => answer(202, req, { 'x-ms-request-id': 'r1', 'set-cookie': ['a=b'] }));
      now.mockReturnValueOnce(2000).mockReturnValueOnce(2400);
      const dropped = new Error('socket hang up');
      await expect(loggingPolicy((line) => lines.push(line)).sendRequest(req, async () => Promise.reject(dropped))).rejects.toBe(dropped);
    } finally {
      now.mockRestore();
    }
    expect(lines).toEqual([
      '--> test/Policies: POST http://127.0.0.1:1/x?sig=REDACTED {"authorization":"REDACTED","content-type":"application/json"}',
      '<-- test/Policies: 202 in 250 ms {"x-ms-request-id":"r1","set-cookie":"REDACTED"}',
      '--> test/Policies: POST http://127.0.0.1:1/x?sig=REDACTED {"authorization":"REDACTED","content-type":"application/json"}',
      '<-- test/Policies: no answer after 400 ms: socket hang up',
    ]);
  });
});

describe('the logger of DEBUG', () => {
  const saved = process.env.DEBUG;
  afterEach(() => {
    if (saved === undefined) delete process.env.DEBUG;
    else process.env.DEBUG = saved;
    (require('debug') as typeof import('debug')).enable(saved ?? '');
  });

  /**
   * What the standard pipeline logs to stderr for one call with DEBUG set to `setting`. `debug`
   * reads DEBUG when it is loaded: it is told the new setting, as it would have read it.
   */
  async function logged(setting: string | undefined, logger?: null): Promise<string> {
    if (setting === undefined) delete process.env.DEBUG;
    else process.env.DEBUG = setting;
    (require('debug') as typeof import('debug')).enable(setting ?? '');
    const written: string[] = [];
    const stderr = jest.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => (written.push(String(chunk)), true));
    try {
      const send = standardPipeline({ logger, transport: async (req) => answer(204, req) });
      await send(request());
    } finally {
      stderr.mockRestore();
    }
    return written.join('');
  }

  it('logs through `debug` when DEBUG names the package or everything, and not when it does not', async () => {
    expect(await logged('azureml-execution')).toContain('azureml-execution --> test/Policies: POST http://127.0.0.1:1/x?sig=REDACTED');
    expect(await logged('*')).toContain('azureml-execution <-- test/Policies: 204 in');
    expect(await logged(undefined)).toBe('');
    expect(await logged('')).toBe('');
    expect(await logged('other-package')).toBe('');
    // Named, but switched off by debug's own syntax.
    expect(await logged('*,-azureml-execution')).toBe('');
  });

  it('logs nothing when the caller turned logging off, whatever DEBUG says', async () => {
    expect(await logged('azureml-execution', null)).toBe('');
  });
});
