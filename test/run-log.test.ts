/**
 * getRunLog and its helpers in-process: a fake Run History gives the details, a loopback server the
 * log link. What is read, where the next read starts, how a cut character is handled, and what
 * is refused.
 */
import { AzureMLServiceError } from '../src';
import type { ServiceActions, WorkflowContext } from '../src/workflow/context';
import { completeUtf8Length, DRIVER_LOG, getRunLog, readLogFrom } from '../src/workflow/run-log';
import { startRecordingServer, type RecordingServer } from './helpers/recording-server';

const RUN = { subscriptionId: '6a8bd9bb-1df3-4bca-9b24-27a7f3e5b9e7', resourceGroupName: 'rg', workspaceName: 'ws', experimentName: 'exp', runId: 'r1' };
const ACTION = 'azureml-execution/getRunLog';

let server: RecordingServer;
beforeAll(async () => {
  server = await startRecordingServer();
});
afterAll(() => server.close());

/** A context whose Runs_GetDetails answers `details` and records the options it was given. */
function withDetails(details: Record<string, unknown>) {
  const seen: Array<Record<string, unknown>> = [];
  const client = {
    Runs_GetDetails: async (input: unknown, options: Record<string, unknown>) => {
      seen.push(options);
      return details;
    },
  };
  const ctx: WorkflowContext = { client: client as unknown as ServiceActions, defaults: RUN };
  return { ctx, seen };
}

const logAt = (path = '/log') => ({ logFiles: { [DRIVER_LOG]: `${server.url}${path}?sig=x` } });
const range = (text: Buffer | string, from: number, total: number | '*') => ({
  status: 206,
  headers: { 'content-range': `bytes ${from}-${from + Buffer.byteLength(text) - 1}/${total}` },
  body: Buffer.from(text),
});

describe('completeUtf8Length', () => {
  const cut = (text: string, drop: number) => Buffer.from(text).subarray(0, Buffer.byteLength(text) - drop);
  it.each([
    ['ascii', Buffer.from('abc'), 3],
    ['empty', Buffer.alloc(0), 0],
    ['whole é', Buffer.from('aé'), 3],
    ['é cut after its lead byte', cut('aé', 1), 1],
    ['whole €', Buffer.from('a€'), 4],
    ['€ cut after 2 of 3', cut('a€', 1), 1],
    ['€ cut after 1 of 3', cut('a€', 2), 1],
    ['whole 😀', Buffer.from('a😀'), 5],
    ['😀 cut after 3 of 4', cut('a😀', 1), 1],
    ['😀 cut after 1 of 4', cut('a😀', 3), 1],
    ['a lead byte 0xc0 alone', Buffer.from([0x61, 0xc0]), 1],
    ['a lead byte 0xe0 with one more', Buffer.from([0x61, 0xe0, 0xa0]), 1],
    ['a lead byte 0xdf with its one more', Buffer.from([0x61, 0xdf, 0xbf]), 3],
    ['a lead byte 0xef with its two more', Buffer.from([0x61, 0xef, 0xbf, 0xbf]), 4],
    ['continuation bytes only', Buffer.from([0x80, 0x80]), 2],
  ])('%s', (_name, data, expected) => {
    expect(completeUtf8Length(data)).toBe(expected);
  });
});

describe('readLogFrom', () => {
  it('is empty, of size 0, while the run lists no such log or the link answers 404', async () => {
    const empty = { data: Buffer.alloc(0), totalBytes: 0 };
    const none = { ctx: withDetails({}).ctx };
    expect(await readLogFrom(none.ctx, {}, DRIVER_LOG, 0, ACTION)).toEqual(empty);
    expect(await readLogFrom(none.ctx, { logFiles: { 'other.txt': `${server.url}/o` } }, DRIVER_LOG, 0, ACTION)).toEqual(empty);
    expect(await readLogFrom(none.ctx, { logFiles: { [DRIVER_LOG]: '' } }, DRIVER_LOG, 0, ACTION)).toEqual(empty);
    expect(await readLogFrom(none.ctx, { logFiles: null } as never, DRIVER_LOG, 0, ACTION)).toEqual(empty);
    server.reply({ status: 404, body: 'BlobNotFound' });
    expect(await readLogFrom(none.ctx, logAt(), DRIVER_LOG, 0, ACTION)).toEqual(empty);
  });

  it('passes on any other failure of the link', async () => {
    server.reply({ status: 403, body: 'AuthenticationFailed: signature expired' });
    const error = await readLogFrom(withDetails({}).ctx, logAt(), DRIVER_LOG, 0, ACTION).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AzureMLServiceError);
    expect((error as AzureMLServiceError).statusCode).toBe(403);
  });

  it('takes the total from Content-Range, else counts to the end of what came', async () => {
    server.reply(range('abc', 10, 99));
    expect(await readLogFrom(withDetails({}).ctx, logAt(), DRIVER_LOG, 10, ACTION)).toEqual({ data: Buffer.from('abc'), totalBytes: 99 });
    server.reply(range('abc', 10, '*'));
    expect(await readLogFrom(withDetails({}).ctx, logAt(), DRIVER_LOG, 10, ACTION)).toEqual({ data: Buffer.from('abc'), totalBytes: 13 });
  });
});

