/**
 * The emulator's blob endpoint: enough of the Azure Blob REST API for @azure/storage-blob to
 * upload code (Put Blob; Put Block and Put Block List), list it (List Blobs) and read it back (Get
 * Blob with Range, Get Blob Properties), at `{emulator}/emulatorstore/<container>/<blob>` (the
 * IP-style URLs Azurite uses). Every request needs a container SAS the emulator signed
 * (blob-sas.ts): a missing, tampered or expired one gets the service's 403 AuthenticationFailed,
 * a SAS without the right letter its 403 AuthorizationPermissionMismatch. Errors are the
 * service's XML bodies with `x-ms-error-code`.
 */
import { randomUUID } from 'crypto';
import * as fs from 'fs';
import type { IncomingMessage, ServerResponse } from 'http';
import { pipeline } from 'stream/promises';
import type { EmulatorContext } from '../context';
import { BLOB_ACCOUNT, type SasPermission } from '../blob-sas';
import { blobNameProblem, isContainerName, MAX_BLOB_BYTES, MAX_BLOCKS } from '../blob-store';
import { readBody } from '../http-util';
import type { PlainRoute } from '../routes';
import { parseRange } from './files';

const PREFIX = `/${BLOB_ACCOUNT}/`;
const SERVICE_VERSION = '2025-05-05';
const MAX_BLOCK_LIST_BYTES = 8 * 1024 * 1024;

class BlobError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly detail?: string,
  ) {
    super(message);
  }
}

const xmlEscape = (text: string) => text.replace(/[<>&'"]/g, (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', "'": '&apos;', '"': '&quot;' })[c]!);

function baseHeaders(): Record<string, string> {
  return { 'x-ms-request-id': randomUUID(), 'x-ms-version': SERVICE_VERSION, date: new Date().toUTCString() };
}

function sendBlobError(res: ServerResponse, error: BlobError, method: string): void {
  const requestId = randomUUID();
  const body =
    `<?xml version="1.0" encoding="utf-8"?><Error><Code>${error.code}</Code><Message>${xmlEscape(error.message)}\nRequestId:${requestId}\nTime:${new Date().toISOString()}</Message>` +
    `${error.detail ? `<AuthenticationErrorDetail>${xmlEscape(error.detail)}</AuthenticationErrorDetail>` : ''}</Error>`;
  res.writeHead(error.status, {
    ...baseHeaders(),
    'x-ms-request-id': requestId,
    'x-ms-error-code': error.code,
    'content-type': 'application/xml',
    'content-length': Buffer.byteLength(body),
  });
  res.end(method === 'HEAD' ? undefined : body);
}

function blobHeaders(record: { size: number; etag: string; lastModified: string; created: string; contentType: string }): Record<string, string> {
  return {
    ...baseHeaders(),
    etag: record.etag,
    'last-modified': record.lastModified,
    'x-ms-creation-time': record.created,
    'content-type': record.contentType,
    'x-ms-blob-type': 'BlockBlob',
    'x-ms-lease-state': 'available',
    'x-ms-lease-status': 'unlocked',
    'x-ms-server-encrypted': 'true',
    'x-ms-access-tier': 'Hot',
    'x-ms-access-tier-inferred': 'true',
    'accept-ranges': 'bytes',
    // The uploader chose the content type: served from the emulator's own origin (where its
    // dashboard lives), a blob must never run as a page there.
    'x-content-type-options': 'nosniff',
    'content-security-policy': "sandbox; default-src 'none'",
  };
}

/** The container and blob of a path, checked against the service's naming rules. */
function target(pathname: string): { container: string; blob?: string } {
  const rest = pathname.slice(PREFIX.length);
  const slash = rest.indexOf('/');
  const container = slash === -1 ? rest : rest.slice(0, slash);
  if (!isContainerName(container)) throw new BlobError(400, 'InvalidResourceName', 'The specifed resource name contains invalid characters.');
  if (slash === -1 || slash === rest.length - 1) return { container };
  let blob: string;
  try {
    blob = decodeURIComponent(rest.slice(slash + 1));
  } catch {
    throw new BlobError(400, 'InvalidUri', 'The requested URI does not represent any resource on the server.');
  }
  const problem = blobNameProblem(blob);
  if (problem) throw new BlobError(400, 'InvalidResourceName', `The specifed resource name contains invalid characters (the blob name ${problem}).`);
  return { container, blob };
}

function authorize(ctx: EmulatorContext, url: URL, container: string, permission: SasPermission): void {
  const refusal = ctx.blobSigner.refusal(url, container, permission, new Date(ctx.now()));
  if (!refusal) return;
  if (refusal.code === 'AuthorizationPermissionMismatch') throw new BlobError(403, refusal.code, refusal.detail);
  throw new BlobError(
    403,
    refusal.code,
    'Server failed to authenticate the request. Make sure the value of Authorization header is formed correctly including the signature.',
    refusal.detail,
  );
}

