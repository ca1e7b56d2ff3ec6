/**
 * Range reads of links alone, over a scripted pipeline: the exact request, what each answer
 * (206, 416, a 200 that ignored Range, an error) becomes, the emulator's long-poll offer, and
 * where streamed pieces land in the file, attempt by attempt.
 */
import { AzureMLResponseFormatError, AzureMLServiceError } from '../src';
import { fetchFromByte, fetchRangeInto, LOG_WAIT_HEADER } from '../src/http/fetch-range';
import type { PipelineRequest, PipelineResponse, SendRequest } from '../src/http/pipeline';
import { failure } from './helpers/failure';

const URL_ = 'http://127.0.0.1:1/logs/azureml/driver.txt?sv=1&sig=abc';

interface Scripted {
  status: number;
  headers?: PipelineResponse['headers'];
  /** The body, in the chunks a sink gets; read whole when there is no sink. */
  chunks?: string[];
}

/** A pipeline that answers each attempt from the script, and records what it was asked. */
function scripted(...attempts: Scripted[]): { send: SendRequest; asked: PipelineRequest[] } {
  const asked: PipelineRequest[] = [];
  const send: SendRequest = async (request) => {
    asked.push(request);
    let answer!: PipelineResponse;
    for (const { status, headers = {}, chunks = [] } of attempts) {
      const sink = status < 300 ? request.responseSink?.(status) : undefined;
      if (sink) for (const chunk of chunks) await sink(Buffer.from(chunk));
      answer = { status, headers, body: sink ? Buffer.alloc(0) : Buffer.from(chunks.join('')), request };
    }
    return answer;
  };
  return { send, asked };
}

describe('fetchFromByte', () => {
  it('asks for a bounded range, without a token, capped at the range, with a timeout per attempt', async () => {
    const { send, asked } = scripted({ status: 206, headers: { 'content-range': 'bytes 10-19/100' }, chunks: ['0123456789'] });
    const signal = new AbortController().signal;
    expect(await fetchFromByte(send, URL_, 10, 'test/log', signal, 10)).toEqual({ data: Buffer.from('0123456789'), totalSize: 100 });
    expect(asked).toEqual([
      {
        method: 'get',
        url: URL_,
        headers: { range: 'bytes=10-19' },
        responseType: 'buffer',
        action: 'test/log',
        baseUrl: 'http://127.0.0.1:1',
        signal,
        timeoutMs: 120_000,
        maxResponseBytes: 10,
        maxResponseSetting: 'maxBytes (the server ignored Range)',
      },
    ]);
  });

  it('adds the wait to the link only when asked to wait', async () => {
    const { send, asked } = scripted({ status: 206, chunks: ['x'] });
    await fetchFromByte(send, URL_, 0, 'test/log', undefined, 10, 25);
    await fetchFromByte(send, URL_, 0, 'test/log', undefined, 10, 0);
    await fetchFromByte(send, URL_, 0, 'test/log');
    expect(asked.map((r) => [r.url, r.headers.range])).toEqual([
      [`${URL_}&wait=25`, 'bytes=0-9'],
      [URL_, 'bytes=0-9'],
      [URL_, `bytes=0-${8 * 1024 * 1024 - 1}`],
    ]);
  });

  it('reads the total size from Content-Range and the long-poll offer from its header, when they are whole numbers', async () => {
    const read = async (headers: PipelineResponse['headers']) => fetchFromByte(scripted({ status: 206, headers, chunks: ['x'] }).send, URL_, 0, 'test/log');
    expect(await read({ 'content-range': 'bytes 0-0/7', [LOG_WAIT_HEADER]: '30' })).toEqual({ data: Buffer.from('x'), totalSize: 7, maxWaitSeconds: 30 });
    for (const offer of ['0', '-1', '1.5', 'soon']) expect(await read({ [LOG_WAIT_HEADER]: offer })).toEqual({ data: Buffer.from('x'), totalSize: undefined });
    for (const range of ['bytes 0-0/*', 'bytes 0-0/7x', '']) expect((await read({ 'content-range': range })).totalSize).toBeUndefined();
    expect(LOG_WAIT_HEADER).toBe('x-azureml-emulator-log-wait');
  });

  it('reads nothing new at the end of the file (416), keeping the size and the offer', async () => {
    const { send } = scripted({ status: 416, headers: { 'content-range': 'bytes */42', [LOG_WAIT_HEADER]: '20' }, chunks: ['ignored'] });
    expect(await fetchFromByte(send, URL_, 42, 'test/log')).toEqual({ data: Buffer.alloc(0), totalSize: 42, maxWaitSeconds: 20 });
  });

  it('keeps only the new part, one piece of it, of a whole file sent by a server that ignored Range', async () => {
    const whole = (from: number, max: number) =>
      fetchFromByte(scripted({ status: 200, headers: { [LOG_WAIT_HEADER]: '5' }, chunks: ['abcdefghij'] }).send, URL_, from, 'test/log', undefined, max);
    expect(await whole(3, 4)).toEqual({ data: Buffer.from('defg'), totalSize: 10, maxWaitSeconds: 5 });
    expect(await whole(8, 4)).toEqual({ data: Buffer.from('ij'), totalSize: 10, maxWaitSeconds: 5 });
    expect(await whole(20, 4)).toEqual({ data: Buffer.alloc(0), totalSize: 10, maxWaitSeconds: 5 });
  });

  it("turns any other answer into the service's error", async () => {
    const error = (await failure(
      fetchFromByte(scripted({ status: 403, chunks: ['{"error":{"code":"AuthenticationFailed","message":"Signature expired"}}'] }).send, URL_, 0, 'test/log'),
    )) as AzureMLServiceError;
    expect(error).toBeInstanceOf(AzureMLServiceError);
    expect([error.message, error.code]).toEqual(['Action test/log failed with status code 403: AuthenticationFailed: Signature expired', 'AuthenticationFailed']);
  });
});

