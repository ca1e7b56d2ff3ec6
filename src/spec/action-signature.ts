/**
 * What an action's signature names besides its schema types: the second argument (a context that
 * carries the accounts and the per-call settings) and the values a file part accepts. The
 * generated types import these, and only these, from outside their folder.
 */
import type { Readable } from 'stream';
import type { Account } from '../account/account';
import type { CallOptions } from '../http/call-options';

/**
 * What actions take as their second argument: a DataFire Context, or any object with the same
 * `accounts` map. An account given as a string is an alias of another entry (DataFire's rule).
 */
export interface ActionContext extends CallOptions {
  accounts?: Record<string, Account | string | undefined>;
  type?: string;
  variables?: Record<string, unknown>;
}

export type FileEncoding = 'ascii' | 'utf8' | 'utf16le' | 'base64' | 'binary' | 'hex';

/** DataFire's file object: `content` decoded with `encoding` (as text when absent). */
export interface DataFireFile {
  content: string;
  encoding?: FileEncoding;
  contentType?: string;
  filename?: string;
}

/** A file on disk, streamed with its length from stat: never read whole into memory. */
export interface PathFile {
  path: string;
  contentType?: string;
  filename?: string;
}

/**
 * A file part: text, bytes, a stream (sent once: it cannot be rebuilt for a second attempt),
 * DataFire's file object, or a file on disk.
 */
export type FileInput = string | Buffer | Uint8Array | Readable | NodeJS.ReadableStream | DataFireFile | PathFile;
