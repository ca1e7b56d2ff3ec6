/**
 * Multipart bodies alone: each kind of part on the wire, the length known up front, and a body
 * with a caller's stream that refuses to be built twice.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { PassThrough, Readable } from 'stream';
import { AzureMLError } from '../src';
import type { BuiltBody } from '../src/http/body';
import { multipartBody, type MultipartPart } from '../src/http/multipart';

/** What goes on the wire: form-data's stream, read as the transport pipes it. */
async function wire(built: BuiltBody): Promise<string> {
  const chunks: Buffer[] = [];
  const sink = new PassThrough();
  sink.on('data', (chunk: Buffer) => chunks.push(chunk));
  await new Promise((resolve) => {
    sink.on('end', resolve);
    (built.data as Readable).pipe(sink);
  });
  return Buffer.concat(chunks).toString('latin1');
}

const defaults = { defaultFilename: 'definition.json', defaultContentType: 'application/json' };

describe('multipartBody', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'multipart-'));
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('sends bytes and files on disk with their names, types and a known length, as often as asked', async () => {
    const zip = path.join(dir, 'p.zip');
    fs.writeFileSync(zip, 'PK\x03\x04zip');
    const parts: MultipartPart[] = [
      { name: 'runDefinitionFile', source: { kind: 'bytes', data: Buffer.from('{}') }, ...defaults },
      {
        name: 'projectZipFile',
        source: { kind: 'path', path: zip },
        filename: 'mine.zip',
        contentType: 'application/x-zip',
        defaultFilename: 'project.zip',
        defaultContentType: 'application/zip',
      },
    ];
    const body = multipartBody(parts, 'test/Runs_StartRun');
    expect([body.replayable, body.notReplayableReason]).toEqual([true, undefined]);
    for (let attempt = 0; attempt < 2; attempt++) {
      const built = await body.create();
      const boundary = /^multipart\/form-data; boundary=(.+)$/.exec(built.headers['content-type'])![1];
      const text = await wire(built);
      expect(text).toBe(
        `--${boundary}\r\nContent-Disposition: form-data; name="runDefinitionFile"; filename="definition.json"\r\nContent-Type: application/json\r\n\r\n{}\r\n` +
          `--${boundary}\r\nContent-Disposition: form-data; name="projectZipFile"; filename="mine.zip"\r\nContent-Type: application/x-zip\r\n\r\nPK\x03\x04zip\r\n` +
          `--${boundary}--\r\n`,
      );
      expect(built.headers['content-length']).toBe(String(Buffer.byteLength(text, 'latin1')));
    }
  });

  it('sends a stream once, chunked, and names every stream in the refusal to send it again', async () => {
    const one = multipartBody([{ name: 'projectZipFile', source: { kind: 'stream', stream: Readable.from([Buffer.from('PK\x03\x04')]) }, ...defaults }], 'test/Runs_StartRun');
    const reason = 'projectZipFile is a stream that can be read only once; give a Buffer or {path} to allow resending';
    expect([one.replayable, one.notReplayableReason]).toEqual([false, reason]);
    const built = await one.create();
    expect(built.headers['content-length']).toBeUndefined();
    expect(await wire(built)).toContain('PK\x03\x04');
    const again = await one.create().catch((e: unknown) => e);
    expect(again).toBeInstanceOf(AzureMLError);
    expect((again as Error).message).toBe(`Action test/Runs_StartRun cannot send its body again: ${reason}`);

    const two = multipartBody(
      [
        { name: 'runDefinitionFile', source: { kind: 'stream', stream: Readable.from(['{}']) }, ...defaults },
        { name: 'projectZipFile', source: { kind: 'stream', stream: Readable.from(['PK']) }, ...defaults },
      ],
      'test/Runs_StartRun',
    );
    expect(two.notReplayableReason).toBe('runDefinitionFile and projectZipFile are streams that can be read only once; give a Buffer or {path} to allow resending');
  });
});
