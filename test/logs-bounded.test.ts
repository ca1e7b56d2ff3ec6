/**
 * Logs are read in bounded ranges: getRunLog reads at most maxBytes and says where to go on, and
 * `azureml-exec logs` prints a 600 MB driver log in pieces, with a heap far smaller than the log.
 */
import { spawn } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { create as createClient, startEmulator, type Emulator } from '../src';
import { emulatorEnvironment } from './helpers/emulator-env';
import { makeZip } from './helpers/make-zip';
import { startRecordingServer } from './helpers/recording-server';

const WS = { subscriptionId: '6a8bd9bb-1df3-4bca-9b24-27a7f3e5b9e7', resourceGroupName: 'rg', workspaceName: 'ws', experimentName: 'logs' };
const FAST = { initialIntervalMs: 30, maxIntervalMs: 150 };

let emulator: Emulator;
beforeAll(async () => {
  emulator = await startEmulator();
});
afterAll(() => emulator.close());

async function completedRun(script: string): Promise<string> {
  const client = createClient({ access_token: 't', host: emulator.url }, { workspace: WS });
  const { runId } = await client.Runs_StartRun({ ...WS, runDefinitionFile: { configuration: { script: 'log.py' } }, projectZipFile: makeZip([{ name: 'log.py', data: script }]) });
  await client.waitForRun(runId, FAST);
  return runId;
}

it('getRunLog reads at most maxBytes, with a bounded Range, and reports the next byte', async () => {
  const server = await startRecordingServer();
  try {
    const logUrl = `${server.url}/logs/driver.txt?sig=abc`;
    server.reply(
      { status: 200, body: { runId: 'r1', status: 'Running', logFiles: { 'azureml-logs/70_driver_log.txt': logUrl } } },
      { status: 206, headers: { 'content-range': 'bytes 100-109/5000' }, body: Buffer.from('0123456789') },
    );
    const client = createClient({ access_token: 'token-for-logs', host: server.url }, { workspace: WS });
    const log = await client.getRunLog('r1', { fromByte: 100, maxBytes: 10 });
    expect(log).toMatchObject({ log: '0123456789', fromByte: 100, nextByte: 110, totalBytes: 5000, status: 'Running' });
    expect(server.requests[1].headers.range).toBe('bytes=100-109');
    // The link carries its own signature: no bearer token goes to it.
    expect(server.requests[1].headers.authorization).toBeUndefined();
  } finally {
    await server.close();
  }
});

it('getRunLog refuses a maxBytes that cannot hold a character', async () => {
  const client = createClient({ access_token: 't', host: emulator.url }, { workspace: WS });
  await expect(client.getRunLog('any', { maxBytes: 2 })).rejects.toThrow(
    'Action azureml-execution/getRunLog was given invalid input: maxBytes must be a whole number of bytes, 4 or more (got 2)',
  );
});

it('reads a whole log piece by piece through the emulator', async () => {
  const runId = await completedRun('for i in range(2000):\n    print(f"line {i:05d}")');
  const client = createClient({ access_token: 't', host: emulator.url }, { workspace: WS });
  let text = '';
  let fromByte = 0;
  let reads = 0;
  for (;;) {
    const piece = await client.getRunLog(runId, { fromByte, maxBytes: 4096 });
    reads++;
    text += piece.log;
    if (piece.nextByte >= piece.totalBytes) break;
    fromByte = piece.nextByte;
  }
  expect(text).toBe(Array.from({ length: 2000 }, (_, i) => `line ${String(i).padStart(5, '0')}\n`).join(''));
  expect(reads).toBe(Math.ceil(text.length / 4096));
});

it('azureml-exec logs prints a 600 MB driver log with a 64 MB heap, in a quarter of its size', async () => {
  const runId = await completedRun('print("start")');
  // The run's log grows to 600 MB (written where the emulator keeps it, as a long run would).
  const runs = path.join(emulator.dataDir, 'runs');
  const [dir] = fs.readdirSync(runs).filter((d) => fs.statSync(path.join(runs, d, 'azureml-logs', '70_driver_log.txt')).size === 6);
  const logFile = path.join(runs, dir, 'azureml-logs', '70_driver_log.txt');
  const line = Buffer.from(`${'x'.repeat(99)}\n`);
  const block = Buffer.concat(Array.from({ length: 10_000 }, () => line)); // 1 MB
  const fd = fs.openSync(logFile, 'a');
  for (let i = 0; i < 600; i++) fs.writeSync(fd, block);
  fs.closeSync(fd);
  const total = 6 + 600 * block.length;

  // The child's own peak (VmHWM): Linux's maxRSS would report the size of the large jest worker that started it.
  const reporter = path.join(__dirname, '..', 'bench', 'rss-reporter.js');
  // The heap is capped below the log's size: a client that kept the log (or a growing part of it)
  // would die of it, whatever the machine's load. Peak RSS then measures the bounded pieces.
  const child = spawn(process.execPath, ['--max-old-space-size=64', '--require', reporter, path.join(__dirname, '..', 'dist', 'cli', 'main.js'), 'logs', runId], {
    env: { ...process.env, ...emulatorEnvironment(emulator, WS) },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let printed = 0;
  let head = '';
  child.stdout.on('data', (chunk: Buffer) => {
    if (head.length < 6) head += chunk.subarray(0, 6).toString();
    printed += chunk.length;
  });
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk));
  const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
  expect([code, printed, head.slice(0, 6)]).toEqual([0, total, 'start\n']);
  const maxRssKb = Number(/maxRSS=(\d+)/.exec(stderr)![1]);
  if (process.env.SHOW_MEMORY) console.log(`azureml-exec logs peak RSS: ${(maxRssKb / 1024).toFixed(1)} MB`);
  // A quarter of the log's size: far below what keeping it would take (600 MB and more), and
  // above the 110-125 MB the bounded pieces peak at. The exact figure is a benchmark's (`npm run bench`).
  expect(maxRssKb / 1024).toBeLessThan(150);
}, 120_000);

it('keeps one piece in memory when the server ignores Range: a small log is sliced, a larger one is an error naming the cap', async () => {
  const server = await startRecordingServer();
  try {
    const details = { status: 200, body: { runId: 'r1', status: 'Running', logFiles: { 'azureml-logs/70_driver_log.txt': `${server.url}/log?sig=abc` } } };
    const client = createClient({ access_token: 'token-for-logs', host: server.url }, { workspace: WS });
    server.reply(details, { status: 200, body: Buffer.from('0123456789') });
    expect(await client.getRunLog('r1', { fromByte: 4, maxBytes: 16 })).toMatchObject({ log: '456789', fromByte: 4, nextByte: 10, totalBytes: 10 });
    server.reply(details, { status: 200, body: Buffer.alloc(64, 0x61) });
    await expect(client.getRunLog('r1', { fromByte: 40, maxBytes: 16 })).rejects.toThrow(
      'the body is larger than the 16 bytes limit (more than 16 bytes arrived); raise maxBytes (the server ignored Range) if such answers are expected',
    );
  } finally {
    await server.close();
  }
});
