/**
 * The retry policy alone, over a scripted `next`: which outcomes are retried, which are
 * ambiguous (may have done their work), how long it waits and what the final outcome says.
 */
import { getEventListeners } from 'events';
import { AzureMLNetworkError } from '../src';
import type { PipelineRequest, PipelineResponse } from '../src/http/pipeline';
import { isAmbiguous, retryAfterMs, retryPolicy, sleepFor } from '../src/http/policies/retry';

const REQUEST: PipelineRequest = { method: 'post', url: 'http://127.0.0.1:1/x', headers: {}, responseType: 'buffer', action: 'test/Retry', baseUrl: 'http://127.0.0.1:1' };

function response(status: number, headers: PipelineResponse['headers'] = {}): PipelineResponse {
  return { status, headers, body: Buffer.alloc(0), request: REQUEST };
}

function dropped(code?: string): AzureMLNetworkError {
  return new AzureMLNetworkError({ action: 'test/Retry', host: 'http://127.0.0.1:1', reason: `dropped (${code})`, code });
}

/** Runs the policy over these outcomes in turn; returns its outcome, the attempts and the waits. */
async function run(outcomes: Array<PipelineResponse | AzureMLNetworkError>, request: Partial<PipelineRequest> = {}, maxRetries = 3) {
  const delays: number[] = [];
  let attempts = 0;
  const policy = retryPolicy({ maxRetries, retryDelayMs: 100, maxRetryDelayMs: 1000, sleep: async (ms) => void delays.push(ms) });
  const outcome = await policy
    .sendRequest({ ...REQUEST, ...request }, async () => {
      const next = outcomes[Math.min(attempts++, outcomes.length - 1)];
      if (next instanceof AzureMLNetworkError) throw next;
      return next;
    })
    .catch((error: unknown) => error as AzureMLNetworkError);
  return { outcome, attempts, delays };
}

describe('what is retried', () => {
  it('retries 408, 429, 500, 502, 503 and 504, and no other status', async () => {
    for (const status of [408, 429, 500, 502, 503, 504]) expect([status, (await run([response(status), response(200)])).attempts]).toEqual([status, 2]);
    for (const status of [400, 401, 404, 409, 501, 505]) expect([status, (await run([response(status), response(200)])).attempts]).toEqual([status, 1]);
  });

  it('retries dropped connections by their code, and no error without one', async () => {
    for (const code of ['ECONNRESET', 'ECONNREFUSED', 'ETIMEDOUT', 'EPIPE', 'ECONNABORTED', 'EAI_AGAIN', 'ETRUNCATED', 'EBADENCODING']) {
      expect([code, (await run([dropped(code), response(200)])).attempts]).toEqual([code, 2]);
    }
    for (const code of ['ENOTFOUND', 'ECERT', undefined]) {
      const { outcome, attempts } = await run([dropped(code), response(200)]);
      expect([code, attempts, (outcome as AzureMLNetworkError).attempts]).toEqual([code, 1, 1]);
    }
  });

  it('lets errors that are not network errors through at once', async () => {
    const policy = retryPolicy({ sleep: async () => undefined });
    const own = new Error('a bug');
    await expect(policy.sendRequest(REQUEST, async () => Promise.reject(own))).rejects.toBe(own);
  });

  it('says why it gave up, and says nothing of retries when there were none', async () => {
    const { outcome, delays } = await run([response(503), dropped('ECONNRESET'), response(502)], {}, 2);
    expect([(outcome as PipelineResponse).status, (outcome as PipelineResponse).attempts, (outcome as PipelineResponse).retryNote]).toEqual([
      502,
      3,
      'gave up after 3 attempts (503, ECONNRESET, 502)',
    ]);
    expect(delays).toHaveLength(2);

    const network = (await run([dropped('ETIMEDOUT')], {}, 1)).outcome as AzureMLNetworkError;
    expect([network.message, network.attempts, network.code]).toEqual([
      'Action test/Retry failed: no answer from http://127.0.0.1:1 (dropped (ETIMEDOUT)); gave up after 2 attempts (ETIMEDOUT, ETIMEDOUT)',
      2,
      'ETIMEDOUT',
    ]);

    const once = (await run([response(404)])).outcome as PipelineResponse;
    expect([once.attempts, 'retryNote' in once]).toEqual([1, false]);
    const alone = (await run([response(503)], {}, 0)).outcome as PipelineResponse;
    expect([alone.attempts, 'retryNote' in alone]).toEqual([1, false]);
  });

  it('does not resend a body that cannot be built again', async () => {
    const body = { replayable: false, notReplayableReason: 'projectZipFile is a stream that can be read only once', create: async () => ({ data: Buffer.alloc(0), headers: {} }) };
    const { outcome, attempts } = await run([response(503), response(200)], { body });
    expect([attempts, (outcome as PipelineResponse).retryNote]).toEqual([1, 'not retried: projectZipFile is a stream that can be read only once']);
  });

  it('asks whether an ambiguous failure did its work before sending again, and never asks after a refused connection', async () => {
    const asked: string[] = [];
    const found = response(200);
    const recover = async () => (asked.push('asked'), found);
    expect((await run([response(500), response(200)], { recover })).outcome).toBe(found);
    expect(asked).toEqual(['asked']);

    asked.length = 0;
    const { outcome, attempts } = await run([dropped('ECONNREFUSED'), response(201)], { recover });
    expect([asked, attempts, (outcome as PipelineResponse).status]).toEqual([[], 2, 201]);
  });
});

