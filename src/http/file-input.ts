/**
 * The values a multipart file part accepts, and their checks. Everything here runs before a
 * request is made: a wrong value is reported with the field's name, and nothing is sent.
 */
import * as fs from 'fs';
import type { Readable } from 'stream';
import type { FileEncoding } from '../spec/action-signature';
import type { InputProblem } from '../spec/validate';

export type { DataFireFile, FileEncoding, FileInput, PathFile } from '../spec/action-signature';

export type PartSource = { kind: 'bytes'; data: Buffer } | { kind: 'stream'; stream: Readable } | { kind: 'path'; path: string };

/** A part after its checks: where its bytes come from, and its headers when the caller gave them. */
export interface ClassifiedPart {
  source: PartSource;
  filename?: string;
  contentType?: string;
  /** A plain object given for a JSON part: it is serialized (already validated against its definition). */
  json?: boolean;
}

const ENCODINGS: readonly FileEncoding[] = ['ascii', 'utf8', 'utf16le', 'base64', 'binary', 'hex'];
const FILE_OBJECT_KEYS = new Set(['content', 'encoding', 'contentType', 'filename', 'path']);
const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;
const BASE64URL = /^[A-Za-z0-9_-]*={0,2}$/;
const HEX = /^(?:[0-9a-fA-F]{2})*$/;

export function isReadableStream(value: unknown): value is Readable {
  return !!value && typeof value === 'object' && typeof (value as Readable).pipe === 'function' && typeof (value as Readable).on === 'function';
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (!value || typeof value !== 'object') return false;
  const proto = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

/** Decodes a DataFire file's content strictly: a stray character in base64 or hex would otherwise corrupt the upload silently. */
function decodeContent(content: string, encoding: FileEncoding | undefined, field: string, problems: InputProblem[]): Buffer | undefined {
  if (encoding === 'base64') {
    const compact = content.replace(/\s/g, '');
    if (!(BASE64.test(compact) || BASE64URL.test(compact)) || compact.replace(/=+$/, '').length % 4 === 1) {
      problems.push({ path: `${field}.content`, message: 'is not valid base64' });
      return undefined;
    }
    return Buffer.from(compact, 'base64');
  }
  if (encoding === 'hex') {
    if (!HEX.test(content)) {
      problems.push({ path: `${field}.content`, message: 'is not valid hex (an even number of 0-9, a-f characters)' });
      return undefined;
    }
    return Buffer.from(content, 'hex');
  }
  // No encoding is utf8.
  return Buffer.from(content, encoding);
}

function optionalString(obj: Record<string, unknown>, key: string, field: string, problems: InputProblem[]): string | undefined {
  const value = obj[key];
  if (value === undefined) return undefined;
  if (typeof value !== 'string' || value === '') {
    problems.push({ path: `${field}.${key}`, message: 'must be a non-empty string' });
    return undefined;
  }
  return value;
}

/**
 * Sorts a file part's value into one of the accepted forms. Returns undefined (with problems)
 * when it is none of them. `acceptsJsonObject`: a plain object other than a file object is a
 * JSON document (e.g. a RunDefinition).
 */
export function classifyFileInput(value: unknown, field: string, acceptsJsonObject: string | undefined, problems: InputProblem[]): ClassifiedPart | undefined {
  if (typeof value === 'string') return { source: { kind: 'bytes', data: Buffer.from(value) } };
  if (Buffer.isBuffer(value)) return { source: { kind: 'bytes', data: value } };
  if (value instanceof Uint8Array) return { source: { kind: 'bytes', data: Buffer.from(value.buffer, value.byteOffset, value.byteLength) } };
  if (isReadableStream(value)) return { source: { kind: 'stream', stream: value } };

  if (isPlainObject(value) && ('content' in value || 'path' in value)) {
    const before = problems.length;
    for (const key of Object.keys(value)) {
      if (!FILE_OBJECT_KEYS.has(key)) problems.push({ path: `${field}.${key}`, message: 'is not a field of a file object (content, encoding, contentType, filename, or path)' });
    }
    const filename = optionalString(value, 'filename', field, problems);
    const contentType = optionalString(value, 'contentType', field, problems);
    if ('content' in value && 'path' in value) {
      problems.push({ path: field, message: 'must have either content or path, not both' });
      return undefined;
    }
    if ('path' in value) {
      if (value.encoding !== undefined) problems.push({ path: `${field}.encoding`, message: 'applies to content, not to a file on disk' });
      if (typeof value.path !== 'string' || value.path === '') {
        problems.push({ path: `${field}.path`, message: 'must be a non-empty string' });
        return undefined;
      }
      return problems.length > before ? undefined : { source: { kind: 'path', path: value.path }, filename, contentType };
    }
    const encoding = value.encoding;
    if (encoding !== undefined && !ENCODINGS.includes(encoding as FileEncoding)) {
      problems.push({ path: `${field}.encoding`, message: `must be one of ${ENCODINGS.join(', ')}` });
      return undefined;
    }
    if (typeof value.content !== 'string') {
      problems.push({ path: `${field}.content`, message: 'must be a string' });
      return undefined;
    }
    const data = decodeContent(value.content, encoding as FileEncoding | undefined, field, problems);
    if (!data || problems.length > before) return undefined;
    return { source: { kind: 'bytes', data }, filename, contentType };
  }

  if (acceptsJsonObject && isPlainObject(value)) {
    return { source: { kind: 'bytes', data: Buffer.from(JSON.stringify(value)) }, json: true };
  }

  const forms = 'a string, a Buffer or Uint8Array, a Readable stream, a file object {content, encoding, contentType, filename}, or {path}';
  problems.push({
    path: field,
    message: `must be ${forms}${acceptsJsonObject ? `, or a ${acceptsJsonObject} object` : ''} (got ${describeType(value)})`,
  });
  return undefined;
}

export function describeType(value: unknown): string {
  if (value === null || value === undefined) return String(value);
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'object') return value.constructor && value.constructor !== Object ? `a ${value.constructor.name}` : 'an object';
  return `a ${typeof value}`;
}

/** The signatures a zip archive starts with: a local file header, an empty archive, a spanned archive. */
const ZIP_SIGNATURES = [Buffer.from('PK\x03\x04', 'latin1'), Buffer.from('PK\x05\x06', 'latin1'), Buffer.from('PK\x07\x08', 'latin1')];

export function looksLikeZip(head: Buffer): boolean {
  // A head shorter than 4 bytes equals no signature.
  return ZIP_SIGNATURES.some((sig) => head.subarray(0, 4).equals(sig));
}

/** Checks a file on disk: it exists, is a regular file, and (for a zip part) starts like a zip. Reads at most 4 bytes. */
export async function checkPathPart(path: string, field: string, zip: boolean, problems: InputProblem[]): Promise<void> {
  let stat: fs.Stats;
  try {
    stat = await fs.promises.stat(path);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    problems.push({ path: `${field}.path`, message: code === 'ENOENT' ? `names a file that does not exist: ${path}` : `cannot be read: ${path} (${code})` });
    return;
  }
  if (!stat.isFile()) {
    problems.push({ path: `${field}.path`, message: `is not a regular file: ${path}` });
    return;
  }
  if (!zip) return;
  const handle = await fs.promises.open(path, 'r');
  try {
    const head = Buffer.alloc(4);
    const { bytesRead } = await handle.read(head, 0, 4, 0);
    if (!looksLikeZip(head.subarray(0, bytesRead)))
      problems.push({ path: `${field}.path`, message: `is not a zip archive (it does not start with the zip signature PK\\x03\\x04): ${path}` });
  } finally {
    await handle.close();
  }
}
