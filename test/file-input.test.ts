/**
 * The accepted forms of a file part, alone: each form classified, each wrong one named with its
 * field and reason, content decoded strictly, and files on disk checked without reading them.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { Readable } from 'stream';
import { checkPathPart, classifyFileInput, describeType, looksLikeZip, type ClassifiedPart } from '../src/http/file-input';
import type { InputProblem } from '../src/spec/validate';

function classify(value: unknown, acceptsJson?: string): { part: ClassifiedPart | undefined; problems: InputProblem[] } {
  const problems: InputProblem[] = [];
  const part = classifyFileInput(value, 'projectZipFile', acceptsJson, problems);
  return { part, problems };
}

function bytes(value: unknown): string {
  const { part, problems } = classify(value);
  expect(problems).toEqual([]);
  expect(part!.source.kind).toBe('bytes');
  return (part!.source as { data: Buffer }).data.toString('hex');
}

const FORMS = 'a string, a Buffer or Uint8Array, a Readable stream, a file object {content, encoding, contentType, filename}, or {path}';

describe('classifyFileInput', () => {
  it('takes strings as utf8, Buffers as they are, and a Uint8Array view without copying what is outside it', () => {
    expect(bytes('hé')).toBe('68c3a9');
    const buffer = Buffer.from('abc');
    expect((classify(buffer).part!.source as { data: Buffer }).data).toBe(buffer);
    const backing = new Uint8Array([1, 2, 3, 4, 5]);
    expect(bytes(new Uint8Array(backing.buffer, 1, 3))).toBe('020304');
  });

  it('takes a stream as a stream: anything with pipe and on, but not a function that has them', () => {
    const stream = Readable.from(['x']);
    expect(classify(stream).part).toEqual({ source: { kind: 'stream', stream } });
    const streamLike = { pipe: () => undefined, on: () => undefined };
    expect(classify(streamLike).part!.source).toEqual({ kind: 'stream', stream: streamLike });

    const fn = Object.assign(() => undefined, { pipe: () => undefined, on: () => undefined });
    expect(classify(fn).problems).toEqual([{ path: 'projectZipFile', message: `must be ${FORMS} (got a function)` }]);
    expect(classify({ pipe: () => undefined, on: 'no' }).problems).toEqual([{ path: 'projectZipFile', message: `must be ${FORMS} (got an object)` }]);
    expect(classify({ pipe: 'no', on: () => undefined }).problems).toEqual([{ path: 'projectZipFile', message: `must be ${FORMS} (got an object)` }]);
  });

  it('decodes content by its encoding: utf8 by default, utf16le, hex and base64 (spaces and line breaks allowed, base64url too)', () => {
    expect(bytes({ content: 'é' })).toBe('c3a9');
    expect(bytes({ content: 'é', encoding: 'utf16le' })).toBe('e900');
    expect(bytes({ content: '68656C6c6f', encoding: 'hex' })).toBe('68656c6c6f');
    expect(bytes({ content: 'aGVs\n bG8=', encoding: 'base64' })).toBe('68656c6c6f');
    expect(bytes({ content: 'aGVsbA==', encoding: 'base64' })).toBe('68656c6c');
    expect(bytes({ content: '__-_', encoding: 'base64' })).toBe('ffffbf');
  });

  it('refuses content that is not valid in its encoding, rather than upload a corrupt file', () => {
    const base64 = [{ path: 'projectZipFile.content', message: 'is not valid base64' }];
    for (const content of ['aGVs*bG8=', 'aGVsb', 'aGVsb==', 'a+b_', 'aGVsbA==='])
      expect([content, classify({ content, encoding: 'base64' })]).toEqual([content, { part: undefined, problems: base64 }]);
    const hex = [{ path: 'projectZipFile.content', message: 'is not valid hex (an even number of 0-9, a-f characters)' }];
    for (const content of ['abc', 'zz']) expect(classify({ content, encoding: 'hex' })).toEqual({ part: undefined, problems: hex });
    expect(classify({ content: 'x', encoding: 'latin1' }).problems).toEqual([
      { path: 'projectZipFile.encoding', message: 'must be one of ascii, utf8, utf16le, base64, binary, hex' },
    ]);
    expect(classify({ content: 5 }).problems).toEqual([{ path: 'projectZipFile.content', message: 'must be a string' }]);
  });

  it('keeps a file object’s name and type, and names each of its wrong fields', () => {
    expect(classify({ content: 'x', filename: 'p.zip', contentType: 'application/zip' }).part).toEqual({
      source: { kind: 'bytes', data: Buffer.from('x') },
      filename: 'p.zip',
      contentType: 'application/zip',
    });
    const nameless = Object.assign(Object.create(null) as Record<string, unknown>, { content: 'x' });
    expect(classify(nameless).part).toEqual({ source: { kind: 'bytes', data: Buffer.from('x') }, filename: undefined, contentType: undefined });

    expect(classify({ content: 'x', filename: 42, contentType: '', name: 'p' })).toEqual({
      part: undefined,
      problems: [
        { path: 'projectZipFile.name', message: 'is not a field of a file object (content, encoding, contentType, filename, or path)' },
        { path: 'projectZipFile.filename', message: 'must be a non-empty string' },
        { path: 'projectZipFile.contentType', message: 'must be a non-empty string' },
      ],
    });
    expect(classify({ content: 'x', path: '/tmp/p.zip' }).problems).toEqual([{ path: 'projectZipFile', message: 'must have either content or path, not both' }]);
  });

  it('takes {path} as a file on disk, with no encoding, and a non-empty path', () => {
    expect(classify({ path: '/tmp/p.zip', filename: 'q.zip' }).part).toEqual({ source: { kind: 'path', path: '/tmp/p.zip' }, filename: 'q.zip', contentType: undefined });
    expect(classify({ path: '/tmp/p.zip', encoding: 'utf8' })).toEqual({
      part: undefined,
      problems: [{ path: 'projectZipFile.encoding', message: 'applies to content, not to a file on disk' }],
    });
    for (const bad of [42, '']) expect(classify({ path: bad })).toEqual({ part: undefined, problems: [{ path: 'projectZipFile.path', message: 'must be a non-empty string' }] });
    expect(classify({ path: '/tmp/p.zip', filename: '' }).part).toBeUndefined();
  });

  it('takes a plain object as JSON only where the part is a JSON document, and names the kind of anything else', () => {
    expect(classify({ configuration: { script: 'a.py' } }, 'RunDefinition').part).toEqual({
      source: { kind: 'bytes', data: Buffer.from('{"configuration":{"script":"a.py"}}') },
      json: true,
    });
    expect(classify({ configuration: {} }).problems).toEqual([{ path: 'projectZipFile', message: `must be ${FORMS} (got an object)` }]);
    expect(classify([1], 'RunDefinition').problems).toEqual([{ path: 'projectZipFile', message: `must be ${FORMS}, or a RunDefinition object (got an array)` }]);
    class Thing {
      content = 'x';
    }
    expect(classify(new Thing()).problems).toEqual([{ path: 'projectZipFile', message: `must be ${FORMS} (got a Thing)` }]);
    expect(classify(null).problems).toEqual([{ path: 'projectZipFile', message: `must be ${FORMS} (got null)` }]);
  });
});

describe('describeType', () => {
  it('names the kind of a value for an error', () => {
    expect([null, undefined, [], {}, Object.create(null), new Map(), 5, true].map(describeType)).toEqual([
      'null',
      'undefined',
      'an array',
      'an object',
      'an object',
      'a Map',
      'a number',
      'a boolean',
    ]);
  });
});

describe('looksLikeZip', () => {
  it('knows the three signatures a zip archive starts with, and nothing shorter', () => {
    const heads = ['PK\x03\x04rest', 'PK\x05\x06', 'PK\x07\x08', 'PK\x03', 'PK\x01\x02', ''];
    expect(heads.map((h) => looksLikeZip(Buffer.from(h, 'latin1')))).toEqual([true, true, true, false, false, false]);
  });
});

describe('checkPathPart', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'file-input-'));
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  async function check(file: string, zip: boolean): Promise<InputProblem[]> {
    const problems: InputProblem[] = [];
    await checkPathPart(file, 'projectZipFile', zip, problems);
    return problems;
  }

  it('passes a regular file, and a zip that starts like one, and closes what it opened', async () => {
    const zip = path.join(dir, 'p.zip');
    fs.writeFileSync(zip, Buffer.from('PK\x03\x04 and the rest', 'latin1'));
    const text = path.join(dir, 'a.txt');
    fs.writeFileSync(text, 'hello');
    const open = jest.spyOn(fs.promises, 'open');
    try {
      expect(await check(zip, true)).toEqual([]);
      expect(await check(text, false)).toEqual([]);
      expect(await check(text, true)).toEqual([{ path: 'projectZipFile.path', message: `is not a zip archive (it does not start with the zip signature PK\\x03\\x04): ${text}` }]);
      // Only zip parts are opened, and every handle is closed.
      expect(open).toHaveBeenCalledTimes(2);
      for (const result of open.mock.results) await expect((await (result.value as Promise<fs.promises.FileHandle>)).stat()).rejects.toThrow(/closed/);
    } finally {
      open.mockRestore();
    }
  });

  it('names a missing file, a folder and a path it cannot read', async () => {
    const missing = path.join(dir, 'missing.zip');
    expect(await check(missing, true)).toEqual([{ path: 'projectZipFile.path', message: `names a file that does not exist: ${missing}` }]);
    expect(await check(dir, true)).toEqual([{ path: 'projectZipFile.path', message: `is not a regular file: ${dir}` }]);
    const file = path.join(dir, 'plain');
    fs.writeFileSync(file, '');
    const through = path.join(file, 'inside.zip');
    expect(await check(through, true)).toEqual([{ path: 'projectZipFile.path', message: `cannot be read: ${through} (ENOTDIR)` }]);
  });
});