describe('fetchRangeInto', () => {
  it('writes each piece at its place in the file as it comes, and counts them', async () => {
    const writes: Array<[string, number]> = [];
    const write = async (chunk: Buffer, position: number) => void writes.push([chunk.toString(), position]);
    const { send, asked } = scripted({ status: 206, headers: { 'content-range': 'bytes 10-14/100' }, chunks: ['abc', 'de'] });
    expect(await fetchRangeInto(send, URL_, 10, 5, 'test/download', write)).toEqual({ bytes: 5, totalSize: 100 });
    expect(writes).toEqual([
      ['abc', 10],
      ['de', 13],
    ]);
    expect([asked[0].headers, asked[0].maxResponseBytes, asked[0].maxResponseSetting]).toEqual([{ range: 'bytes=10-14' }, 5, 'pieceBytes (the server ignored Range)']);
  });

  it('starts again from the first byte in each attempt, and counts only the last attempt', async () => {
    const writes: Array<[string, number]> = [];
    const { send } = scripted({ status: 206, chunks: ['ab'] }, { status: 206, headers: { 'content-range': 'bytes 4-8/9' }, chunks: ['abc', 'de'] });
    expect(await fetchRangeInto(send, URL_, 4, 5, 'test/download', async (c, p) => void writes.push([c.toString(), p]))).toEqual({ bytes: 5, totalSize: 9 });
    expect(writes).toEqual([
      ['ab', 4],
      ['abc', 4],
      ['de', 7],
    ]);
  });

  it('takes a whole file from a server that ignored Range only when reading from the start', async () => {
    const writes: Array<[string, number]> = [];
    const write = async (chunk: Buffer, position: number) => void writes.push([chunk.toString(), position]);
    expect(await fetchRangeInto(scripted({ status: 200, chunks: ['whole', 'file'] }).send, URL_, 0, 100, 'test/download', write)).toEqual({ bytes: 9, totalSize: 9 });
    writes.length = 0;
    const error = await failure(fetchRangeInto(scripted({ status: 200, chunks: ['whole', 'file'] }).send, URL_, 5, 100, 'test/download', write));
    expect(error).toBeInstanceOf(AzureMLResponseFormatError);
    expect(error.message).toBe('Action test/download got an answer it cannot read (status code 200): the server ignored Range: it sent the file from its start, not from byte 5');
    expect((error as AzureMLResponseFormatError).body).toBe('');
    expect(writes).toEqual([]);
  });

  it('writes nothing past the end (416), and turns any other answer into the service error', async () => {
    const write = jest.fn(async () => undefined);
    expect(await fetchRangeInto(scripted({ status: 416, headers: { 'content-range': 'bytes */9' } }).send, URL_, 9, 5, 'test/download', write)).toEqual({ bytes: 0, totalSize: 9 });
    const error = (await failure(fetchRangeInto(scripted({ status: 404, chunks: ['gone'] }).send, URL_, 0, 5, 'test/download', write))) as AzureMLServiceError;
    expect([error.constructor, error.statusCode, error.body]).toEqual([AzureMLServiceError, 404, 'gone']);
    expect(write).not.toHaveBeenCalled();
  });
});