async function receiveBody(ctx: EmulatorContext, container: string, req: IncomingMessage, limit: number) {
  const declared = Number(req.headers['content-length']);
  if (Number.isFinite(declared) && declared > limit)
    throw new BlobError(413, 'RequestBodyTooLarge', `The request body is too large and exceeds the maximum permissible limit (${limit} bytes).`);
  try {
    const received = await ctx.blobs.receive(container, req, limit);
    if (Number.isFinite(declared) && received.size !== declared) {
      fs.rmSync(received.tmp, { force: true });
      throw new BlobError(400, 'InvalidInput', `The body has ${received.size} bytes, not the ${declared} of its Content-Length.`);
    }
    const md5 = req.headers['content-md5'];
    if (typeof md5 === 'string' && md5 !== received.md5.toString('base64')) {
      fs.rmSync(received.tmp, { force: true });
      throw new BlobError(400, 'Md5Mismatch', 'The MD5 value specified in the request did not match with the MD5 value calculated by the server.');
    }
    return received;
  } catch (error) {
    if ((error as { tooLarge?: boolean }).tooLarge)
      throw new BlobError(413, 'RequestBodyTooLarge', `The request body is too large and exceeds the maximum permissible limit (${limit} bytes).`);
    throw error;
  }
}

/** `<BlockList><Latest>id</Latest>...</BlockList>`: the ids in order (Latest, Committed and Uncommitted alike). */
function blockIds(xml: string): string[] {
  const list = /<BlockList>([\s\S]*)<\/BlockList>/.exec(xml);
  if (!list) throw new BlobError(400, 'InvalidXmlDocument', 'XML specified is not syntactically valid: no BlockList element.');
  const ids: string[] = [];
  const item = /<(Latest|Committed|Uncommitted)>([^<]*)<\/\1>/g;
  for (let m = item.exec(list[1]); m; m = item.exec(list[1])) ids.push(m[2].trim());
  if (list[1].replace(item, '').trim()) throw new BlobError(400, 'InvalidXmlDocument', 'XML specified is not syntactically valid: unexpected content in BlockList.');
  return ids;
}

function checkBlockId(id: string | null): string {
  if (!id || id.length > 88 || !/^[A-Za-z0-9+/]+={0,2}$/.test(id) || Buffer.from(id, 'base64').length > 64) {
    throw new BlobError(400, 'InvalidQueryParameterValue', 'Value for one of the query parameters specified in the request URI is invalid (blockid).');
  }
  return id;
}

async function putBlob(ctx: EmulatorContext, url: URL, req: IncomingMessage, res: ServerResponse, container: string, blob: string): Promise<void> {
  const comp = url.searchParams.get('comp');
  const now = new Date(ctx.now());
  if (comp === 'block') {
    authorize(ctx, url, container, 'w');
    const id = checkBlockId(url.searchParams.get('blockid'));
    const received = await receiveBody(ctx, container, req, MAX_BLOB_BYTES);
    ctx.blobs.stageBlock(container, blob, id, received.tmp);
    res.writeHead(201, { ...baseHeaders(), 'x-ms-request-server-encrypted': 'true', 'content-md5': received.md5.toString('base64'), 'content-length': '0' });
    return void res.end();
  }
  if (comp === 'blocklist') {
    authorize(ctx, url, container, 'w');
    const ids = blockIds((await readBody(req, MAX_BLOCK_LIST_BYTES)).toString('utf8'));
    if (ids.length > MAX_BLOCKS) throw new BlobError(400, 'BlockListTooLong', `The block list may not contain more than ${MAX_BLOCKS} blocks.`);
    const contentType = String(req.headers['x-ms-blob-content-type'] ?? 'application/octet-stream');
    const result = await ctx.blobs.commitBlocks(container, blob, ids, contentType, now).catch((error: unknown) => {
      if ((error as { tooLarge?: boolean }).tooLarge) throw new BlobError(413, 'RequestBodyTooLarge', `The blob would be larger than ${MAX_BLOB_BYTES} bytes.`);
      throw error;
    });
    if ('missing' in result) throw new BlobError(400, 'InvalidBlockList', 'The specified block list is invalid.');
    res.writeHead(201, { ...baseHeaders(), etag: result.etag, 'last-modified': result.lastModified, 'x-ms-request-server-encrypted': 'true', 'content-length': '0' });
    return void res.end();
  }
  if (comp) throw new BlobError(400, 'UnsupportedQueryParameter', `One of the query parameters specified in the request URI is not supported (comp=${comp}).`);
  authorize(ctx, url, container, 'w');
  if (String(req.headers['x-ms-blob-type'] ?? '') !== 'BlockBlob')
    throw new BlobError(400, 'InvalidHeaderValue', 'The value for one of the HTTP headers is not in the correct format (x-ms-blob-type: BlockBlob).');
  const received = await receiveBody(ctx, container, req, MAX_BLOB_BYTES);
  const contentType = String(req.headers['x-ms-blob-content-type'] ?? req.headers['content-type'] ?? 'application/octet-stream');
  const record = ctx.blobs.commitFile(container, blob, received.tmp, received.size, contentType, now);
  res.writeHead(201, {
    ...baseHeaders(),
    etag: record.etag,
    'last-modified': record.lastModified,
    'content-md5': received.md5.toString('base64'),
    'x-ms-request-server-encrypted': 'true',
    'content-length': '0',
  });
  res.end();
}

