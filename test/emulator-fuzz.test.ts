/**
 * Fuzzing the emulator's routes (v1, Run History, the v2 API, its blob endpoint) and its multipart reader with a seeded generator (the same inputs
 * every run, so a failure replays): every request gets an answer below 500 or a closed connection,
 * the process lives on, and nothing is written outside the data folder. Bounded: a fixed count.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { spawn, type ChildProcess } from 'child_process';
import { runHistory } from '../src';
import { makeZip } from './helpers/make-zip';
import { rawRequest } from './helpers/raw-http';

const SEED = 20261125;
const ROUNDS = 1500;
const BASE = '/execution/v1.0/subscriptions/6a8bd9bb-1df3-4bca-9b24-27a7f3e5b9e7/resourceGroups/rg/providers/Microsoft.MachineLearningServices/workspaces/ws';
const ARM = '/subscriptions/6a8bd9bb-1df3-4bca-9b24-27a7f3e5b9e7/resourceGroups/rg/providers/Microsoft.MachineLearningServices/workspaces/ws-fuzz';

/** mulberry32: small, seeded, good enough to pick fuzz inputs. */
function random(seed: number): () => number {
  let a = seed;
  return () => {
    a |= 0;
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const NASTY = ['..', '%2e%2e', '%2F', '%5C', '%00', '%ZZ', '%E0%A4%A', '\u00e9', 'a'.repeat(300), '', '.', '~', '$', '{runId}', '%20', 'CON', 'x/../../y'];
const PATHS = [
  `${BASE}/experiments/E/startrun`,
  `${BASE}/experiments/E/snapshotrun`,
  `${BASE}/experiments/E/startlocalrun`,
  `${BASE}/experiments/E/runId/R/cancel`,
  `/history/v1.0/subscriptions/6a8bd9bb-1df3-4bca-9b24-27a7f3e5b9e7/resourceGroups/rg/providers/Microsoft.MachineLearningServices/workspaces/ws/experiments/E/runs/R/details`,
  `/history/v1.0/subscriptions/6a8bd9bb-1df3-4bca-9b24-27a7f3e5b9e7/resourceGroups/rg/providers/Microsoft.MachineLearningServices/workspaces/ws/experiments/E/runs:query`,
  '/emulator/v1.0/runs/R/files/azureml-logs/E',
  '/T/oauth2/v2.0/token',
  '/T/v2.0/.well-known/openid-configuration',
  // The v2 API (Resource Manager), its blob endpoint and its operation results.
  `${ARM}/jobs/R?api-version=2024-10-01`,
  `${ARM}/jobs/R/cancel?api-version=2024-10-01`,
  `${ARM}/jobs?api-version=2024-10-01&$skip=E`,
  `${ARM}/jobs/R`,
  `${ARM}/codes/E/versions/R?api-version=2024-10-01`,
  `${ARM}/codes/E/versions/R/startPendingUpload?api-version=2024-10-01`,
  `${ARM}/codes/E?api-version=E`,
  '/emulatorstore/E/R?comp=block&blockid=E&sig=E&se=E&sp=racwl&sr=c&sv=1',
  '/emulatorstore/E?restype=container&comp=list&sig=E',
  '/emulatorstore/code-0123456789abcdef01234567/R?sv=1&sr=c&se=2099-01-01T00:00:00Z&sp=racwl&sig=E',
  '/subscriptions/E/providers/Microsoft.MachineLearningServices/locations/local/mfeOperationResults/R',
];
const TYPES = [
  'multipart/form-data; boundary=B',
  'multipart/form-data',
  'multipart/form-data; boundary=',
  'application/json',
  'application/x-www-form-urlencoded',
  'text/plain',
  '',
];

function pick<T>(rnd: () => number, items: readonly T[]): T {
  return items[Math.floor(rnd() * items.length)];
}

function bytes(rnd: () => number, n: number): Buffer {
  return Buffer.from(Array.from({ length: n }, () => Math.floor(rnd() * 256)));
}

/** A body: broken multipart, broken JSON, a zip with odd entries, or noise. */
function body(rnd: () => number): Buffer {
  const zip = () =>
    makeZip([
      { name: 'hello.py', data: 'print(1)' },
      { name: pick(rnd, ['a', 'a/', 'a/b', '', '../x', '/abs', 'ok.txt', 'a\\b']), data: 'x' },
    ]);
  switch (Math.floor(rnd() * 6)) {
    case 0: {
      const name = pick(rnd, ['runDefinitionFile', 'projectZipFile', 'other', '', 'runDefinitionFile"; filename="x']);
      const part = `--B\r\nContent-Disposition: form-data; name="${name}"${rnd() < 0.5 ? '; filename="f"' : ''}\r\n\r\n`;
      const content =
        rnd() < 0.5 ? zip() : Buffer.from(JSON.stringify({ configuration: { script: 'hello.py', maxRunDurationSeconds: pick(rnd, [null, -1, 1e30, 'x', 2 ** 40]) } }));
      const parts = [Buffer.from(part), content, Buffer.from('\r\n')];
      if (rnd() < 0.6) parts.push(Buffer.from('--B--\r\n'));
      const all = Buffer.concat(parts);
      return rnd() < 0.3 ? all.subarray(0, Math.floor(rnd() * all.length)) : all;
    }
    case 1:
      return Buffer.from(
        JSON.stringify({
          snapshotId: pick(rnd, NASTY),
          parentRunId: pick(rnd, NASTY),
          configuration: { script: pick(rnd, ['hello.py', '../x', '', null]), arguments: [pick(rnd, NASTY)] },
        }),
      );
    case 2:
      return rnd() < 0.5
        ? Buffer.from('{"configuration": {"script": ')
        : Buffer.from(
            JSON.stringify({
              properties: {
                jobType: pick(rnd, ['Command', 'Pipeline', null, 7]),
                command: pick(rnd, ['echo ${{inputs.x}}', 'exit 1', '', 'echo ${{outputs.o}}', null]),
                environmentId: pick(rnd, ['e', '', null]),
                codeId: pick(rnd, NASTY),
                inputs: {
                  x: {
                    jobInputType: pick(rnd, ['literal', 'uri_folder', 'mltable']),
                    value: pick(rnd, NASTY),
                    uri: pick(rnd, ['file:///etc', '/..', 'azureml://x', 'file://%ZZ']),
                  },
                },
                limits: { jobLimitsType: 'Command', timeout: pick(rnd, ['PT1S', 'P', 'PT', '-1', 'PT99999999999999999999S']) },
              },
              pendingUploadType: pick(rnd, ['TemporaryBlobReference', 'None', 7]),
              pendingUploadId: pick(rnd, NASTY),
            }),
          );
    case 3:
      return zip();
    case 4:
      return Buffer.from('grant_type=client_credentials&client_id=%ZZ&client_secret=' + 'x'.repeat(Math.floor(rnd() * 100)));
    default:
      return bytes(rnd, Math.floor(rnd() * 2000));
  }
}

let emulator: ChildProcess;
let url: string;
let port: number;
let outside: string;
let privateTmp: string;
let dataDir: string;

// In its own process with its own TMPDIR: what it writes outside its data folder is seen there,
// whatever the other test files running beside this one do in the shared temporary folder.
beforeAll(async () => {
  outside = fs.mkdtempSync(path.join(os.tmpdir(), 'azureml-fuzz-outside-'));
  privateTmp = path.join(outside, 'tmp');
  dataDir = path.join(outside, 'data');
  fs.mkdirSync(privateTmp);
  const code = `require(${JSON.stringify(path.join(__dirname, '..', 'dist', 'emulator', 'emulator.js'))}).startEmulator({ dataDir: ${JSON.stringify(dataDir)}, maxConcurrentRuns: 2, killGraceMs: 100 }).then((e) => process.stdout.write(e.url + '\\n'));`;
  emulator = spawn(process.execPath, ['-e', code], { env: { PATH: process.env.PATH, TMPDIR: privateTmp }, stdio: ['ignore', 'pipe', 'inherit'] });
  url = await new Promise<string>((resolve, reject) => {
    emulator.once('error', reject);
    emulator.stdout!.once('data', (chunk: Buffer) => resolve(String(chunk).trim()));
  });
  port = Number(new URL(url).port);
});
afterAll(async () => {
  emulator.kill();
  await new Promise((resolve) => emulator.once('exit', resolve));
  fs.rmSync(outside, { recursive: true, force: true });
});

it(`answers ${ROUNDS} malformed requests below 500, and lives on`, async () => {
  const rnd = random(SEED);
  const statuses = new Map<number | 'closed', number>();
  for (let i = 0; i < ROUNDS; i++) {
    const route = pick(rnd, PATHS)
      .replace('E', pick(rnd, ['fuzz', ...NASTY]))
      .replace('R', pick(rnd, ['fuzz_1', ...NASTY]))
      .replace('T', pick(rnd, ['tenant', ...NASTY]));
    const method = pick(rnd, ['POST', 'POST', 'GET', 'PUT', 'DELETE', 'HEAD']);
    const payload = body(rnd);
    const declared = rnd() < 0.15 ? payload.length + Math.floor(rnd() * 1000) : payload.length; // some bodies end early
    const type = pick(rnd, TYPES);
    const head = `${method} ${route.replace(/ /g, '%20')}${rnd() < 0.2 ? '?runId=' + pick(rnd, NASTY) : ''} HTTP/1.1\nHost: 127.0.0.1:${port}\nAuthorization: Bearer fuzz\n${type ? `Content-Type: ${type}\n` : ''}Content-Length: ${declared}\nConnection: close\n`;
    const answer = await rawRequest(port, head, payload, { destroyAfterWrite: declared !== payload.length });
    const status = answer === 'closed' ? 'closed' : answer.status;
    statuses.set(status, (statuses.get(status) ?? 0) + 1);
    if (status !== 'closed' && status >= 500) throw new Error(`round ${i}: ${method} ${route} (${type}) got ${status}: ${answer !== 'closed' ? answer.body : ''}`);
  }
  // Still serving, and nothing of its own landed outside its data folder.
  expect(emulator.exitCode).toBeNull();
  expect(
    (
      await runHistory
        .create({ access_token: 't', host: url })
        .Experiments_Create({ subscriptionId: '6a8bd9bb-1df3-4bca-9b24-27a7f3e5b9e7', resourceGroupName: 'rg', workspaceName: 'ws', experimentName: 'after_fuzz' })
    ).name,
  ).toBe('after_fuzz');
  expect(fs.readdirSync(privateTmp)).toEqual([]);
  expect(fs.readdirSync(outside).sort()).toEqual(['data', 'tmp']);
  // The mix really exercised the routes: several kinds of answers came back.
  if (process.env.SHOW_FUZZ) console.log(JSON.stringify([...statuses]));
  expect(statuses.size).toBeGreaterThanOrEqual(4);
}, 120_000);
