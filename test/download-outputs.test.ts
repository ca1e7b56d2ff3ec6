/**
 * downloadOutputs alone, over a scripted artifact list and scripted links (HEAD and ranged GETs):
 * its settings checked before anything is asked, artifact paths that would leave the folder,
 * progress, skipping what is already there, short files, aborts and the first failure.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { AzureMLAbortError, AzureMLNetworkError, AzureMLNotFoundError, AzureMLResponseFormatError, AzureMLValidationError } from '../src';
import type { PipelineRequest, PipelineResponse, SendRequest } from '../src/http/pipeline';
import type { ServiceActions, WorkflowContext } from '../src/workflow/context';
import { downloadOutputs, type DownloadProgress } from '../src/workflow/results/download';
import { failure } from './helpers/failure';

const WS = { subscriptionId: 's', resourceGroupName: 'rg', workspaceName: 'ws', experimentName: 'e' };
const BASE = 'http://127.0.0.1:1/';

let root: string;
beforeEach(() => (root = fs.mkdtempSync(path.join(os.tmpdir(), 'download-outputs-'))));
afterEach(() => fs.rmSync(root, { recursive: true, force: true }));

interface Links {
  send: SendRequest;
  log: string[];
}

/** Links to these files: HEAD tells the length; a ranged GET answers 206 (or 416 past the end) through the sink. */
function links(files: Record<string, Buffer>, hooks: { head?: (name: string) => PipelineResponse | Error; before?: (name: string) => Promise<void> } = {}): Links {
  const log: string[] = [];
  const answer = (request: PipelineRequest, status: number, headers: PipelineResponse['headers'] = {}, body = Buffer.alloc(0)): PipelineResponse => ({
    status,
    headers,
    body,
    request,
  });
  const send: SendRequest = async (request) => {
    const name = request.url.slice(BASE.length);
    log.push(`${request.method} ${name}${request.headers.range ? ` ${request.headers.range}` : ''}`);
    await hooks.before?.(name);
    const data = files[name];
    if (request.method === 'head') {
      const hooked = hooks.head?.(name);
      if (hooked instanceof Error) throw hooked;
      return hooked ?? answer(request, data ? 200 : 404, data ? { 'content-length': String(data.length) } : {});
    }
    if (!data) return answer(request, 404, {}, Buffer.from('gone'));
    const [, from, to] = /^bytes=(\d+)-(\d+)$/.exec(request.headers.range)!.map(Number);
    if (from >= data.length) return answer(request, 416, { 'content-range': `bytes */${data.length}` });
    const end = Math.min(to, data.length - 1);
    const sink = request.responseSink!(206);
    await sink!(data.subarray(from, end + 1));
    return answer(request, 206, { 'content-range': `bytes ${from}-${end}/${data.length}` });
  };
  return { send, log };
}

function context(artifacts: unknown[], linked: Links): WorkflowContext {
  const client = {
    RunArtifacts_ListSasByPrefix: async (input: { path: string }) => ({
      value: artifacts.filter((a) => String((a as { path?: string }).path ?? '').startsWith(input.path) || !(a as { path?: string }).path),
    }),
  };
  return { client: client as unknown as ServiceActions, defaults: WS, links: linked.send };
}

const artifact = (name: string) => ({ path: name, contentUri: `${BASE}${name}` });

