/**
 * A project folder as a v2 code version, as azure-ai-ml uploads code, only better:
 * 1. the folder is hashed (project/code-hash.ts: the files it sends after .amlignore/.gitignore,
 *    by name, size and content; the same on every machine);
 * 2. CodeVersions_Get with that hash as the version: when it exists, nothing is uploaded;
 * 3. else CodeVersions_CreateOrGetStartPendingUpload gives a SAS link to a container, and the files
 *    go there loose (not zipped) with @azure/storage-blob: several files at once, each large one
 *    in blocks sent in parallel, read from disk in bounded pieces, each request retried;
 * 4. CodeVersions_CreateOrUpdate registers the folder's URL as the version's codeUri.
 * @azure/storage-blob is loaded here only: the v1 path never loads it.
 */
import { isIP } from 'net';
import * as path from 'path';
import { displayUrl, isLoopbackHostname } from '../../account/secure-url';
import { AzureMLAbortError, AzureMLError, AzureMLServiceError } from '../../errors';
import { hashProject } from '../../project/code-hash';
import type { ProjectFile } from '../../project/project-files';
import { listProjectFiles } from '../../project/project-files';
import type { V2Actions } from '../../spec/arm/types';
import type { WorkspaceLocator } from '../locator';

export interface UploadCodeOptions {
  /** The code asset's name (default: the folder's name, made a valid asset name). */
  codeName?: string;
  signal?: AbortSignal;
  /** Told the bytes sent so far, of how many (the whole project; 0 of n when nothing needed sending). */
  onProgress?: (progress: { uploadedBytes: number; totalBytes: number }) => void;
  /** Files sent at once (default 8). */
  concurrency?: number;
  /** Told about ignore files the user may not have meant (an empty .amlignore). */
  onWarning?: (message: string) => void;
  /** Put before @azure/storage-blob's User-Agent. */
  userAgentPrefix?: string;
}

export interface UploadedCode {
  /** The version's ARM id: a job's `codeId`. */
  codeId: string;
  name: string;
  /** The content hash of the project, which is the version. */
  version: string;
  files: number;
  totalBytes: number;
  /** Bytes sent: 0 when the version was there already. */
  uploadedBytes: number;
  /** The version existed: nothing was uploaded. */
  reused: boolean;
  /** Time spent sending the files, from the first request to the last answer (0 when reused). */
  uploadMs: number;
}

const ACTION = 'azureml-execution/uploadCode';
/** Files larger than this go in blocks, several at once; smaller ones in one request. */
const SINGLE_SHOT_BYTES = 8 * 1024 * 1024;
const BLOCK_BYTES = 8 * 1024 * 1024;

/** A valid code asset name from a folder name: `My Project!` -> `My_Project_`. */
export function codeNameOf(dir: string): string {
  const base = path.basename(path.resolve(dir)).replace(/[^a-zA-Z0-9\-_]/g, '_');
  const name = /^[a-zA-Z0-9]/.test(base) ? base : `code${base}`;
  return name.slice(0, 255) || 'code';
}

/** The container URL and the blob folder of a pending upload's SAS link (the link may name a folder in the container). */
export function splitSasUri(sasUri: string): { containerUrl: string; prefix: string } {
  const url = new URL(sasUri);
  // A SAS is a credential: over plain http only to this machine (the emulator).
  if (url.protocol !== 'https:' && !(url.protocol === 'http:' && isLoopbackHostname(url.hostname))) {
    throw new AzureMLError({ message: `Action ${ACTION}: the pending upload's SAS link is not https (${displayUrl(sasUri)}); it is not used`, action: ACTION });
  }
  const segments = url.pathname.split('/').filter(Boolean);
  // IP-style (the emulator, Azurite): /account/container/...; else /container/...
  // A host in brackets is an IPv6 address (the URL parser allows nothing else there).
  const ipStyle = isIP(url.hostname) !== 0 || url.hostname.startsWith('[') || url.hostname === 'localhost';
  const keep = ipStyle ? 2 : 1;
  const containerPath = segments.slice(0, keep).join('/');
  let prefix: string;
  try {
    prefix = segments.slice(keep).map(decodeURIComponent).join('/');
  } catch {
    throw new AzureMLError({ message: `Action ${ACTION}: the pending upload's SAS link has malformed percent-encoding (${displayUrl(sasUri)}); it is not used`, action: ACTION });
  }
  return { containerUrl: `${url.origin}/${containerPath}${url.search}`, prefix };
}

