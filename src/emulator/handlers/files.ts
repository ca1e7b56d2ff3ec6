/**
 * A run's log and output files, as Run History hands them out: signed URLs (like blob SAS links,
 * no bearer token) that answer HTTP Range requests, so a log can be followed from the last byte read.
 */
import * as fs from 'fs';
import type { IncomingMessage, ServerResponse } from 'http';
import * as path from 'path';
import type { EmulatorContext } from '../context';
import { FILE_LINK_PREFIX } from '../file-links';
import { pipeline } from 'stream/promises';
import { HttpError, sameSecret } from '../http-util';
import { inside } from '../names';
import { uploadTarget } from '../artifacts';
import { PRIVATE_FILE } from '../store';
import { randomBytes } from 'crypto';
import { isTerminalStatus } from '../../spec/run-status';
import { decodePathSegment, type PlainRoute } from '../routes';

const PREFIX = FILE_LINK_PREFIX;
/** What links may name: the run's logs, what the script wrote under outputs/ and logs/, and its artifacts folder. */
const SERVED = [/^azureml-logs\/.+$/, /^user_logs\/.+$/, /^work\/outputs\/.+$/, /^work\/logs\/.+$/, /^artifacts\/.+$/];

/** `bytes=a-b`, `bytes=a-`, `bytes=-n` against a size: the inclusive range, or 'unsatisfiable'. */
export function parseRange(header: string, size: number): { start: number; end: number } | 'unsatisfiable' | undefined {
  const match = /^bytes=(\d*)-(\d*)$/.exec(header.trim());
  if (!match || (match[1] === '' && match[2] === '')) return undefined; // ignored, as RFC 9110 allows
  if (match[1] === '') {
    const suffix = Number(match[2]);
    return suffix === 0 ? 'unsatisfiable' : { start: Math.max(0, size - suffix), end: size - 1 };
  }
  const start = Number(match[1]);
  const end = match[2] === '' ? size - 1 : Math.min(Number(match[2]), size - 1);
  if (start >= size || end < start) return 'unsatisfiable';
  return { start, end };
}

export function isFileRoute(pathname: string): boolean {
  return pathname.startsWith(PREFIX);
}

/**
 * Opens a served file without following links and without blocking: a script controls what is in
 * its folder, and may leave a link to a file outside it, a FIFO (whose open would block a worker
 * thread for ever) or a file it made unreadable. Each of those is a 4xx, never a crash or a leak.
 */
async function openServedFile(runRoot: string, full: string, label: string): Promise<{ fd: fs.promises.FileHandle; size: number }> {
  const flags = fs.constants.O_RDONLY | fs.constants.O_NOFOLLOW | fs.constants.O_NONBLOCK;
  let handle: fs.promises.FileHandle;
  try {
    handle = await fs.promises.open(full, flags);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ELOOP' || code === 'EMLINK') throw new HttpError(403, 'UserError', `${label} is a link: links are not served`);
    if (code === 'EACCES' || code === 'EPERM') throw new HttpError(403, 'UserError', `${label} is not readable`);
    throw new HttpError(404, 'UserError', `${label} was not found (yet)`);
  }
  try {
    const stat = await handle.stat();
    if (!stat.isFile()) throw new HttpError(403, 'UserError', `${label} is not a regular file`);
    // O_NOFOLLOW guards the last name only: a folder on the way may be a link. What was opened must lie in the run's folder.
    const real = await fs.promises.realpath(process.platform === 'linux' ? `/proc/self/fd/${handle.fd}` : full);
    if (real !== full || !real.startsWith(runRoot + path.sep)) throw new HttpError(403, 'UserError', `${label} lies behind a link: links are not served`);
    return { fd: handle, size: stat.size };
  } catch (error) {
    await handle.close();
    throw error;
  }
}

/**
 * An emulator addition that a real service does not have: a client that follows a log may add
 * `wait=<seconds>` (1 to MAX_WAIT_SECONDS) to a file link with a Range from the byte it has read
 * to. While the file holds nothing past that byte and the run has not ended, the answer waits
 * for it (at most that long, and no longer than the run's status stays as it was), so a line
 * shows as soon as it is written, and a new status at once, without polling. `since` (below)
 * lets a browser wait the same way without error answers. Every
 * file answer says it in the header WAIT_HEADER (the longest wait it takes, in seconds).
 */
export const WAIT_HEADER = 'x-azureml-emulator-log-wait';
export const MAX_WAIT_SECONDS = 30;
/** A file that grows is noticed by fs.watch; this catches what it misses, and the run's end. */
const RECHECK_MS = 200;

