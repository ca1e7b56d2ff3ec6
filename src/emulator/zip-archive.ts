/**
 * Reading uploaded project zips safely: every entry must stay inside the run's folder (no
 * absolute paths, no `..`, no links, no name that is both a file and a folder), and the archive
 * must not expand beyond a limit. Nothing here can throw out of an event handler: every failure
 * rejects the promise of the call that met it.
 */
import * as fs from 'fs';
import * as path from 'path';
import type { Readable } from 'stream';
import type { Entry, ZipFile } from 'yauzl';
import { pipeline } from 'stream/promises';

export class ZipRejectedError extends Error {}

export interface ZipLimits {
  maxExtractedBytes: number;
  maxEntries: number;
}

export interface ZipEntryInfo {
  name: string;
  directory: boolean;
  size: number;
  /** Unix mode bits from the archive (0 when it gave none). */
  mode: number;
}

function openZip(file: string): Promise<ZipFile> {
  const yauzl = require('yauzl') as typeof import('yauzl');
  return new Promise((resolve, reject) => {
    // decodeStrings false: names are checked here, with messages that say which entry and why.
    yauzl.open(file, { lazyEntries: true, decodeStrings: false, validateEntrySizes: true, autoClose: false }, (error, zip) => {
      if (error || !zip) reject(new ZipRejectedError(`project.zip is not a valid zip archive: ${error?.message ?? 'unreadable'}`));
      else resolve(zip);
    });
  });
}

const S_IFMT = 0o170000;
const S_IFLNK = 0o120000;
/** Longest file name of one path segment on the file systems the emulator runs on. */
const MAX_SEGMENT_BYTES = 255;

function entryName(entry: Entry): string {
  const raw = entry.fileName as unknown as Buffer;
  // Bit 11: the name is UTF-8; otherwise CP437, of which ASCII is the common part.
  return (entry.generalPurposeBitFlag & 0x800) !== 0 ? raw.toString('utf8') : raw.toString('latin1');
}

/** Why an entry name is refused, or undefined when it is a safe relative path. */
export function unsafeEntryReason(name: string): string | undefined {
  if (name === '' || name === '/') return 'has an empty name';
  if (name.includes('\0')) return 'has a NUL character';
  if (name.includes('\\')) return 'uses backslashes';
  if (name.startsWith('/') || /^[A-Za-z]:/.test(name)) return 'is an absolute path';
  const segments = (name.endsWith('/') ? name.slice(0, -1) : name).split('/');
  if (segments.some((segment) => segment === '..')) return 'escapes the project folder (..)';
  if (segments.some((segment) => segment === '' || segment === '.')) return 'has an empty or . path segment';
  if (segments.some((segment) => Buffer.byteLength(segment) > MAX_SEGMENT_BYTES)) return `has a path segment longer than ${MAX_SEGMENT_BYTES} bytes`;
  return undefined;
}

/**
 * Runs `onEntry` for each entry in order; the promise settles once, with the first failure. The
 * archive stays open until `done` resolves, so entries can be read after the listing.
 */
async function walkEntries(file: string, onEntry: (entry: Entry, name: string, next: () => void, fail: (error: unknown) => void, zip: ZipFile) => void): Promise<ZipFile> {
  const zip = await openZip(file);
  try {
    await new Promise<void>((resolve, reject) => {
      let settled = false;
      const fail = (error: unknown) => {
        if (settled) return;
        settled = true;
        reject(error instanceof ZipRejectedError ? error : new ZipRejectedError(`project.zip cannot be read: ${(error as Error)?.message ?? String(error)}`));
      };
      zip.on('error', fail);
      zip.on('end', () => {
        if (!settled) {
          settled = true;
          resolve();
        }
      });
      zip.on('entry', (entry: Entry) => {
        if (settled) return;
        try {
          onEntry(entry, entryName(entry), () => zip.readEntry(), fail, zip);
        } catch (error) {
          fail(error);
        }
      });
      zip.readEntry();
    });
  } catch (error) {
    zip.close();
    throw error;
  }
  return zip;
}

