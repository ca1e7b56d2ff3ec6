/** hashProject: the same files hash the same anywhere; any change of a name, a byte or the file set changes it. */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { AzureMLProjectError } from '../src';
import { CODE_HASH_VERSION, hashProject } from '../src/project/code-hash';
import { createHash } from 'crypto';

let scratch: string;
beforeEach(() => {
  scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'azureml-hash-'));
});
afterEach(() => fs.rmSync(scratch, { recursive: true, force: true }));

function project(name: string, files: Record<string, string>): string {
  const dir = path.join(scratch, name);
  for (const [file, content] of Object.entries(files)) {
    fs.mkdirSync(path.dirname(path.join(dir, file)), { recursive: true });
    fs.writeFileSync(path.join(dir, file), content);
  }
  return dir;
}

it('is SHA-256 over the scheme, then each sent file by name, size and bytes, in sorted order', async () => {
  const dir = project('p', { 'train.py': 'print(1)\n', 'lib/util.py': 'x = 2\n' });
  const expected = createHash('sha256')
    .update(`${CODE_HASH_VERSION}\n`)
    .update('11:lib/util.py\n6\n')
    .update('x = 2\n')
    .update('8:train.py\n9\n')
    .update('print(1)\n')
    .digest('hex');
  const result = await hashProject(dir);
  expect(result.hash).toBe(expected);
  expect(result.totalBytes).toBe(15);
  expect(result.files.map((f) => f.name)).toEqual(['lib/util.py', 'train.py']);
});

it('does not depend on where the folder is, its times or modes, or what ignore files leave out', async () => {
  const a = project('a', { 'train.py': 'print(1)\n', '.amlignore': 'data/\n', 'data/big.bin': 'x'.repeat(1000) });
  const b = project('elsewhere/b', { 'train.py': 'print(1)\n', '.amlignore': 'data/\n' });
  fs.utimesSync(path.join(b, 'train.py'), new Date(0), new Date(0));
  fs.chmodSync(path.join(b, 'train.py'), 0o700);
  expect((await hashProject(a)).hash).toBe((await hashProject(b)).hash);
});

it('changes with a byte, a name, or a file moved between names', async () => {
  const base = (await hashProject(project('base', { 'a.py': 'x', 'bc.py': 'y' }))).hash;
  const variants = await Promise.all([
    hashProject(project('byte', { 'a.py': 'z', 'bc.py': 'y' })),
    hashProject(project('name', { 'a.py': 'x', 'bd.py': 'y' })),
    hashProject(project('moved', { 'a.py': 'xy', 'bc.py': '' })),
    hashProject(project('more', { 'a.py': 'x', 'bc.py': 'y', 'c.py': '' })),
  ]);
  const hashes = new Set([base, ...variants.map((v) => v.hash)]);
  expect(hashes.size).toBe(5);
});

it('refuses a file that changes size while it is read', async () => {
  const dir = project('growing', { 'a.py': 'x' });
  const { listProjectFiles } = await import('../src/project/project-files');
  const files = listProjectFiles(dir);
  fs.appendFileSync(path.join(dir, 'a.py'), 'more');
  const error = await hashProject(dir, files).catch((e: unknown) => e);
  expect(error).toBeInstanceOf(AzureMLProjectError);
  expect((error as Error).message).toBe('a.py changed while the project was read (1 bytes listed, 5 read): submit it again when it is written');
});