function listBlobs(ctx: EmulatorContext, url: URL, res: ServerResponse, container: string): void {
  authorize(ctx, url, container, 'l');
  const prefix = url.searchParams.get('prefix') ?? '';
  const marker = url.searchParams.get('marker') || undefined;
  const asked = Number(url.searchParams.get('maxresults') ?? 5000);
  const max = Number.isInteger(asked) && asked > 0 ? Math.min(asked, 5000) : 5000;
  const page = ctx.blobs.list(container, prefix, marker, max);
  const blobs = page.blobs
    .map(
      (b) =>
        `<Blob><Name>${xmlEscape(b.name)}</Name><Properties><Creation-Time>${b.created}</Creation-Time><Last-Modified>${b.lastModified}</Last-Modified><Etag>${xmlEscape(b.etag)}</Etag>` +
        `<Content-Length>${b.size}</Content-Length><Content-Type>${xmlEscape(b.contentType)}</Content-Type><BlobType>BlockBlob</BlobType><AccessTier>Hot</AccessTier><AccessTierInferred>true</AccessTierInferred>` +
        `<LeaseStatus>unlocked</LeaseStatus><LeaseState>available</LeaseState><ServerEncrypted>true</ServerEncrypted></Properties><OrMetadata /></Blob>`,
    )
    .join('');
  const body =
    `<?xml version="1.0" encoding="utf-8"?><EnumerationResults ServiceEndpoint="${xmlEscape(`${ctx.baseUrl}/${BLOB_ACCOUNT}/`)}" ContainerName="${container}">` +
    `${prefix ? `<Prefix>${xmlEscape(prefix)}</Prefix>` : ''}${marker ? `<Marker>${xmlEscape(marker)}</Marker>` : ''}<MaxResults>${max}</MaxResults><Blobs>${blobs}</Blobs>` +
    `${page.next ? `<NextMarker>${xmlEscape(page.next)}</NextMarker>` : '<NextMarker />'}</EnumerationResults>`;
  res.writeHead(200, { ...baseHeaders(), 'content-type': 'application/xml', 'content-length': Buffer.byteLength(body) });
  res.end(body);
}

async function getBlob(ctx: EmulatorContext, url: URL, req: IncomingMessage, res: ServerResponse, container: string, blob: string): Promise<void> {
  authorize(ctx, url, container, 'r');
  const record = ctx.blobs.get(container, blob);
  if (!record) throw new BlobError(404, 'BlobNotFound', 'The specified blob does not exist.');
  const headers = blobHeaders(record);
  const rangeHeader = req.headers['x-ms-range'] ?? req.headers.range;
  const range = typeof rangeHeader === 'string' ? parseRange(rangeHeader, record.size) : undefined;
  if (range === 'unsatisfiable') {
    throw new BlobError(416, 'InvalidRange', 'The range specified is invalid for the current size of the resource.');
  }
  if (req.method === 'HEAD') {
    res.writeHead(200, { ...headers, 'content-length': String(record.size) });
    return void res.end();
  }
  const start = range?.start ?? 0;
  const end = range?.end ?? record.size - 1;
  const length = record.size === 0 ? 0 : end - start + 1;
  res.writeHead(range ? 206 : 200, {
    ...headers,
    'content-length': String(length),
    ...(range ? { 'content-range': `bytes ${start}-${end}/${record.size}` } : {}),
  });
  if (!length) return void res.end();
  await pipeline(fs.createReadStream(ctx.blobs.dataPath(container, record), { start, end }), res);
}

async function handleBlob(ctx: EmulatorContext, url: URL, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const method = req.method ?? 'GET';
  try {
    const { container, blob } = target(url.pathname);
    if (!ctx.blobs.exists(container)) {
      // The SAS is checked first: without one, nothing is said about what exists.
      authorize(ctx, url, container, 'r');
      throw new BlobError(404, 'ContainerNotFound', 'The specified container does not exist.');
    }
    if (!blob) {
      if (method === 'GET' && url.searchParams.get('restype') === 'container' && url.searchParams.get('comp') === 'list') return listBlobs(ctx, url, res, container);
      throw new BlobError(400, 'UnsupportedHttpVerb', `The resource doesn't support the specified HTTP verb (${method} on a container, without restype=container&comp=list).`);
    }
    if (method === 'PUT') return await putBlob(ctx, url, req, res, container, blob);
    if (method === 'GET' || method === 'HEAD') return await getBlob(ctx, url, req, res, container, blob);
    throw new BlobError(405, 'UnsupportedHttpVerb', "The resource doesn't support the specified HTTP verb.");
  } catch (error) {
    if (!(error instanceof BlobError)) throw error;
    // What was not read of a refused upload is not read: the connection closes after the answer.
    if (!req.complete) res.setHeader('connection', 'close');
    sendBlobError(res, error, method);
  }
}

export const blobRoutes: readonly PlainRoute[] = [
  {
    method: 'ANY',
    matches: (pathname) => pathname.startsWith(PREFIX),
    handle: handleBlob,
  },
];