/** Lists the archive's entries after checking every one; throws ZipRejectedError with the reason. */
export async function inspectZip(file: string, limits: ZipLimits): Promise<ZipEntryInfo[]> {
  const entries: ZipEntryInfo[] = [];
  const files = new Set<string>();
  /** Every folder an entry names or lies in. */
  const folders = new Set<string>();
  let total = 0;
  const zip = await walkEntries(file, (entry, name, next, fail) => {
    const reject = (why: string) => fail(new ZipRejectedError(`project.zip entry ${JSON.stringify(name)} ${why}`));
    const reason = unsafeEntryReason(name);
    if (reason) return reject(reason);
    const mode = (entry.externalFileAttributes >>> 16) & 0xffff;
    if ((mode & S_IFMT) === S_IFLNK) return reject('is a symbolic link');
    const directory = name.endsWith('/');
    const clean = directory ? name.slice(0, -1) : name;
    if (files.has(clean) || (!directory && folders.has(clean))) return reject(files.has(clean) ? 'appears twice, or as both a file and a folder' : 'is both a file and a folder');
    const segments = clean.split('/');
    for (let i = 1; i < segments.length; i++) {
      const parent = segments.slice(0, i).join('/');
      if (files.has(parent)) return reject(`lies inside ${JSON.stringify(parent)}, which is a file`);
      folders.add(parent);
    }
    if (directory) folders.add(clean);
    else files.add(clean);
    total += entry.uncompressedSize;
    if (total > limits.maxExtractedBytes) return fail(new ZipRejectedError(`project.zip expands to more than ${limits.maxExtractedBytes} bytes`));
    if (entries.length >= limits.maxEntries) return fail(new ZipRejectedError(`project.zip has more than ${limits.maxEntries} entries`));
    entries.push({ name, directory, size: entry.uncompressedSize, mode });
    next();
  });
  zip.close();
  return entries;
}

function openEntry(zip: ZipFile, entry: Entry): Promise<Readable> {
  return new Promise((resolve, reject) => zip.openReadStream(entry, (error, stream) => (error || !stream ? reject(error ?? new Error('unreadable entry')) : resolve(stream))));
}

/**
 * Extracts an archive inspectZip accepted into `destination` (a new folder), checking every path
 * again. Files are created new (never through an existing name) and private to the owner.
 */
export async function extractZip(file: string, destination: string): Promise<void> {
  const root = path.resolve(destination);
  fs.mkdirSync(root, { recursive: true, mode: 0o700 });
  const zip = await walkEntries(file, (entry, name, next, fail, archive) => {
    const target = path.resolve(root, name);
    if (unsafeEntryReason(name) || (target !== root && !target.startsWith(root + path.sep))) {
      return fail(new ZipRejectedError(`project.zip entry ${JSON.stringify(name)} escapes the project folder`));
    }
    if (name.endsWith('/')) {
      fs.mkdirSync(target, { recursive: true, mode: 0o700 });
      return next();
    }
    fs.mkdirSync(path.dirname(target), { recursive: true, mode: 0o700 });
    const executable = ((entry.externalFileAttributes >>> 16) & 0o100) !== 0;
    openEntry(archive, entry)
      .then((stream) => pipeline(stream, fs.createWriteStream(target, { flags: 'wx', mode: executable ? 0o700 : 0o600 })))
      .then(next, fail);
  });
  zip.close();
}

/** One entry of an archive, read when asked: for streaming an archive's files into another one. */
export interface LazyEntry {
  name: string;
  directory: boolean;
  mode: number;
  open(): Promise<Readable>;
}

/**
 * The entries of an archive that inspectZip accepted, each opened only when read, so that copying
 * them holds one entry's buffer at a time, never the expanded project. `close()` when done.
 */
export async function lazyEntries(file: string): Promise<{ entries: LazyEntry[]; close(): void }> {
  const entries: LazyEntry[] = [];
  const zip = await walkEntries(file, (entry, name, next, _fail, archive) => {
    if (!unsafeEntryReason(name)) {
      const mode = (entry.externalFileAttributes >>> 16) & 0xffff;
      entries.push({ name, directory: name.endsWith('/'), mode, open: () => openEntry(archive, entry) });
    }
    next();
  });
  return { entries, close: () => zip.close() };
}
