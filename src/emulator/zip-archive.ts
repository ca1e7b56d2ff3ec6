/**
 * Reading uploaded project zips safely: every entry must stay inside the run's folder (no
 * absolute paths, no `..`, no links), and the archive must not expand beyond a limit.
 */
import * as fs from 'fs';
import * as path from 'path';
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
}

function openZip(file: string): Promise<ZipFile> {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const yauzl = require('yauzl') as typeof import('yauzl');
  return new Promise((resolve, reject) => {
    // decodeStrings false: names are checked here, with messages that say which entry and why.
    yauzl.open(file, { lazyEntries: true, decodeStrings: false, validateEntrySizes: true }, (error, zip) => {
      if (error || !zip) reject(new ZipRejectedError(`project.zip is not a valid zip archive: ${error?.message ?? 'unreadable'}`));
      else resolve(zip);
    });
  });
}

const S_IFMT = 0o170000;
const S_IFLNK = 0o120000;

function entryName(entry: Entry): string {
  const raw = entry.fileName as unknown as Buffer;
  // Bit 11: the name is UTF-8; otherwise CP437, of which ASCII is the common part.
  return (entry.generalPurposeBitFlag & 0x800) !== 0 ? raw.toString('utf8') : raw.toString('latin1');
}

/** Why an entry name is refused, or undefined when it is a safe relative path. */
export function unsafeEntryReason(name: string): string | undefined {
  if (name.includes('\0')) return 'has a NUL character';
  if (name.includes('\\')) return 'uses backslashes';
  if (name.startsWith('/') || /^[A-Za-z]:/.test(name)) return 'is an absolute path';
  if (name.split('/').some((segment) => segment === '..')) return 'escapes the project folder (..)';
  return undefined;
}

/** Lists the archive's entries after checking every one; throws ZipRejectedError with the reason. */
export async function inspectZip(file: string, limits: ZipLimits): Promise<ZipEntryInfo[]> {
  const zip = await openZip(file);
  const entries: ZipEntryInfo[] = [];
  let total = 0;
  try {
    await new Promise<void>((resolve, reject) => {
      zip.on('error', (error: Error) => reject(new ZipRejectedError(`project.zip is not a valid zip archive: ${error.message}`)));
      zip.on('end', () => resolve());
      zip.on('entry', (entry: Entry) => {
        const name = entryName(entry);
        const reason = unsafeEntryReason(name);
        if (reason) return reject(new ZipRejectedError(`project.zip entry ${JSON.stringify(name)} ${reason}`));
        if (((entry.externalFileAttributes >>> 16) & S_IFMT) === S_IFLNK) {
          return reject(new ZipRejectedError(`project.zip entry ${JSON.stringify(name)} is a symbolic link`));
        }
        total += entry.uncompressedSize;
        if (total > limits.maxExtractedBytes) {
          return reject(new ZipRejectedError(`project.zip expands to more than ${limits.maxExtractedBytes} bytes`));
        }
        if (entries.length >= limits.maxEntries) return reject(new ZipRejectedError(`project.zip has more than ${limits.maxEntries} entries`));
        entries.push({ name, directory: name.endsWith('/'), size: entry.uncompressedSize });
        zip.readEntry();
      });
      zip.readEntry();
    });
  } finally {
    zip.close();
  }
  return entries;
}

/** Extracts an archive inspectZip accepted into `destination`, checking every path again. */
export async function extractZip(file: string, destination: string): Promise<void> {
  const root = path.resolve(destination);
  fs.mkdirSync(root, { recursive: true });
  const zip = await openZip(file);
  try {
    await new Promise<void>((resolve, reject) => {
      zip.on('error', reject);
      zip.on('end', () => resolve());
      zip.on('entry', (entry: Entry) => {
        const name = entryName(entry);
        const target = path.resolve(root, name);
        if (unsafeEntryReason(name) || (target !== root && !target.startsWith(root + path.sep))) {
          return reject(new ZipRejectedError(`project.zip entry ${JSON.stringify(name)} escapes the project folder`));
        }
        if (name.endsWith('/')) {
          fs.mkdirSync(target, { recursive: true });
          zip.readEntry();
          return;
        }
        fs.mkdirSync(path.dirname(target), { recursive: true });
        zip.openReadStream(entry, (error, stream) => {
          if (error || !stream) return reject(error ?? new Error('unreadable entry'));
          pipeline(stream, fs.createWriteStream(target, { mode: 0o644 })).then(() => zip.readEntry(), reject);
        });
      });
      zip.readEntry();
    });
  } finally {
    zip.close();
  }
}
