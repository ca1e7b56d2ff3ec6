/**
 * Zipping a project folder: .amlignore, else .gitignore (gitwildmatch rules), .git never, a
 * deterministic archive, and the service's limits with the size and the biggest files named.
 */
import { execFileSync } from 'child_process';
import { randomBytes } from 'crypto';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { zipProject } from '../src';

let dir: string;
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'azureml-project-'));
});
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

function write(files: Record<string, string | Buffer>) {
  for (const [name, content] of Object.entries(files)) {
    fs.mkdirSync(path.dirname(path.join(dir, name)), { recursive: true });
    fs.writeFileSync(path.join(dir, name), content);
  }
}

function namesInZip(file: string): string[] {
  return execFileSync('python3', ['-c', `import sys, zipfile; print("\\n".join(zipfile.ZipFile(sys.argv[1]).namelist()))`, file], { encoding: 'utf8' }).trim().split('\n');
}

it('honours .amlignore, not .gitignore, when both exist; never includes .git', async () => {
  write({ 'train.py': 'x', 'data/big.csv': 'x', 'data/keep.txt': 'x', 'logs/run.log': 'x', '.git/HEAD': 'ref', '.amlignore': 'data/*.csv\nlogs/\n', '.gitignore': 'train.py\n' });
  const zip = await zipProject(dir);
  try {
    expect(zip.files).toEqual(['.amlignore', '.gitignore', 'data/keep.txt', 'train.py']);
    expect(namesInZip(zip.path)).toEqual(zip.files);
  } finally {
    zip.remove();
  }
  expect(fs.existsSync(zip.path)).toBe(false);
});

it('falls back to .gitignore with gitwildmatch rules (negation, **)', async () => {
  write({ 'a.py': 'x', 'b.pyc': 'x', 'sub/c.pyc': 'x', 'sub/keep.pyc': 'x', 'deep/x/y/cache.tmp': 'x', '.gitignore': '*.pyc\n!sub/keep.pyc\n**/*.tmp\n' });
  const zip = await zipProject(dir);
  try {
    expect(zip.files).toEqual(['.gitignore', 'a.py', 'sub/keep.pyc']);
  } finally {
    zip.remove();
  }
});

it('makes the same bytes from the same folder', async () => {
  write({ 'b.py': 'b', 'a.py': 'a', 'z/y.txt': 'y' });
  const first = await zipProject(dir);
  fs.utimesSync(path.join(dir, 'a.py'), new Date(2001, 1, 1), new Date(2001, 1, 1));
  const second = await zipProject(dir);
  try {
    expect(fs.readFileSync(first.path).equals(fs.readFileSync(second.path))).toBe(true);
  } finally {
    first.remove();
    second.remove();
  }
});

it('refuses more files than the limit', async () => {
  write({ 'a.py': '', 'b.py': '', 'c.py': '' });
  await expect(zipProject(dir, { maxFiles: 2 })).rejects.toThrow(`The project ${dir} has 3 files, more than the 2 allowed (raise maxFiles, or exclude files in .amlignore)`);
});

it('refuses a zip over the size limit, naming its size and the biggest files', async () => {
  const noise = (n: number) => randomBytes(n); // incompressible
  write({ 'model.bin': noise(300 * 1024), 'data.bin': noise(100 * 1024), 'train.py': 'print(1)' });
  const error = await zipProject(dir, { maxBytes: 64 * 1024 }).catch((e: Error) => e);
  expect((error as Error).message).toMatch(
    new RegExp(`^The project ${dir.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} zips to \\d+\\.\\d KB, more than the 64\\.0 KB startrun accepts \\(raise maxBytes, or exclude files in \\.amlignore\\)\\. Biggest files: model\\.bin \\(300\\.0 KB\\), data\\.bin \\(100\\.0 KB\\), train\\.py \\(8 B\\)$`),
  );
});
