/**
 * Runs_StartLocalRun streams a snapshot into its answer: the emulator, in its own process so that
 * its peak memory can be read, answers a 1 GB expanded snapshot within 150 MB and writes nothing.
 */
import { spawn, type ChildProcess } from 'child_process';
import * as fs from 'fs';
import * as http from 'http';
import * as os from 'os';
import * as path from 'path';
import { randomUUID } from 'crypto';

const BASE = '/execution/v1.0/subscriptions/6a8bd9bb-1df3-4bca-9b24-27a7f3e5b9e7/resourceGroups/rg/providers/Microsoft.MachineLearningServices/workspaces/ws/experiments/memory';

/** Peak resident memory of a process, from the kernel (VmHWM), in MB. */
function peakRssMb(pid: number): number {
  const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
  return Number(/VmHWM:\s+(\d+) kB/.exec(status)![1]) / 1024;
}

/** Every file under a folder, relative. */
function filesUnder(dir: string): string[] {
  return (fs.readdirSync(dir, { recursive: true }) as string[]).filter((f) => fs.statSync(path.join(dir, f)).isFile()).sort();
}

async function zipOfZeros(file: string, files: number, bytesEach: number): Promise<void> {
  const yazl = require('yazl') as typeof import('yazl');
  const zip = new yazl.ZipFile();
  const zeros = Buffer.alloc(bytesEach);
  zip.addBuffer(Buffer.from('print("hi")\n'), 'hello.py');
  for (let i = 0; i < files; i++) zip.addBuffer(zeros, `data/part-${i}.bin`, { compressionLevel: 1 });
  zip.end();
  await new Promise<void>((resolve, reject) => zip.outputStream.pipe(fs.createWriteStream(file)).on('finish', resolve).on('error', reject));
}

describe('Runs_StartLocalRun on a large snapshot', () => {
  let child: ChildProcess;
  let dataDir: string;
  let url: string;

  beforeAll(async () => {
    dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'azureml-memory-'));
    child = spawn(process.execPath, [path.join(__dirname, '..', 'dist', 'emulator', 'cli.js'), '--port', '0', '--data-dir', dataDir], { stdio: ['ignore', 'pipe', 'pipe'] });
    url = await new Promise<string>((resolve, reject) => {
      let out = '';
      child.stdout!.on('data', (chunk: Buffer) => {
        out += chunk.toString();
        if (out.includes('\n')) resolve(out.split('\n')[0]);
      });
      child.once('exit', (code) => reject(new Error(`the emulator exited with ${code}`)));
    });
  });
  afterAll(() => {
    child.kill('SIGKILL');
    fs.rmSync(dataDir, { recursive: true, force: true });
  });

  it('answers a 1 GB expanded snapshot in < 150 MB of memory, extracting nothing to disk', async () => {
    const snapshotId = randomUUID();
    // 16 files of 62.5 MB: 1,000,000,000 bytes expanded, about 1 MB zipped.
    await zipOfZeros(path.join(dataDir, 'snapshots', `${snapshotId}.zip`), 16, 62_500_000);
    const before = filesUnder(dataDir);
    const definition = JSON.stringify({ snapshotId, configuration: { script: 'hello.py' } });
    const out = path.join(dataDir, '..', `${path.basename(dataDir)}-answer.zip`);
    let watching = true;
    const seen = new Set<string>();
    const watcher = (async () => {
      while (watching) {
        for (const f of filesUnder(dataDir)) seen.add(f);
        await new Promise((r) => setTimeout(r, 25));
      }
    })();
    const status = await new Promise<number>((resolve, reject) => {
      const target = new URL(`${url}${BASE}/startlocalrun`);
      const req = http.request(
        target,
        { method: 'POST', headers: { authorization: 'Bearer t', 'content-type': 'application/json', 'content-length': Buffer.byteLength(definition) } },
        (res) => {
          res.pipe(fs.createWriteStream(out)).on('finish', () => resolve(res.statusCode!));
        },
      );
      req.on('error', reject);
      req.end(definition);
    });
    watching = false;
    await watcher;
    try {
      expect(status).toBe(200);
      expect([...seen].sort()).toEqual(before);
      const peak = peakRssMb(child.pid!);
      if (process.env.SHOW_MEMORY) console.log(`emulator peak RSS: ${peak.toFixed(1)} MB`);
      expect(peak).toBeLessThan(150);
      // The answer is a whole zip: every entry with its full size.

      const yauzl = require('yauzl') as typeof import('yauzl');
      const entries = await new Promise<Array<[string, number]>>((resolve, reject) =>
        yauzl.open(out, { lazyEntries: false }, (error, zip) => {
          if (error || !zip) return reject(error);
          const list: Array<[string, number]> = [];
          zip.on('entry', (e: import('yauzl').Entry) => list.push([e.fileName, e.uncompressedSize]));
          zip.on('end', () => resolve(list));
        }),
      );
      expect(entries.length).toBe(19);
      expect(entries.slice(0, 3)).toEqual([
        ['definition.json', Buffer.byteLength(JSON.stringify({ snapshotId, configuration: { script: 'hello.py' } }, null, 2))],
        ['azureml_local_run.py', expect.any(Number)],
        ['project/hello.py', 12],
      ]);
      expect(entries.slice(3).reduce((sum, [, size]) => sum + size, 0)).toBe(1_000_000_000);
    } finally {
      fs.rmSync(out, { force: true });
    }
  }, 120_000);
});