describe('settings', () => {
  it('names every wrong setting at once, before asking for anything', async () => {
    const linked = links({});
    const ctx = context([artifact('outputs/a.txt')], linked);
    const error = (await failure(downloadOutputs(ctx, 'r1', { to: '', prefix: 5 as unknown as string, concurrency: 65, pieceBytes: 4095 }))) as AzureMLValidationError;
    expect(error).toBeInstanceOf(AzureMLValidationError);
    expect(error.problems).toEqual([
      { path: 'to', message: 'is required: the folder to write the files into' },
      { path: 'prefix', message: 'must be a string (got 5)' },
      { path: 'concurrency', message: 'must be a whole number from 1 to 64 (got 65)' },
      { path: 'pieceBytes', message: 'must be a whole number of bytes, 4096 or more (got 4095)' },
    ]);
    const more = (await failure(downloadOutputs(ctx, 'r1', { to: 7 as unknown as string, concurrency: 0, pieceBytes: 5000.5 }))) as AzureMLValidationError;
    expect(more.problems).toEqual([
      { path: 'to', message: 'is required: the folder to write the files into' },
      { path: 'concurrency', message: 'must be a whole number from 1 to 64 (got 0)' },
      { path: 'pieceBytes', message: 'must be a whole number of bytes, 4096 or more (got 5000.5)' },
    ]);
    expect(((await failure(downloadOutputs(ctx, 'r1', { to: root, concurrency: 1.5 }))) as AzureMLValidationError).problems).toEqual([
      { path: 'concurrency', message: 'must be a whole number from 1 to 64 (got 1.5)' },
    ]);
    expect(((await failure(downloadOutputs(ctx, 'r1', undefined as unknown as { to: string }))) as AzureMLValidationError).problems).toEqual([
      { path: 'to', message: 'is required: the folder to write the files into' },
    ]);
    expect(linked.log).toEqual([]);
    // The bounds themselves are allowed.
    const edges = links({ 'outputs/a.txt': Buffer.from('a') });
    await downloadOutputs(context([artifact('outputs/a.txt')], edges), 'r1', { to: root, concurrency: 64, pieceBytes: 4096 });
    await downloadOutputs(context([artifact('outputs/a.txt')], edges), 'r1', { to: path.join(root, 'b'), concurrency: 1 });
  });

  it('refuses an artifact path that would leave the folder or is not a plain relative path, before writing anything', async () => {
    for (const bad of ['outputs/../../escape.txt', '', '/etc/passwd', 'outputs\\a.txt', 'outputs/a\u0001.txt', 'outputs//a.txt', 'outputs/./a.txt', 'outputs/a/..', 'outputs/']) {
      const ctx = context([artifact('outputs/ok.txt'), artifact(bad)], links({ 'outputs/ok.txt': Buffer.from('ok') }));
      const error = await failure(downloadOutputs(ctx, 'r1', { to: root, prefix: '' }));
      expect(error).toBeInstanceOf(AzureMLResponseFormatError);
      expect([bad, error.message, (error as AzureMLResponseFormatError).body]).toEqual([
        bad,
        `Action azureml-execution/downloadOutputs got an answer it cannot read (status code 200): the artifact path ${JSON.stringify(bad)} would be written outside ${root}; nothing was downloaded`,
        '',
      ]);
      expect(fs.readdirSync(root)).toEqual([]);
    }
  });

  it('skips artifacts without a path or a link, and says when none is left under the prefix', async () => {
    const ctx = context([{ path: 'outputs/no-link.txt' }, { contentUri: `${BASE}x` }], links({}));
    const error = await failure(downloadOutputs(ctx, 'r1', { to: root }));
    expect(error).toBeInstanceOf(AzureMLNotFoundError);
    expect(error.message).toBe('Run r1 has no artifacts under outputs/');
    expect((await failure(downloadOutputs(ctx, 'r1', { to: root, prefix: '' }))).message).toBe('Run r1 has no artifacts');
  });
});