function waitOf(url: URL): number | undefined {
  const given = url.searchParams.get('wait');
  if (given === null) return undefined;
  const seconds = Number(given);
  if (!/^\d+(\.\d+)?$/.test(given) || seconds <= 0 || seconds > MAX_WAIT_SECONDS) {
    throw new HttpError(400, 'ValidationError', `wait must be a number of seconds from 1 to ${MAX_WAIT_SECONDS} (got ${JSON.stringify(given.slice(0, 20))})`, { target: 'wait' });
  }
  return seconds;
}

/**
 * `since=<bytes>` with `wait`: hold the answer until the file is larger than that, whatever the
 * Range asks. A reader that asks again for the last byte it has (`bytes=<since-1>-`) is then
 * answered 206 with that byte at least, never a 416 (which a browser logs as an error), or, with
 * no Range on an empty file, 200.
 */
function sinceOf(url: URL): number | undefined {
  const given = url.searchParams.get('since');
  if (given === null) return undefined;
  if (!/^\d{1,15}$/.test(given)) throw new HttpError(400, 'ValidationError', `since must be a byte count (got ${JSON.stringify(given.slice(0, 20))})`, { target: 'since' });
  return Number(given);
}

function sizeOf(file: string): number {
  try {
    return fs.lstatSync(file).size;
  } catch {
    return 0;
  }
}

/** Resolves when `file` is larger than `from`, `changed()` says so (the run's status), `ms` have passed or the client has gone. */
function waitForGrowth(file: string, from: number, changed: () => boolean, ms: number, res: ServerResponse): Promise<void> {
  return new Promise((resolve) => {
    let watcher: fs.FSWatcher | undefined;
    const check = () => {
      if (sizeOf(file) > from || changed()) finish();
    };
    const finish = () => {
      clearTimeout(deadline);
      clearInterval(recheck);
      watcher?.close();
      res.off('close', finish);
      resolve();
    };
    const deadline = setTimeout(finish, ms);
    const recheck = setInterval(check, RECHECK_MS);
    res.once('close', finish);
    try {
      watcher = fs.watch(file, { persistent: false }, check);
      watcher.on('error', () => undefined); // the recheck goes on
    } catch {
      // not there yet: the recheck goes on
    }
    check();
  });
}

/** Largest artifact one PUT writes (a blob's single-put limit is 5,000 MiB; the emulator keeps less). */
export const MAX_ARTIFACT_UPLOAD_BYTES = 1024 * 1024 * 1024;

/**
 * A PUT to the link of an artifact made by RunArtifacts_BatchCreateEmptyArtifacts writes its
 * content, as a client writes a block blob through its SAS URL: only in the run's own
 * `artifacts/` folder (never the script's), through a temporary file renamed when whole.
 */
async function uploadArtifact(runRoot: string, file: string, runId: string, req: IncomingMessage, res: ServerResponse): Promise<void> {
  if (!file.startsWith('artifacts/')) throw new HttpError(403, 'UserError', `${file} of run ${runId} is written by the run, not uploaded`);
  const blobType = req.headers['x-ms-blob-type'];
  if (blobType !== undefined && blobType !== 'BlockBlob') throw new HttpError(400, 'UserError', `x-ms-blob-type ${String(blobType)} is not supported: upload a BlockBlob`);
  const declared = Number(req.headers['content-length'] ?? NaN);
  if (Number.isFinite(declared) && declared > MAX_ARTIFACT_UPLOAD_BYTES) throw new HttpError(413, 'UserError', `An artifact upload is at most ${MAX_ARTIFACT_UPLOAD_BYTES} bytes`);
  const target = uploadTarget(runRoot, file.slice('artifacts/'.length));
  const temporary = `${target}.${randomBytes(6).toString('hex')}.upload`;
  const handle = await fs.promises.open(temporary, fs.constants.O_WRONLY | fs.constants.O_CREAT | fs.constants.O_EXCL | fs.constants.O_NOFOLLOW, PRIVATE_FILE);
  let size = 0;
  try {
    for await (const chunk of req as AsyncIterable<Buffer>) {
      size += chunk.length;
      if (size > MAX_ARTIFACT_UPLOAD_BYTES) throw new HttpError(413, 'UserError', `An artifact upload is at most ${MAX_ARTIFACT_UPLOAD_BYTES} bytes`);
      await handle.write(chunk);
    }
    // A body shorter than it said is not kept, however its stream ended (a cut one also fails the loop above).
    if (!req.complete || (Number.isFinite(declared) && size !== declared)) {
      throw new HttpError(400, 'UserError', `The upload ended after ${size} bytes${Number.isFinite(declared) ? ` of its ${declared}` : ''}: nothing was kept`);
    }
    await handle.close();
    // A link planted at the name is replaced, not written through: rename does not follow it.
    fs.renameSync(temporary, target);
  } catch (error) {
    await handle.close().catch(() => undefined);
    fs.rmSync(temporary, { force: true });
    throw error;
  }
  const stat = fs.statSync(target);
  res.writeHead(201, { etag: `"0x${stat.mtimeMs.toString(16).replace('.', '')}${size.toString(16)}"`, 'last-modified': stat.mtime.toUTCString(), 'content-length': 0 });
  res.end();
}

