/** The ```js blocks of a README section, run as one script against an emulator (with the package linked as azureml-execution). */
import { execFile } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';

const ROOT = path.join(__dirname, '..', '..');

/** The js blocks between the headings `from` and `to` (their lines as written). */
export function readmeBlocks(from: string, to: string): string[] {
  const readme = fs.readFileSync(path.join(ROOT, 'README.md'), 'utf8');
  const section = readme.slice(readme.indexOf(`\n${from}`), readme.indexOf(`\n${to}`));
  return [...section.matchAll(/```js\n([\s\S]*?)```/g)].map((m) => m[1]);
}

/** Runs the blocks in a new folder under `scratch`, with AZUREML_HOST set: its stdout, stderr and folder. */
export async function runBlocks(blocks: string[], scratch: string, emulatorUrl: string): Promise<{ stdout: string; stderr: string; dir: string }> {
  const dir = fs.mkdtempSync(path.join(scratch, 'readme-'));
  fs.mkdirSync(path.join(dir, 'node_modules'));
  fs.symlinkSync(ROOT, path.join(dir, 'node_modules', 'azureml-execution'), 'dir');
  fs.writeFileSync(path.join(dir, 'example.cjs'), blocks.join('\n'));
  return new Promise((resolve, reject) =>
    execFile(process.execPath, ['example.cjs'], { cwd: dir, timeout: 30000, env: { PATH: process.env.PATH, AZUREML_HOST: emulatorUrl } }, (error, stdout, stderr) =>
      error ? reject(new Error(`${error.message}\n${stderr}`)) : resolve({ stdout, stderr, dir }),
    ),
  );
}
