// One v2 code upload in a fresh process, so that its peak RSS is its own, against an emulator in
// another process: `submit` (submitJob of the project: hash, CodeVersions_Get, upload with
// @azure/storage-blob, register, create the job) or `raw` (the same files PUT to the same blob
// endpoint with plain streamed http.request, as many at once, after a pending upload of its own).
const fs = require('fs');
const http = require('http');
const path = require('path');

const [mode, project, root, emulatorUrl, version] = process.argv.slice(2);
const WS = { subscriptionId: '6a8bd9bb-1df3-4bca-9b24-27a7f3e5b9e7', resourceGroupName: 'bench', workspaceName: 'bench', experimentName: 'bench' };
const account = { access_token: 't', host: emulatorUrl, management_host: emulatorUrl };
const CONCURRENCY = 8;

function files(dir, rel = '') {
  return fs.readdirSync(path.join(dir, rel), { withFileTypes: true }).flatMap((entry) => {
    const child = rel ? `${rel}/${entry.name}` : entry.name;
    return entry.isDirectory() ? files(dir, child) : [{ name: child, file: path.join(dir, child), size: fs.statSync(path.join(dir, child)).size }];
  });
}

async function raw() {
  const v2 = require(path.join(root, 'dist', 'v2.js')).create(account);
  const { experimentName: _e, ...workspace } = WS;
  const pending = await v2.CodeVersions_CreateOrGetStartPendingUpload({
    ...workspace,
    name: 'raw',
    version,
    body: { pendingUploadId: version, pendingUploadType: 'TemporaryBlobReference' },
  });
  const [base, sas] = pending.blobReferenceForConsumption.credential.sasUri.split('?');
  const agent = new http.Agent({ keepAlive: true });
  const queue = files(project).sort((a, b) => b.size - a.size);
  let bytes = 0;
  const started = process.hrtime.bigint();
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      for (let f = queue.shift(); f; f = queue.shift()) {
        await new Promise((resolve, reject) => {
          const req = http.request(
            `${base}/raw/${f.name.split('/').map(encodeURIComponent).join('/')}?${sas}`,
            { method: 'PUT', agent, headers: { 'x-ms-blob-type': 'BlockBlob', 'content-length': f.size } },
            (res) => {
              res.resume();
              res.on('end', () => (res.statusCode === 201 ? resolve() : reject(new Error(`PUT ${f.name}: ${res.statusCode}`))));
            },
          );
          req.on('error', reject);
          fs.createReadStream(f.file).pipe(req);
        });
        bytes += f.size;
      }
    }),
  );
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  agent.destroy();
  return { seconds, bytes };
}

async function submit() {
  const client = require(root).create(account, { api: 'v2', workspace: WS });
  const started = process.hrtime.bigint();
  const job = await client.submitJob({ project, command: 'true', environmentId: 'azureml:bench:1', codeName: 'bench' });
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  // The upload's own throughput (the files sent), and the whole submit's time (hash, calls, upload).
  return { seconds: job.code.reused ? seconds : job.code.uploadMs / 1000, submitSeconds: seconds, bytes: job.code.uploadedBytes, reused: job.code.reused };
}

(mode === 'raw' ? raw() : submit())
  .then((result) => process.stdout.write(JSON.stringify({ ...result, mbPerSecond: result.bytes / 1e6 / result.seconds, peakRssMb: require('./peak-rss')() / 1024 })))
  .catch((error) => {
    console.error(error);
    process.exit(1);
  });
