/**
 * uploadCode alone: scripted code-version actions, and @azure/storage-blob (the real client)
 * sending to a loopback server that plays Blob storage. What goes to storage (paths, SAS, no
 * token, headers, blocks for a large file, the order and the number at once), what is registered,
 * what progress is told, and each way it can fail, with no signature in any error.
 */
import * as fs from 'fs';
import * as http from 'http';
import type { AddressInfo } from 'net';
import * as path from 'path';
import nock from 'nock';
import { AzureMLAbortError, AzureMLError, AzureMLServiceError } from '../src';
import { codeNameOf, splitSasUri, uploadCode } from '../src/workflow/v2/upload-code';
import { failure } from './helpers/failure';
import { projectFolders } from './helpers/project-folders';
import { scriptedV2 } from './helpers/scripted-v2';

const WS = { subscriptionId: 'sub', resourceGroupName: 'rg', workspaceName: 'ws1' };
const SIG = 'c2VjcmV0LXNpZ25hdHVyZQ%3D%3D';
const MiB = 1024 * 1024;
const folders = projectFolders('upload-code-');

interface Seen {
  method: string;
  url: string;
  headers: http.IncomingHttpHeaders;
  bytes: number;
}

/** Blob storage on loopback: 201 to every PUT (or what `answer` says), counting requests in flight. */
let storage: {
  url: string;
  seen: Seen[];
  maxInFlight: number;
  /** Answers are held until this many requests are in flight (a test of how many are sent at once). */
  holdUntil?: number;
  answer?: (req: http.IncomingMessage) => { status: number; body?: string; headers?: Record<string, string> };
};
let server: http.Server;
beforeAll(() => nock.restore());
beforeEach(async () => {
  let inFlight = 0;
  storage = { url: '', seen: [], maxInFlight: 0 };
  server = http.createServer((req, res) => {
    inFlight++;
    storage.maxInFlight = Math.max(storage.maxInFlight, inFlight);
    let bytes = 0;
    req.on('data', (chunk: Buffer) => (bytes += chunk.length));
    req.on('end', () => {
      storage.seen.push({ method: req.method!, url: req.url!, headers: req.headers, bytes });
      held.push(() => {
        inFlight--;
        const answer = storage.answer?.(req) ?? { status: 201 };
        res.writeHead(answer.status, { 'x-ms-request-id': 'r1', ...answer.headers });
        res.end(answer.body ?? '');
      });
      // A client that sends fewer at once than awaited is answered after 2 s, and the test fails on maxInFlight.
      if (inFlight >= (storage.holdUntil ?? 1)) release();
      else holdTimer ??= setTimeout(release, 2000);
    });
  });
  const held: Array<() => void> = [];
  let holdTimer: NodeJS.Timeout | undefined;
  const release = () => {
    clearTimeout(holdTimer);
    holdTimer = undefined;
    for (const answer of held.splice(0)) answer();
  };
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  storage.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterEach(async () => {
  folders.cleanup();
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

/** Code-version actions: none exists (404), the pending upload gives `sasUri`, registering echoes an id. */
function codeVersions(sasUri: string | undefined, get?: () => unknown, pending?: () => Promise<unknown>) {
  const notFound = () => {
    throw new AzureMLServiceError({ action: 'a', statusCode: 404, body: '', headers: {} });
  };
  return scriptedV2({
    CodeVersions_Get: get ?? notFound,
    CodeVersions_CreateOrGetStartPendingUpload: () => pending?.() ?? { blobReferenceForConsumption: sasUri === undefined ? {} : { credential: { credentialType: 'SAS', sasUri } } },
    CodeVersions_CreateOrUpdate: (input) => ({ id: `codes/${String(input.name)}/versions/${String(input.version)}` }),
  });
}

const sas = (pathname = '/devstoreaccount1/code', extra = '') => `${storage.url}${pathname}?sv=2021-08-06&sr=c&sp=rcw${extra}&sig=${SIG}`;

describe('codeNameOf', () => {
  it('makes a valid asset name of the folder name', () => {
    expect(codeNameOf('/work/my-project_1')).toBe('my-project_1');
    expect(codeNameOf('/work/My Project!')).toBe('My_Project_');
    expect(codeNameOf('/work/.hidden')).toBe('code_hidden');
    expect(codeNameOf('/work/_x')).toBe('code_x');
    expect(codeNameOf(`/work/${'a'.repeat(300)}`)).toBe('a'.repeat(255));
    expect(codeNameOf('/')).toBe('code');
    expect(codeNameOf('relative/dir/')).toBe('dir');
  });
});

describe('splitSasUri', () => {
  it('reads the container and the folder of an account-host link, and of an IP-style one', () => {
    expect(splitSasUri('https://acct.blob.core.windows.net/code/LocalUpload/abc%20d/?sv=1&sig=x')).toEqual({
      containerUrl: 'https://acct.blob.core.windows.net/code?sv=1&sig=x',
      prefix: 'LocalUpload/abc d',
    });
    expect(splitSasUri('https://acct.blob.core.windows.net/code?sig=x')).toEqual({ containerUrl: 'https://acct.blob.core.windows.net/code?sig=x', prefix: '' });
    expect(splitSasUri('http://127.0.0.1:10000/devstoreaccount1/code/a/b?sig=x')).toEqual({ containerUrl: 'http://127.0.0.1:10000/devstoreaccount1/code?sig=x', prefix: 'a/b' });
    expect(splitSasUri('http://localhost:10000/acct/code?sig=x')).toEqual({ containerUrl: 'http://localhost:10000/acct/code?sig=x', prefix: '' });
    expect(splitSasUri('http://[::1]:10000/acct/code/p?sig=x')).toEqual({ containerUrl: 'http://[::1]:10000/acct/code?sig=x', prefix: 'p' });
    // Only a whole IPv4 address is IP style: a host name that starts with digits is an account host.
    expect(splitSasUri('https://10.0.0.1.example.net/code/p?sig=x').prefix).toBe('p');
    expect(splitSasUri('https://10.20.30.40/acct/code/p?sig=x').prefix).toBe('p');
    expect(splitSasUri('https://1.2.3.4x/code/p?sig=x').prefix).toBe('p');
    expect(splitSasUri('https://mylocalhost/code/p?sig=x').prefix).toBe('p');
    expect(splitSasUri('https://localhost.example/code/p?sig=x').prefix).toBe('p');
  });

  it('refuses a link over plain http off this machine, and malformed percent-encoding, without showing the signature', () => {
    expect(() => splitSasUri(`http://acct.blob.core.windows.net/code?sig=${SIG}`)).toThrow(
      "Action azureml-execution/uploadCode: the pending upload's SAS link is not https (http://acct.blob.core.windows.net/code); it is not used",
    );
    expect(() => splitSasUri(`ftp://127.0.0.1/code?sig=${SIG}`)).toThrow("the pending upload's SAS link is not https (ftp://127.0.0.1/code)");
    expect(() => splitSasUri(`https://acct.blob.core.windows.net/code/%E0%A4%A?sig=${SIG}`)).toThrow(
      "Action azureml-execution/uploadCode: the pending upload's SAS link has malformed percent-encoding (https://acct.blob.core.windows.net/code/%E0%A4%A); it is not used",
    );
  });
});

describe('uploadCode', () => {
  it('sends each file to the folder of the SAS link with the SAS alone, registers the folder, and tells the progress', async () => {
    const dir = folders.make({ 'train.py': 'print(1)\n', 'lib/util.py': 'x = 2\n', 'data/big.bin': 'b'.repeat(1000) });
    const { v2, calls } = codeVersions(sas('/devstoreaccount1/code/LocalUpload/run%201'));
    const progress: Array<{ uploadedBytes: number; totalBytes: number }> = [];
    const signal = new AbortController().signal;
    const out = await uploadCode(v2, WS, dir, { codeName: 'proj', signal, onProgress: (p) => progress.push(p), userAgentPrefix: 'my-app/1.0', concurrency: 1 });
    const version = out.version;
    expect(version).toMatch(/^[0-9a-f]{64}$/);
    expect(calls.map((c) => [c.op, c.input, c.call])).toEqual([
      ['CodeVersions_Get', { ...WS, name: 'proj', version }, { signal }],
      [
        'CodeVersions_CreateOrGetStartPendingUpload',
        { ...WS, name: 'proj', version, body: { pendingUploadId: version.slice(0, 32), pendingUploadType: 'TemporaryBlobReference' } },
        { signal },
      ],
      [
        'CodeVersions_CreateOrUpdate',
        { ...WS, name: 'proj', version, body: { properties: { codeUri: `${storage.url}/devstoreaccount1/code/LocalUpload/run%201/proj`, isAnonymous: false } } },
        { signal },
      ],
    ]);
    // The largest first; each to <folder>/<code name>/<file>, with the SAS, no token, as bytes.
    const query = `?sv=2021-08-06&sr=c&sp=rcw&sig=${SIG}`;
    expect(storage.seen.map((s) => [s.method, s.url, s.bytes])).toEqual([
      ['PUT', `/devstoreaccount1/code/LocalUpload/run%201/proj/data/big.bin${query}`, 1000],
      ['PUT', `/devstoreaccount1/code/LocalUpload/run%201/proj/train.py${query}`, 9],
      ['PUT', `/devstoreaccount1/code/LocalUpload/run%201/proj/lib/util.py${query}`, 6],
    ]);
    for (const { headers } of storage.seen) {
      expect(headers.authorization).toBeUndefined();
      expect([headers['x-ms-blob-type'], headers['x-ms-blob-content-type']]).toEqual(['BlockBlob', 'application/octet-stream']);
      expect(headers['user-agent']).toMatch(/^my-app\/1\.0 azsdk-js-azure-storage-blob\//);
    }
    expect(out).toEqual({
      codeId: `codes/proj/versions/${version}`,
      name: 'proj',
      version,
      files: 3,
      totalBytes: 1015,
      uploadedBytes: 1015,
      reused: false,
      uploadMs: out.uploadMs,
    });
    expect(out.uploadMs).toBeGreaterThan(0);
    expect(out.uploadMs).toBeLessThan(60_000);
    // Told after each file, never more than the total, ending at the total.
    expect(progress.map((p) => p.totalBytes).every((t) => t === 1015)).toBe(true);
    expect(progress.map((p) => p.uploadedBytes)).toEqual([...progress.map((p) => p.uploadedBytes)].sort((a, b) => a - b));
    expect(progress.filter((p) => [1000, 1009, 1015].includes(p.uploadedBytes)).map((p) => p.uploadedBytes)).toEqual(expect.arrayContaining([1000, 1009, 1015]));
    expect(progress[progress.length - 1].uploadedBytes).toBe(1015);
  });

  it('names the code after the folder, sends to the container root of a link without a folder, and says azureml-execution to storage', async () => {
    const dir = folders.make({ 'a.py': 'a' });
    const { v2, calls } = codeVersions(sas());
    const out = await uploadCode(v2, WS, dir);
    const name = path.basename(dir).replace(/[^a-zA-Z0-9\-_]/g, '_');
    expect(out.name).toBe(name);
    expect(storage.seen.map((s) => s.url)).toEqual([`/devstoreaccount1/code/${name}/a.py?sv=2021-08-06&sr=c&sp=rcw&sig=${SIG}`]);
    expect(storage.seen[0].headers['user-agent']).toMatch(/^azureml-execution azsdk-js-azure-storage-blob\//);
    expect((calls[2].input.body as { properties: { codeUri: string } }).properties.codeUri).toBe(`${storage.url}/devstoreaccount1/code/${name}`);
  });

  it('sends files several at once, never more than asked (8 by default)', async () => {
    const files = Object.fromEntries(Array.from({ length: 12 }, (_, i) => [`f${i}.txt`, 'x'.repeat(i + 1)]));
    const dir = folders.make(files);
    storage.holdUntil = 3;
    await uploadCode(codeVersions(sas()).v2, WS, dir, { concurrency: 3 });
    expect([storage.seen.length, storage.maxInFlight]).toEqual([12, 3]);
    storage.seen.length = 0;
    storage.maxInFlight = 0;
    for (const name of ['n1', 'n2', 'n3', 'n4']) fs.writeFileSync(path.join(dir, name), name);
    storage.holdUntil = 8;
    await uploadCode(codeVersions(sas()).v2, WS, dir);
    expect([storage.seen.length, storage.maxInFlight]).toEqual([16, 8]);
    storage.seen.length = 0;
    storage.maxInFlight = 0;
    storage.holdUntil = 1;
    await uploadCode(codeVersions(sas()).v2, WS, dir, { concurrency: 0 });
    expect([storage.seen.length, storage.maxInFlight]).toEqual([16, 1]);
  });

  it('sends a file above 8 MiB in 8 MiB blocks, then its block list', async () => {
    const dir = folders.make({ 'small.py': 's' });
    fs.writeFileSync(path.join(dir, 'model.bin'), Buffer.alloc(9 * MiB, 1));
    const progress: number[] = [];
    const out = await uploadCode(codeVersions(sas()).v2, WS, dir, { codeName: 'c', concurrency: 1, onProgress: (p) => progress.push(p.uploadedBytes) });
    const name = (s: Seen) => `${new URL(s.url, storage.url).searchParams.get('comp') ?? 'blob'}:${s.bytes}`;
    // The two blocks go at once (either may end first), the list after both, then the small file.
    const seen = storage.seen.map(name);
    expect([...seen.slice(0, 2)].sort()).toEqual([`block:${MiB}`, `block:${8 * MiB}`]);
    expect(seen.slice(2)).toEqual([expect.stringMatching(/^blocklist:\d+$/), 'blob:1']);
    expect(out.uploadedBytes).toBe(9 * MiB + 1);
    // Told as blocks arrive, not only once the file has gone.
    const firstBlock = progress.findIndex((bytes) => bytes > 0 && bytes < 9 * MiB);
    expect(firstBlock).toBeGreaterThanOrEqual(0);
    expect(firstBlock).toBeLessThan(progress.indexOf(9 * MiB));
    expect(progress[progress.length - 1]).toBe(9 * MiB + 1);
  });

  it('tells onWarning of an empty .amlignore that lets through what .gitignore leaves out', async () => {
    const dir = folders.make({ '.amlignore': '', '.gitignore': 'secret.env\n', 'a.py': 'a', 'secret.env': 'K=V' });
    const warnings: string[] = [];
    const out = await uploadCode(codeVersions(sas()).v2, WS, dir, { codeName: 'c', onWarning: (w) => warnings.push(w) });
    expect(warnings).toEqual([`.amlignore in ${dir} has no rules, so .gitignore is not read there: 1 file that .gitignore leaves out will be uploaded: secret.env`]);
    expect(out.files).toBe(4);
  });

  it('uploads nothing when the version exists, and tells 0 of the total', async () => {
    const dir = folders.make({ 'a.py': 'abc' });
    const progress: unknown[] = [];
    const { v2, calls } = codeVersions(sas(), () => ({ id: 'codes/x/versions/1' }));
    const out = await uploadCode(v2, WS, dir, { codeName: 'x', onProgress: (p) => progress.push(p) });
    expect(out).toEqual({ codeId: 'codes/x/versions/1', name: 'x', version: out.version, files: 1, totalBytes: 3, uploadedBytes: 0, reused: true, uploadMs: 0 });
    expect(calls.map((c) => c.op)).toEqual(['CodeVersions_Get']);
    expect(progress).toEqual([{ uploadedBytes: 0, totalBytes: 3 }]);
    expect(storage.seen).toEqual([]);
  });

  it('stops at any error of the version lookup but a 404', async () => {
    const dir = folders.make({ 'a.py': 'a' });
    const forbidden = new AzureMLServiceError({ action: 'a', statusCode: 403, body: '', headers: {} });
    // A 404 that is not the service's answer (no AzureMLServiceError) is not "no such version" either.
    const odd = Object.assign(new Error('not found'), { statusCode: 404 });
    for (const thrown of [forbidden, odd]) {
      const { v2, calls } = codeVersions(sas(), () => {
        throw thrown;
      });
      expect(await failure(uploadCode(v2, WS, dir))).toBe(thrown);
      expect(calls.map((c) => c.op)).toEqual(['CodeVersions_Get']);
    }
  });

  it('stops when the pending upload gives no SAS link', async () => {
    const dir = folders.make({ 'a.py': 'a' });
    const { v2, calls } = codeVersions(undefined);
    const error = await failure(uploadCode(v2, WS, dir, { codeName: 'c' }));
    expect(error).toBeInstanceOf(AzureMLError);
    expect(error.message).toMatch(/^Action azureml-execution\/uploadCode: the pending upload of c:[0-9a-f]{64} gave no SAS link to upload to$/);
    expect(calls.map((c) => c.op)).toEqual(['CodeVersions_Get', 'CodeVersions_CreateOrGetStartPendingUpload']);
    for (const answer of [{ blobReferenceForConsumption: { credential: { credentialType: 'NoCredentials' } } }, {}]) {
      const other = codeVersions(sas(), undefined, async () => answer);
      expect((await failure(uploadCode(other.v2, WS, dir, { codeName: 'c' }))).message).toContain('gave no SAS link to upload to');
    }
  });

  it("reports storage's refusal with its code and status, with the signature redacted, and registers nothing", async () => {
    const dir = folders.make({ 'a.py': 'a' });
    storage.answer = (req) => ({
      status: 403,
      headers: { 'x-ms-error-code': 'AuthenticationFailed', 'content-type': 'application/xml' },
      body: `\uFEFF<?xml version="1.0" encoding="utf-8"?><Error><Code>AuthenticationFailed</Code><Message>Signature did not match: ${req.url!.replace(/&/g, '&amp;')}&amp;x=1 and "?sig=${SIG}"</Message></Error>`,
    });
    const { v2, calls } = codeVersions(sas());
    const error = await failure(uploadCode(v2, WS, dir, { codeName: 'c' }));
    expect(error).toBeInstanceOf(AzureMLError);
    expect(error.message).toBe(
      `Action azureml-execution/uploadCode could not upload ${dir}: Signature did not match: /devstoreaccount1/code/c/a.py?sv=2021-08-06&sr=c&sp=rcw&sig=REDACTED&x=1 and "?sig=REDACTED" (AuthenticationFailed, 403)`,
    );
    expect(JSON.stringify({ ...error, message: error.message, stack: error.stack })).not.toContain(SIG);
    expect(calls.map((c) => c.op)).not.toContain('CodeVersions_CreateOrUpdate');
  });

  it('says the code alone of an error without a status: a file gone before it was sent', async () => {
    const dir = folders.make({ 'a.py': 'a' });
    const gone = codeVersions(sas(), undefined, async () => {
      fs.rmSync(path.join(dir, 'a.py'));
      return { blobReferenceForConsumption: { credential: { credentialType: 'SAS', sasUri: sas() } } };
    });
    expect((await failure(uploadCode(gone.v2, WS, dir, { codeName: 'c' }))).message).toBe(
      `Action azureml-execution/uploadCode could not upload ${dir}: ENOENT: no such file or directory, stat '${path.join(dir, 'a.py')}' (ENOENT)`,
    );
  });

  it('refuses a SAS link over http off this machine before sending anything', async () => {
    const dir = folders.make({ 'a.py': 'a' });
    const { v2, calls } = codeVersions(`http://example.test/acct/code?sig=${SIG}`);
    const error = await failure(uploadCode(v2, WS, dir));
    expect(error.message).toBe("Action azureml-execution/uploadCode: the pending upload's SAS link is not https (http://example.test/acct/code); it is not used");
    expect(calls.map((c) => c.op)).not.toContain('CodeVersions_CreateOrUpdate');
  });

  it('stops with an AbortError when the signal is aborted, and sends no file after it', async () => {
    const dir = folders.make({ 'a.py': 'a', 'b.py': 'b' });
    const controller = new AbortController();
    const { v2, calls } = codeVersions(sas(), undefined, async () => {
      controller.abort(new Error('user stopped it'));
      return { blobReferenceForConsumption: { credential: { credentialType: 'SAS', sasUri: sas() } } };
    });
    const error = await failure(uploadCode(v2, WS, dir, { signal: controller.signal }));
    expect(error).toBeInstanceOf(AzureMLAbortError);
    expect(error.message).toBe('Action azureml-execution/uploadCode was aborted: user stopped it');
    expect(storage.seen).toEqual([]);
    expect(calls.map((c) => c.op)).not.toContain('CodeVersions_CreateOrUpdate');
  });
});