describe('getRunLog', () => {
  it('reads from fromByte, with the signal given to Run History, and reports where to read next', async () => {
    const { ctx, seen } = withDetails({ runId: 'r1', status: 'Running', ...logAt('/driver') });
    server.reply(range('hello\n', 4, 50));
    const signal = new AbortController().signal;
    expect(await getRunLog(ctx, 'r1', { fromByte: 4, maxBytes: 6, signal })).toEqual({
      runId: 'r1',
      name: DRIVER_LOG,
      log: 'hello\n',
      fromByte: 4,
      nextByte: 10,
      totalBytes: 50,
      status: 'Running',
    });
    expect(seen).toEqual([{ signal }]);
    const sent = server.requests.at(-1)!;
    expect([sent.url, sent.headers.range]).toEqual(['/driver?sig=x', 'bytes=4-9']);
  });

  it('holds back a character cut by the end of the read while the run may write, and until the end of the log', async () => {
    const bytes = Buffer.from('ab€');
    const cutRead = range(bytes.subarray(0, 3), 0, 5);
    for (const [status, total] of [
      ['Running', 5],
      ['Completed', 5], // ended, but the read stopped before the end: the rest comes next read
    ] as const) {
      server.reply({ ...cutRead, headers: { 'content-range': `bytes 0-2/${total}` } });
      const log = await getRunLog(withDetails({ status, ...logAt() }).ctx, 'r1', { maxBytes: 4 });
      expect([log.log, log.nextByte, log.totalBytes]).toEqual(['ab', 2, 5]);
    }
  });

  it('gives a cut character as it is at the very end of the log of an ended run: nothing more will come', async () => {
    const cutEnd = Buffer.from('ab€').subarray(0, 3);
    server.reply(range(cutEnd, 0, 3));
    const ended = await getRunLog(withDetails({ status: 'Failed', error: { error: { code: 'UserError', message: 'boom' } }, ...logAt() }).ctx, 'r1');
    expect([ended.log, ended.nextByte, ended.totalBytes, ended.status]).toEqual(['ab\ufffd', 3, 3, 'Failed']);
    expect(ended.error).toEqual({ error: { code: 'UserError', message: 'boom' } });
    server.reply(range(cutEnd, 0, 3));
    const running = await getRunLog(withDetails({ status: 'Running', ...logAt() }).ctx, 'r1');
    expect([running.log, running.nextByte]).toEqual(['ab', 2]);
    expect(running).not.toHaveProperty('error');
  });

  it('reports a run without a status as the empty status, and a run without a log as an empty one', async () => {
    expect(await getRunLog(withDetails({ runId: 'r1' }).ctx, 'r1')).toEqual({ runId: 'r1', name: DRIVER_LOG, log: '', fromByte: 0, nextByte: 0, totalBytes: 0, status: '' });
  });

  it('reads another file of the run when asked', async () => {
    server.reply(range('rank 1\n', 0, 7));
    const ctx = withDetails({ status: 'Running', logFiles: { [DRIVER_LOG]: `${server.url}/driver`, 'azureml-logs/70_driver_log_1.txt': `${server.url}/rank1` } }).ctx;
    const log = await getRunLog(ctx, 'r1', { file: 'azureml-logs/70_driver_log_1.txt' });
    expect([log.name, log.log, server.requests.at(-1)!.url]).toEqual(['azureml-logs/70_driver_log_1.txt', 'rank 1\n', '/rank1']);
  });

  it.each([
    [{ fromByte: -1 }, 'fromByte must be a whole number of bytes, 0 or more (got -1)'],
    [{ fromByte: 1.5 }, 'fromByte must be a whole number of bytes, 0 or more (got 1.5)'],
    [{ fromByte: '3' }, 'fromByte must be a whole number of bytes, 0 or more (got "3")'],
    [{ maxBytes: 3 }, 'maxBytes must be a whole number of bytes, 4 or more (got 3)'],
    [{ maxBytes: 4.5 }, 'maxBytes must be a whole number of bytes, 4 or more (got 4.5)'],
    [{ maxBytes: Number.MAX_SAFE_INTEGER + 2 }, `maxBytes must be a whole number of bytes, 4 or more (got ${Number.MAX_SAFE_INTEGER + 2})`],
  ])('refuses %p before any request', async (options, reason) => {
    const { ctx, seen } = withDetails({});
    await expect(getRunLog(ctx, 'r1', options as never)).rejects.toThrow(`Action ${ACTION} was given invalid input: ${reason}`);
    expect(seen).toEqual([]);
  });

  it('takes maxBytes 4, the least that holds any character', async () => {
    server.reply(range('😀', 0, 4));
    const log = await getRunLog(withDetails({ status: 'Running', ...logAt() }).ctx, 'r1', { maxBytes: 4 });
    expect([log.log, server.requests.at(-1)!.headers.range]).toEqual(['😀', 'bytes=0-3']);
  });
});