export async function handleFile(ctx: EmulatorContext, url: URL, req: IncomingMessage, res: ServerResponse): Promise<void> {
  if (req.method !== 'GET' && req.method !== 'HEAD' && req.method !== 'PUT')
    throw new HttpError(405, 'UserError', 'Files are read with GET or HEAD (and artifacts written with PUT)');
  const rest = url.pathname.slice(PREFIX.length);
  const slash = rest.indexOf('/files/');
  const dir = slash > 0 ? decodePathSegment(rest.slice(0, slash), 'run') : '';
  const file =
    slash > 0
      ? rest
          .slice(slash + '/files/'.length)
          .split('/')
          .map((segment) => decodePathSegment(segment, 'file'))
          .join('/')
      : '';
  const run = slash > 0 ? ctx.store.findRunByDir(dir) : undefined;
  if (!run || !sameSecret(url.searchParams.get('sig') ?? '', run.fileToken)) throw new HttpError(403, 'UserError', 'The file link is not valid (unknown run or wrong signature)');
  const segments = file.split('/');
  if (!SERVED.some((pattern) => pattern.test(file)) || segments.some((s) => s === '..' || s === '.' || s === '' || s.includes('\0'))) {
    throw new HttpError(404, 'UserError', `No file ${file} in run ${run.runId}`);
  }
  const runRoot = ctx.store.runDir(run);
  if (req.method === 'PUT') return uploadArtifact(runRoot, file, run.runId, req, res);
  const full = inside(runRoot, file);
  const label = `${file} of run ${run.runId}`;
  const waitSeconds = waitOf(url);
  // The long poll of a log: nothing past the asked byte (or `since`) yet, and the run may still write it.
  if (waitSeconds && req.method === 'GET') {
    const since = sinceOf(url);
    const start = since ?? Number(/^bytes=(\d+)-/.exec(req.headers.range?.trim() ?? '')?.[1] ?? NaN);
    // Also answered when the run's status changes: the client then sees the new status at once.
    const status = run.status;
    if (Number.isFinite(start) && !isTerminalStatus(status)) await waitForGrowth(full, start, () => run.status !== status, waitSeconds * 1000, res);
  }
  res.setHeader(WAIT_HEADER, String(MAX_WAIT_SECONDS));
  const { fd, size } = await openServedFile(runRoot, full, label);
  let stream: fs.ReadStream | undefined;
  try {
    const headers: Record<string, string | number> = {
      'content-type': file.endsWith('.txt') || file.endsWith('.log') ? 'text/plain; charset=utf-8' : 'application/octet-stream',
      'accept-ranges': 'bytes',
      // A run's files are the script's: never sniffed into a page of the emulator's origin.
      'x-content-type-options': 'nosniff',
      'content-security-policy': "sandbox; default-src 'none'",
    };
    const range = req.headers.range ? parseRange(req.headers.range, size) : undefined;
    if (range === 'unsatisfiable') {
      res.writeHead(416, { ...headers, 'content-range': `bytes */${size}`, 'content-length': 0 });
      res.end();
      return;
    }
    const { start, end } = range ?? { start: 0, end: size - 1 };
    const length = size === 0 ? 0 : end - start + 1;
    res.writeHead(range ? 206 : 200, { ...headers, 'content-length': length, ...(range ? { 'content-range': `bytes ${start}-${end}/${size}` } : {}) });
    if (req.method === 'HEAD' || length === 0) {
      res.end();
      return;
    }
    // The handle is closed by the stream, whatever happens to the answer.
    stream = fd.createReadStream({ start, end, autoClose: true });
    await pipeline(stream, res);
  } finally {
    if (!stream) await fd.close();
  }
}

/** File links of runs (logs and outputs), signed with the run's file token. */
export const fileRoutes: readonly PlainRoute[] = [{ method: 'ANY', matches: isFileRoute, handle: handleFile }];