describe('downloading', () => {
  it('writes each file whole, in ranges of pieceBytes, telling its progress and counting the files', async () => {
    const big = Buffer.alloc(10_000, 7);
    const linked = links({ 'outputs/big.bin': big, 'outputs/small.txt': Buffer.from('small') });
    const events: DownloadProgress[] = [];
    const result = await downloadOutputs(context([artifact('outputs/big.bin'), artifact('outputs/small.txt')], linked), 'r1', {
      to: root,
      concurrency: 1,
      pieceBytes: 4096,
      onProgress: (p) => events.push(p),
    });
    const big_ = path.join(root, 'outputs', 'big.bin');
    const small = path.join(root, 'outputs', 'small.txt');
    expect(result).toEqual({
      runId: 'r1',
      to: root,
      files: [
        { path: 'outputs/big.bin', file: big_, bytes: 10_000, skipped: false },
        { path: 'outputs/small.txt', file: small, bytes: 5, skipped: false },
      ],
      bytes: 10_005,
    });
    expect(fs.readFileSync(big_).equals(big)).toBe(true);
    expect(fs.readFileSync(small, 'utf8')).toBe('small');
    expect(fs.readdirSync(path.join(root, 'outputs')).sort()).toEqual(['big.bin', 'small.txt']);
    expect(linked.log).toEqual([
      'get outputs/big.bin bytes=0-4095',
      'get outputs/big.bin bytes=4096-8191',
      'get outputs/big.bin bytes=8192-12287',
      `get outputs/small.txt bytes=0-${4095}`,
    ]);
    const file = (p: string) => (p === 'outputs/big.bin' ? big_ : small);
    expect(events).toStrictEqual([
      { path: 'outputs/big.bin', file: big_, state: 'started', bytes: 0, filesDone: 0, filesTotal: 2 },
      { path: 'outputs/big.bin', file: big_, state: 'progress', bytes: 4096, totalBytes: 10_000, filesDone: 0, filesTotal: 2 },
      { path: 'outputs/big.bin', file: big_, state: 'progress', bytes: 8192, totalBytes: 10_000, filesDone: 0, filesTotal: 2 },
      { path: 'outputs/big.bin', file: big_, state: 'progress', bytes: 10_000, totalBytes: 10_000, filesDone: 0, filesTotal: 2 },
      { path: 'outputs/big.bin', file: file('outputs/big.bin'), state: 'done', bytes: 10_000, totalBytes: 10_000, filesDone: 1, filesTotal: 2 },
      { path: 'outputs/small.txt', file: small, state: 'started', bytes: 0, filesDone: 1, filesTotal: 2 },
      { path: 'outputs/small.txt', file: small, state: 'progress', bytes: 5, totalBytes: 5, filesDone: 1, filesTotal: 2 },
      { path: 'outputs/small.txt', file: small, state: 'done', bytes: 5, totalBytes: 5, filesDone: 2, filesTotal: 2 },
    ]);
  });

  it('skips a file already there with the size the link tells, and downloads it again otherwise', async () => {
    const same = path.join(root, 'outputs', 'same.txt');
    fs.mkdirSync(path.dirname(same), { recursive: true });
    fs.writeFileSync(same, 'xxxx');
    for (const name of ['changed.txt', 'no-head.txt', 'odd-head.txt', 'failed-head.txt']) fs.writeFileSync(path.join(root, 'outputs', name), 'old');
    const files = {
      'outputs/same.txt': Buffer.from('same'),
      'outputs/changed.txt': Buffer.from('changed'),
      'outputs/no-head.txt': Buffer.from('new'),
      'outputs/odd-head.txt': Buffer.from('new'),
      'outputs/failed-head.txt': Buffer.from('new'),
    };
    const linked = links(files, {
      head: (name) => {
        const request = {} as PipelineRequest;
        if (name === 'outputs/no-head.txt') return { status: 405, headers: { 'content-length': '3' }, body: Buffer.alloc(0), request };
        if (name === 'outputs/odd-head.txt') return { status: 200, headers: { 'content-length': '3.0e0x' }, body: Buffer.alloc(0), request };
        if (name === 'outputs/failed-head.txt') return new AzureMLNetworkError({ action: 'a', host: BASE, reason: 'reset', code: 'ECONNRESET' });
        return undefined as unknown as PipelineResponse;
      },
    });
    const events: string[] = [];
    const result = await downloadOutputs(context(Object.keys(files).map(artifact), linked), 'r1', {
      to: root,
      concurrency: 1,
      onProgress: (p) => events.push(`${p.state} ${p.path} ${p.bytes} ${p.totalBytes} ${p.filesDone}`),
    });
    expect(result.files.map((f) => [f.path, f.bytes, f.skipped])).toEqual([
      ['outputs/same.txt', 4, true],
      ['outputs/changed.txt', 7, false],
      ['outputs/no-head.txt', 3, false],
      ['outputs/odd-head.txt', 3, false],
      ['outputs/failed-head.txt', 3, false],
    ]);
    expect(result.bytes).toBe(16);
    expect(events.slice(0, 2)).toEqual(['skipped outputs/same.txt 4 4 1', 'started outputs/changed.txt 0 undefined 1']);
    expect(fs.readFileSync(same, 'utf8')).toBe('xxxx');
    expect(fs.readFileSync(path.join(root, 'outputs', 'failed-head.txt'), 'utf8')).toBe('new');
    expect(linked.log.filter((line) => line.startsWith('head'))).toEqual([
      'head outputs/same.txt',
      'head outputs/changed.txt',
      'head outputs/no-head.txt',
      'head outputs/odd-head.txt',
      'head outputs/failed-head.txt',
    ]);
  });

  it('passes on an abort met while asking for the size', async () => {
    fs.mkdirSync(path.join(root, 'outputs'));
    fs.writeFileSync(path.join(root, 'outputs', 'a.txt'), 'old');
    const aborted = new AzureMLAbortError({ action: 'a', reason: new Error('stop') });
    const linked = links({ 'outputs/a.txt': Buffer.from('new') }, { head: () => aborted });
    await expect(downloadOutputs(context([artifact('outputs/a.txt')], linked), 'r1', { to: root })).rejects.toBe(aborted);
    expect(fs.readFileSync(path.join(root, 'outputs', 'a.txt'), 'utf8')).toBe('old');
  });

  it('refuses a file that ends before the size its link told, leaving neither it nor its part behind', async () => {
    const linked = links({ 'outputs/short.bin': Buffer.alloc(10_000, 1) });
    const shortened: SendRequest = async (request) => {
      const response = await linked.send(request);
      // The link says 10000 bytes but has nothing past the first piece.
      if (request.headers.range !== 'bytes=0-4095') return { ...response, status: 416, headers: { 'content-range': 'bytes */10000' } };
      return response;
    };
    const ctx = { ...context([artifact('outputs/short.bin')], linked), links: shortened };
    const error = await failure(downloadOutputs(ctx, 'r1', { to: root, pieceBytes: 4096 }));
    expect(error).toBeInstanceOf(AzureMLResponseFormatError);
    expect(error.message).toBe('Action azureml-execution/downloadOutputs got an answer it cannot read (status code 206): the link of short.bin gave 4096 of its 10000 bytes');
    expect(fs.readdirSync(path.join(root, 'outputs'))).toEqual([]);
  });

  it('stops at an aborted signal before the next file', async () => {
    const controller = new AbortController();
    controller.abort(new Error('stop'));
    const linked = links({ 'outputs/a.txt': Buffer.from('a') });
    const error = await failure(downloadOutputs(context([artifact('outputs/a.txt')], linked), 'r1', { to: root, signal: controller.signal }));
    expect(error).toBeInstanceOf(AzureMLAbortError);
    expect(linked.log).toEqual([]);
  });

  it('ends at the first failure: the other workers finish their file and take no other', async () => {
    let failed!: () => void;
    const failedYet = new Promise<void>((resolve) => (failed = resolve));
    const linked = links(
      { 'outputs/2.txt': Buffer.from('two'), 'outputs/3.txt': Buffer.from('three') },
      {
        before: async (name) => {
          if (name === 'outputs/1.txt') return failed();
          // The second file's answer waits until the first file has failed.
          if (name === 'outputs/2.txt') {
            await failedYet;
            for (let i = 0; i < 5; i++) await new Promise((resolve) => setImmediate(resolve));
          }
        },
      },
    );
    let secondDone!: () => void;
    const secondDoneYet = new Promise<void>((resolve) => (secondDone = resolve));
    const started: string[] = [];
    const onProgress = (p: DownloadProgress) => {
      if (p.state === 'started') started.push(p.path);
      if (p.state === 'done' && p.path === 'outputs/2.txt') secondDone();
    };
    const error = await failure(
      downloadOutputs(context(['outputs/1.txt', 'outputs/2.txt', 'outputs/3.txt'].map(artifact), linked), 'r1', { to: root, concurrency: 2, onProgress }),
    );
    expect((error as { statusCode?: number }).statusCode).toBe(404);
    // The second worker finishes its file; the next would start in the same turn, and does not.
    await secondDoneYet;
    for (let i = 0; i < 5; i++) await new Promise((resolve) => setImmediate(resolve));
    expect(started).toEqual(['outputs/1.txt', 'outputs/2.txt']);
    expect(fs.readFileSync(path.join(root, 'outputs', '2.txt'), 'utf8')).toBe('two');
  });
});
