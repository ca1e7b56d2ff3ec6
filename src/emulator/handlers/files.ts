/**
 * A run's log and output files, as Run History hands them out: signed URLs (like blob SAS links,
 * no bearer token) that answer HTTP Range requests, so a log can be followed from the last byte read.
 */
import * as fs from 'fs';
import type { IncomingMessage, ServerResponse } from 'http';
import * as path from 'path';
import type { EmulatorContext } from '../context';
import { HttpError } from '../http-util';

const PREFIX = '/emulator/v1.0/runs/';
const SERVED = [/^azureml-logs\/[^/]+$/, /^work\/outputs\/.+$/];

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

export function handleFile(ctx: EmulatorContext, url: URL, req: IncomingMessage, res: ServerResponse): void {
  if (req.method !== 'GET' && req.method !== 'HEAD') throw new HttpError(405, 'UserError', 'Files are read with GET or HEAD');
  const rest = url.pathname.slice(PREFIX.length);
  const slash = rest.indexOf('/files/');
  const dir = decodeURIComponent(rest.slice(0, slash));
  const file = rest.slice(slash + '/files/'.length).split('/').map(decodeURIComponent).join('/');
  const run = slash > 0 ? ctx.store.findRunByDir(dir) : undefined;
  if (!run || url.searchParams.get('sig') !== run.fileToken) throw new HttpError(403, 'UserError', 'The file link is not valid (unknown run or wrong signature)');
  if (!SERVED.some((pattern) => pattern.test(file)) || file.split('/').includes('..')) throw new HttpError(404, 'UserError', `No file ${file} in run ${run.runId}`);
  const full = path.join(ctx.store.runDir(run), file);
  let size: number;
  try {
    const stat = fs.statSync(full);
    if (!stat.isFile()) throw new Error('not a file');
    size = stat.size;
  } catch {
    throw new HttpError(404, 'UserError', `No file ${file} in run ${run.runId} (yet)`);
  }
  const headers: Record<string, string | number> = {
    'content-type': file.endsWith('.txt') || file.endsWith('.log') ? 'text/plain; charset=utf-8' : 'application/octet-stream',
    'accept-ranges': 'bytes',
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
  fs.createReadStream(full, { start, end }).pipe(res);
}
