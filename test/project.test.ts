/**
 * Zipping a project folder: .amlignore, else .gitignore (gitwildmatch rules), .git never, a
 * deterministic archive, and the service's limits with the size and the biggest files named.
 */
import { execFileSync } from 'child_process';
import { randomBytes } from 'crypto';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { AzureMLProjectError, zipProject } from '../src';
import { listProjectFiles } from '../src/project/project-files';
import { withoutPermissionOverride } from './helpers/unprivileged';

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

it('refuses a zip over the size limit as soon as it crosses it, naming the biggest files, and leaves no temporary zip', async () => {
  const noise = (n: number) => randomBytes(n); // incompressible
  write({ 'model.bin': noise(300 * 1024), 'data.bin': noise(100 * 1024), 'train.py': 'print(1)' });
  const files = listProjectFiles(dir);
  // A file the zip would reach only after the limit, and fail to read (stat works, read gives EIO):
  // had zipping gone on past the limit, the error would be about this file instead.
  const gone = { name: 'zz-gone.bin', absolute: '/proc/self/mem', size: 1, mode: 0o100644 };
  const tmpBefore = fs.readdirSync(os.tmpdir()).filter((f) => f.startsWith('azureml-project-')).length;
  const error = await zipProject(dir, { maxBytes: 64 * 1024, files: [...files, gone] }).catch((e: Error) => e);
  expect(error).toBeInstanceOf(AzureMLProjectError);
  expect((error as AzureMLProjectError).message).toBe(
    `The project ${dir} zips to more than the 64.0 KB startrun accepts (zipping stopped there; raise maxBytes, or exclude files in .amlignore). Biggest files: model.bin (300.0 KB), data.bin (100.0 KB), train.py (8 B), zz-gone.bin (1 B)`,
  );
  expect((error as AzureMLProjectError).action).toBe('azureml-execution/zipProject');
  expect(fs.readdirSync(os.tmpdir()).filter((f) => f.startsWith('azureml-project-')).length).toBe(tmpBefore);
});

it('names a file that vanished between listing and zipping, without crashing', async () => {
  write({ 'train.py': 'print(1)' });
  const gone = { name: 'gone.py', absolute: path.join(dir, 'gone.py'), size: 1, mode: 0o100644 };
  const error = (await zipProject(dir, { files: [...listProjectFiles(dir), gone] }).catch((e: Error) => e)) as AzureMLProjectError;
  expect(error).toBeInstanceOf(AzureMLProjectError);
  expect(error.message).toBe(`The project ${dir} could not be zipped: ENOENT: no such file or directory, stat '${path.join(dir, 'gone.py')}'`);
});

describe('ignore files as git reads them', () => {
  it('applies nested .gitignore files relative to their folder, the deeper rule winning', () => {
    write({
      '.gitignore': '*.log\nbuild/\n',
      'train.py': 'x',
      'app.log': 'x',
      'src/.gitignore': '!keep.log\n*.tmp\n/local.txt\n',
      'src/keep.log': 'x',
      'src/other.log': 'x',
      'src/a.tmp': 'x',
      'src/local.txt': 'x',
      'src/deep/local.txt': 'x',
      'src/deep/b.tmp': 'x',
      'build/out.txt': 'x',
      'top.tmp': 'x',
    });
    expect(listProjectFiles(dir).map((f) => f.name)).toEqual(['.gitignore', 'src/.gitignore', 'src/deep/local.txt', 'src/keep.log', 'top.tmp', 'train.py']);
  });

  it('matches what git itself keeps', () => {
    write({
      '.gitignore': '*.csv\n!important.csv\n',
      'data/.gitignore': '*\n!.gitignore\n!wanted.txt\n',
      'data/wanted.txt': 'x',
      'data/raw.bin': 'x',
      'a.csv': 'x',
      'important.csv': 'x',
      'sub/x.csv': 'x',
      'sub/y.py': 'x',
    });
    execFileSync('git', ['init', '-q', dir]);
    const gitFiles = execFileSync('git', ['-C', dir, 'ls-files', '--others', '--exclude-standard'], { encoding: 'utf8' }).trim().split('\n').sort();
    expect(listProjectFiles(dir).map((f) => f.name)).toEqual(gitFiles);
  });

  it('warns, naming the files, when an empty .amlignore turns .gitignore off', () => {
    write({ '.amlignore': '# nothing excluded\n\n', '.gitignore': 'secrets.env\ndata/\n', 'train.py': 'x', 'secrets.env': 'x', 'data/a.csv': 'x' });
    const warnings: string[] = [];
    const names = listProjectFiles(dir, { onWarning: (m) => warnings.push(m) }).map((f) => f.name);
    expect(names).toEqual(['.amlignore', '.gitignore', 'data/a.csv', 'secrets.env', 'train.py']);
    expect(warnings).toEqual([`.amlignore in ${dir} has no rules, so .gitignore is not read there: 2 files that .gitignore leaves out will be uploaded: data/a.csv, secrets.env`]);
    // An .amlignore with rules is the user's choice: no warning.
    fs.writeFileSync(path.join(dir, '.amlignore'), 'data/\n');
    const quiet: string[] = [];
    listProjectFiles(dir, { onWarning: (m) => quiet.push(m) });
    expect(quiet).toEqual([]);
  });
});

describe('files that cannot be read', () => {
  // Root reads everything: the listing runs without root's permission override.
  function listAs(project: string): { status: number | null; stdout: string } {
    const script = `const { listProjectFiles } = require(${JSON.stringify(path.join(__dirname, '..', 'dist', 'project', 'project-files.js'))});
      try { listProjectFiles(process.argv[1]); console.log('listed'); } catch (e) { console.log(JSON.stringify({ name: e.name, message: e.message, action: e.action })); }`;
    const { spawnSync } = require('child_process') as typeof import('child_process');
    const [command, args] = withoutPermissionOverride(process.execPath, ['-e', script, project]);
    const result = spawnSync(command, args, { encoding: 'utf8' });
    return { status: result.status, stdout: result.stdout.trim() };
  }

  it.each([
    ['a file', 'secret.key', (p: string) => fs.chmodSync(path.join(p, 'secret.key'), 0o000)],
    ['a folder', 'private', (p: string) => fs.chmodSync(path.join(p, 'private'), 0o000)],
  ])('%s is an AzureMLProjectError naming it', (_what, name, lock) => {
    write({ 'train.py': 'x', 'secret.key': 'k', 'private/x.txt': 'x' });
    lock(dir);
    const { stdout } = listAs(dir);
    expect(JSON.parse(stdout)).toEqual({
      name: 'AzureMLProjectError',
      message: `The project ${dir} has a file or folder that cannot be read (permission denied): ${name} (exclude it in .amlignore, or fix its permissions)`,
      action: 'azureml-execution/zipProject',
    });
    fs.chmodSync(path.join(dir, name), 0o755);
  });
});
