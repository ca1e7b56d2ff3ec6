/**
 * `downloadOutputs`: every artifact of a run under a prefix (default `outputs/`), written to
 * `<to>/<artifact path>`. Several files at once; each read in bounded ranges from its signed link
 * (no bearer token), written as it comes to a `.part` file that is renamed when whole, so memory
 * stays small whatever the size and an interrupted download never leaves a truncated file under
 * the real name. A file already there with the artifact's size is skipped.
 */
import { randomBytes } from 'crypto';
import * as fs from 'fs';
import * as path from 'path';
import type { CallOptions } from '../../http/call-options';
import { AzureMLAbortError, AzureMLNotFoundError, AzureMLResponseFormatError, AzureMLValidationError } from '../../errors';
import { fetchRangeInto } from '../../http/fetch-range';
import type { SendRequest } from '../../http/pipeline';
import { linksOf, workflowAction, type WorkflowContext } from '../context';
import { resolveRun, type RunRef } from '../locator';
import { iterateArtifacts } from './artifacts';

export interface DownloadOutputsOptions extends Pick<CallOptions, 'signal'> {
  /** The folder to write into (made when missing): each artifact goes to `<to>/<its path>`. */
  to: string;
  /** Only artifacts whose path starts with this (default `outputs/`; `''` for every artifact, logs included). */
  prefix?: string;
  /** Files downloaded at once (default 4). */
  concurrency?: number;
  /** Bytes per range request (default 64 MiB), each written to disk as it arrives: a failed request reads its piece again. */
  pieceBytes?: number;
  /** Told as files start, progress and end. */
  onProgress?: (progress: DownloadProgress) => void;
}

export interface DownloadProgress {
  /** The artifact path, e.g. `outputs/model.pkl`. */
  path: string;
  /** Where it is written. */
  file: string;
  state: 'started' | 'progress' | 'done' | 'skipped';
  bytes: number;
  /** The artifact's size, when the service said it. */
  totalBytes?: number;
  filesDone: number;
  filesTotal: number;
}

export interface DownloadedFile {
  path: string;
  file: string;
  bytes: number;
  /** Already there with the same size: not downloaded again. */
  skipped: boolean;
}

export interface DownloadedOutputs {
  runId: string;
  to: string;
  files: DownloadedFile[];
  /** Bytes downloaded (skipped files not counted). */
  bytes: number;
}

/** A range per request: large, since nothing of it is held in memory; small enough that a failed piece is cheap to read again. */
const DEFAULT_PIECE_BYTES = 64 * 1024 * 1024;

/** The local file for an artifact path; a path that would leave `to` is the service's error, refused before anything is written. */
function localFile(to: string, artifactPath: string, action: string): string {
  // An empty path, a leading or doubled slash and a trailing one all make an empty segment.
  const segments = artifactPath.split('/');
  // eslint-disable-next-line no-control-regex -- control characters are what this check refuses
  const bad = /[\u0000-\u001f\\]/.test(artifactPath) || segments.some((s) => s === '' || s === '.' || s === '..');
  const file = path.resolve(to, ...segments);
  // The second check cannot fail after the first: it is there should the first ever be loosened.
  if (bad || !file.startsWith(path.resolve(to) + path.sep)) {
    throw new AzureMLResponseFormatError({
      action,
      statusCode: 200,
      body: '',
      reason: `the artifact path ${JSON.stringify(artifactPath)} would be written outside ${to}; nothing was downloaded`,
    });
  }
  return file;
}

/** The artifact's size from a HEAD of its link, when the server tells it. */
async function remoteSize(send: SendRequest, url: string, action: string, signal?: AbortSignal): Promise<number | undefined> {
  try {
    const response = await send({ method: 'head', url, headers: {}, responseType: 'buffer', action, baseUrl: new URL(url).origin, signal, maxResponseBytes: 0 });
    const length = Number(response.headers['content-length']);
    return response.status === 200 && Number.isSafeInteger(length) ? length : undefined;
  } catch (error) {
    if (error instanceof AzureMLAbortError) throw error;
    return undefined; // no HEAD: the file is downloaded again
  }
}

