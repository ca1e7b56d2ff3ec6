/** Prism (`prism mock --errors <spec>`) on a free loopback port, for contract tests. */
import { spawn, type ChildProcess } from 'child_process';
import * as net from 'net';
import * as path from 'path';

const REPO = path.resolve(__dirname, '..', '..');

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const probe = net.createServer().listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as net.AddressInfo;
      probe.close(() => resolve(port));
    });
  });
}

export interface Prism {
  url: string;
  stop(): void;
}

/** Starts Prism on `spec` (a path relative to the repository) and resolves when it listens. */
export async function startPrism(spec: string): Promise<Prism> {
  const port = await freePort();
  const cli = path.join(REPO, 'node_modules', '@stoplight', 'prism-cli', 'dist', 'index.js');
  const prism: ChildProcess = spawn(process.execPath, [cli, 'mock', '--errors', '-h', '127.0.0.1', '-p', String(port), spec], { cwd: REPO, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`Prism did not start within 30 s:\n${output}`)), 30000);
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      if (output.includes('Prism is listening')) {
        clearTimeout(timer);
        resolve();
      }
    };
    prism.stdout!.on('data', onData);
    prism.stderr!.on('data', onData);
    prism.once('exit', (code) => reject(new Error(`Prism exited with ${code}:\n${output}`)));
  });
  return { url: `http://127.0.0.1:${port}`, stop: () => void prism.kill() };
}