async function uploadFiles(
  sasUri: string,
  files: ProjectFile[],
  folder: string,
  totalBytes: number,
  options: UploadCodeOptions,
): Promise<{ uploadedBytes: number; folderUrl: string; uploadMs: number }> {
  const { ContainerClient } = require('@azure/storage-blob') as typeof import('@azure/storage-blob');
  const { containerUrl, prefix } = splitSasUri(sasUri);
  const { AnonymousCredential } = require('@azure/storage-blob') as typeof import('@azure/storage-blob');
  // The SAS in the URL is the credential: no token of the account goes to storage.
  const container = new ContainerClient(containerUrl, new AnonymousCredential(), { userAgentOptions: { userAgentPrefix: options.userAgentPrefix ?? 'azureml-execution' } });
  const base = [prefix, folder].filter(Boolean).join('/');
  const perFile = new Map<string, number>();
  let uploadedBytes = 0;
  const report = () => options.onProgress?.({ uploadedBytes: [...perFile.values()].reduce((a, b) => a + b, 0), totalBytes });
  const queue = [...files].sort((a, b) => b.size - a.size); // the big ones first: the last to finish is small
  // Timed from the first request: loading @azure/storage-blob (once per process) is not the upload.
  const started = process.hrtime.bigint();
  const workers = Array.from({ length: Math.max(1, Math.min(options.concurrency ?? 8, queue.length)) }, async () => {
    for (let file = queue.shift(); file; file = queue.shift()) {
      const blob = container.getBlockBlobClient(`${base}/${file.name}`);
      const name = file.name;
      await blob.uploadFile(file.absolute, {
        abortSignal: options.signal,
        blockSize: BLOCK_BYTES,
        maxSingleShotSize: SINGLE_SHOT_BYTES,
        concurrency: 4,
        blobHTTPHeaders: { blobContentType: 'application/octet-stream' },
        onProgress: (progress) => {
          perFile.set(name, progress.loadedBytes);
          report();
        },
      });
      perFile.set(name, file.size);
      uploadedBytes += file.size;
      report();
    }
  });
  await Promise.all(workers);
  const uploadMs = Number(process.hrtime.bigint() - started) / 1e6;
  // The container's URL without its SAS: the version records where the files are, not the credential.
  const folderUrl = `${containerUrl.split('?')[0]}/${base.split('/').map(encodeURIComponent).join('/')}`;
  return { uploadMs, uploadedBytes, folderUrl };
}

export async function uploadCode(v2: V2Actions, workspace: WorkspaceLocator, dir: string, options: UploadCodeOptions = {}): Promise<UploadedCode> {
  const files = listProjectFiles(dir, { onWarning: options.onWarning });
  const { hash, totalBytes } = await hashProject(dir, files);
  const name = options.codeName ?? codeNameOf(dir);
  const call = { signal: options.signal };
  const locator = { ...workspace, name, version: hash };
  try {
    const existing = await v2.CodeVersions_Get(locator, call);
    options.onProgress?.({ uploadedBytes: 0, totalBytes });
    return { codeId: String(existing.id), name, version: hash, files: files.length, totalBytes, uploadedBytes: 0, reused: true, uploadMs: 0 };
  } catch (error) {
    if (!(error instanceof AzureMLServiceError && error.statusCode === 404)) throw error;
  }
  const pending = await v2.CodeVersions_CreateOrGetStartPendingUpload(
    { ...locator, body: { pendingUploadId: hash.slice(0, 32), pendingUploadType: 'TemporaryBlobReference' } },
    call,
  );
  const sasUri =
    pending.blobReferenceForConsumption?.credential && 'sasUri' in pending.blobReferenceForConsumption.credential
      ? pending.blobReferenceForConsumption.credential.sasUri
      : undefined;
  if (!sasUri) throw new AzureMLError({ message: `Action ${ACTION}: the pending upload of ${name}:${hash} gave no SAS link to upload to`, action: ACTION });
  let uploaded: { uploadedBytes: number; folderUrl: string; uploadMs: number };
  try {
    uploaded = await uploadFiles(sasUri, files, name, totalBytes, options);
  } catch (error) {
    if (options.signal?.aborted) throw new AzureMLAbortError({ action: ACTION, reason: options.signal.reason });
    if (error instanceof AzureMLError) throw error;
    // The storage client's errors carry the SAS URL in their request: only the message and code are kept.
    const { message, code, statusCode } = error as { message?: string; code?: string; statusCode?: number };
    const reason = (message ?? String(error)).replace(/([?&]sig=)[^&\s"]+/gi, '$1REDACTED');
    throw new AzureMLError({ message: `Action ${ACTION} could not upload ${dir}: ${reason}${code ? ` (${code}${statusCode ? `, ${statusCode}` : ''})` : ''}`, action: ACTION });
  }
  const registered = await v2.CodeVersions_CreateOrUpdate({ ...locator, body: { properties: { codeUri: uploaded.folderUrl, isAnonymous: false } } }, call);
  return { codeId: String(registered.id), name, version: hash, files: files.length, totalBytes, uploadedBytes: uploaded.uploadedBytes, reused: false, uploadMs: uploaded.uploadMs };
}