describe('isAmbiguous', () => {
  it('is true when the request may have been processed', () => {
    expect([408, 500, 502, 503, 504].map((s) => isAmbiguous(response(s)))).toEqual([true, true, true, true, true]);
    expect([429, 499, 200].map((s) => isAmbiguous(response(s)))).toEqual([false, false, false]);
    expect(['ECONNRESET', 'ETIMEDOUT', 'EPIPE', undefined].map((c) => isAmbiguous(dropped(c)))).toEqual([true, true, true, true]);
    expect(['ECONNREFUSED', 'EAI_AGAIN'].map((c) => isAmbiguous(dropped(c)))).toEqual([false, false]);
  });
});

describe('retryAfterMs', () => {
  it('reads retry-after-ms, then x-ms-retry-after-ms, each alone, and skips values that are not a length of time', () => {
    expect(retryAfterMs({ 'retry-after-ms': '250' })).toBe(250);
    expect(retryAfterMs({ 'x-ms-retry-after-ms': '400' })).toBe(400);
    expect(retryAfterMs({ 'retry-after-ms': '0', 'x-ms-retry-after-ms': '400' })).toBe(0);
    expect(retryAfterMs({ 'retry-after-ms': '-5', 'x-ms-retry-after-ms': '400' })).toBe(400);
    expect(retryAfterMs({ 'retry-after-ms': 'soon', 'x-ms-retry-after-ms': '400' })).toBe(400);
    expect(retryAfterMs({ 'retry-after-ms': 'soon', 'retry-after': '3' })).toBe(3000);
    expect(retryAfterMs({})).toBeUndefined();
  });

  it('reads Retry-After as seconds, with a fraction and spaces, or as a date from now, never below 0', () => {
    expect(retryAfterMs({ 'retry-after': '2' })).toBe(2000);
    expect(retryAfterMs({ 'retry-after': ' 3 ' })).toBe(3000);
    expect(retryAfterMs({ 'retry-after': '1.25' })).toBe(1250);
    expect(retryAfterMs({ 'retry-after': ['4', '9'] })).toBe(4000);
    const now = Date.parse('Tue, 01 Dec 2026 00:00:00 GMT');
    expect(retryAfterMs({ 'retry-after': 'Tue, 01 Dec 2026 00:00:10 GMT' }, now)).toBe(10000);
    expect(retryAfterMs({ 'retry-after': 'Mon, 30 Nov 2026 00:00:00 GMT' }, now)).toBe(0);
    // Dates that begin or end with digits are dates, not seconds.
    expect(retryAfterMs({ 'retry-after': '1 Dec 2026 00:00:20 GMT' }, now)).toBe(20000);
    const local = Date.parse('2026-12-01T00:00:00');
    expect(retryAfterMs({ 'retry-after': '2026-12-01T00:00:30' }, local)).toBe(30000);
    expect(retryAfterMs({ 'retry-after': 'later' }, now)).toBeUndefined();
  });
});

describe('sleepFor', () => {
  it('waits, and leaves no listener on the signal', async () => {
    const controller = new AbortController();
    await sleepFor(1, controller.signal);
    expect(getEventListeners(controller.signal, 'abort')).toHaveLength(0);
    await sleepFor(1);
  });

  it("ends at once with the signal's reason when aborted, before or during the wait", async () => {
    const before = new AbortController();
    const reason = new Error('stop');
    before.abort(reason);
    await expect(sleepFor(60_000, before.signal)).rejects.toBe(reason);

    const during = new AbortController();
    const clearTimeoutSpy = jest.spyOn(global, 'clearTimeout');
    try {
      const sleeping = sleepFor(60_000, during.signal);
      during.abort(reason);
      await expect(sleeping).rejects.toBe(reason);
      // The 60 s timer is cleared, not left to keep the process alive.
      expect(clearTimeoutSpy).toHaveBeenCalledTimes(1);
      expect(getEventListeners(during.signal, 'abort')).toHaveLength(0);
    } finally {
      clearTimeoutSpy.mockRestore();
    }
  });
});