async function downloadFile(
  send: SendRequest,
  url: string,
  file: string,
  pieceBytes: number,
  action: string,
  signal: AbortSignal | undefined,
  progress: (bytes: number, total?: number) => void,
): Promise<number> {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const part = `${file}.${randomBytes(4).toString('hex')}.part`;
  const handle = await fs.promises.open(part, 'wx');
  try {
    // Each chunk is written where it belongs as it arrives: memory holds a chunk, not a piece.
    const write = async (chunk: Buffer, position: number) => {
      for (let offset = 0; offset < chunk.length;) offset += (await handle.write(chunk, offset, chunk.length - offset, position + offset)).bytesWritten;
    };
    let written = 0;
    let total: number | undefined;
    for (;;) {
      const piece = await fetchRangeInto(send, url, written, pieceBytes, action, write, signal);
      total ??= piece.totalSize;
      written += piece.bytes;
      progress(written, total);
      if (piece.bytes === 0 || (total !== undefined && written >= total)) break;
    }
    if (total !== undefined && written !== total) {
      throw new AzureMLResponseFormatError({ action, statusCode: 206, body: '', reason: `the link of ${path.basename(file)} gave ${written} of its ${total} bytes` });
    }
    await handle.close();
    fs.renameSync(part, file);
    return written;
  } catch (error) {
    await handle.close().catch(() => undefined);
    fs.rmSync(part, { force: true });
    throw error;
  }
}

export async function downloadOutputs(ctx: WorkflowContext, ref: RunRef, options: DownloadOutputsOptions): Promise<DownloadedOutputs> {
  const action = workflowAction('downloadOutputs');
  const { to, prefix = 'outputs/', concurrency = 4, pieceBytes = DEFAULT_PIECE_BYTES, signal, onProgress } = (options ?? {}) as DownloadOutputsOptions;
  const problems = [
    typeof to !== 'string' || to === '' ? { path: 'to', message: 'is required: the folder to write the files into' } : undefined,
    typeof prefix !== 'string' ? { path: 'prefix', message: `must be a string (got ${JSON.stringify(prefix)})` } : undefined,
    !Number.isSafeInteger(concurrency) || concurrency < 1 || concurrency > 64
      ? { path: 'concurrency', message: `must be a whole number from 1 to 64 (got ${JSON.stringify(concurrency)})` }
      : undefined,
    !Number.isSafeInteger(pieceBytes) || pieceBytes < 4096
      ? { path: 'pieceBytes', message: `must be a whole number of bytes, 4096 or more (got ${JSON.stringify(pieceBytes)})` }
      : undefined,
  ].filter((p) => p !== undefined);
  if (problems.length) throw new AzureMLValidationError({ action, problems });
  const run = resolveRun(ref, ctx.defaults, action);

  const artifacts: Array<{ path: string; url: string; file: string }> = [];
  for await (const info of iterateArtifacts(ctx, run, prefix, action, { signal })) {
    if (typeof info.path !== 'string' || typeof info.contentUri !== 'string') continue;
    artifacts.push({ path: info.path, url: info.contentUri, file: localFile(to, info.path, action) });
  }
  if (!artifacts.length) {
    const what = prefix ? `artifacts under ${prefix}` : 'artifacts';
    throw new AzureMLNotFoundError({ action, what: `${what} of run ${run.runId}`, message: `Run ${run.runId} has no ${what}` });
  }

  const send = linksOf(ctx);
  const files: DownloadedFile[] = new Array(artifacts.length);
  let filesDone = 0;
  let bytes = 0;
  let cursor = 0;
  const tell = (artifact: { path: string; file: string }, state: DownloadProgress['state'], done: number, totalBytes?: number) =>
    onProgress?.({ path: artifact.path, file: artifact.file, state, bytes: done, ...(totalBytes !== undefined ? { totalBytes } : {}), filesDone, filesTotal: artifacts.length });

  let failed = false;
  const worker = async () => {
    while (cursor < artifacts.length && !failed) {
      const index = cursor++;
      const artifact = artifacts[index];
      if (signal?.aborted) throw new AzureMLAbortError({ action, reason: signal.reason });
      const existing = fs.statSync(artifact.file, { throwIfNoEntry: false });
      if (existing?.isFile()) {
        const size = await remoteSize(send, artifact.url, action, signal);
        if (size === existing.size) {
          files[index] = { path: artifact.path, file: artifact.file, bytes: size, skipped: true };
          filesDone++;
          tell(artifact, 'skipped', size, size);
          continue;
        }
      }
      tell(artifact, 'started', 0);
      const got = await downloadFile(send, artifact.url, artifact.file, pieceBytes, action, signal, (done, total) => tell(artifact, 'progress', done, total));
      bytes += got;
      files[index] = { path: artifact.path, file: artifact.file, bytes: got, skipped: false };
      filesDone++;
      tell(artifact, 'done', got, got);
    }
  };
  // The first failure ends the download: the workers still running finish their current file.
  await Promise.all(
    Array.from({ length: Math.min(concurrency, artifacts.length) }, () =>
      worker().catch((error: unknown) => {
        failed = true;
        throw error;
      }),
    ),
  );
  return { runId: run.runId, to, files, bytes };
}
