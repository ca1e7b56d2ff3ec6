/**
 * The tools of `npm run test:mutation`: the bail its test environment adds (jest's own cannot run
 * in-process), the order of its test files, and the score table of scripts/mutation.js. The score
 * in the notes rests on them: a bail that skipped a test before any failure would report a
 * survivor as killed.
 */
import { execFile } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';

const ROOT = path.join(__dirname, '..');
const FastFirstSequencer = require('./mutation/fast-first-sequencer.js');
const { count, summary } = require('../scripts/mutation.js');

let scratch: string;
beforeAll(() => {
  scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'mutation-tools-'));
});
afterAll(() => fs.rmSync(scratch, { recursive: true, force: true }));

/** jest in its own process, in band like Stryker's, over the two fixture files; the marks their hooks and tests left, in order. */
function runFixtures(activeMutant: string | undefined, worker?: { dir: string }): Promise<{ marks: string[]; result: Record<string, number> }> {
  const tag = `${worker ? 'worker-' : ''}${activeMutant ?? 'dry'}`;
  const marks = path.join(scratch, `marks-${tag}.txt`);
  const output = path.join(scratch, `result-${tag}.json`);
  const config = {
    rootDir: path.join(ROOT, 'test', 'fixtures', 'mutation-bail'),
    testMatch: ['**/*.spec.js'],
    testEnvironment: path.join(ROOT, 'test', 'mutation', 'bail-environment.js'),
    testSequencer: path.join(ROOT, 'test', 'mutation', 'fast-first-sequencer.js'),
    runner: path.join(ROOT, 'test', 'mutation', 'bail-runner.js'),
  };
  const env: NodeJS.ProcessEnv = { PATH: process.env.PATH, BAIL_MARKS: marks };
  if (activeMutant !== undefined) env.__STRYKER_ACTIVE_MUTANT__ = activeMutant;
  // A Stryker worker: its directory holds the map the dry run writes; the fixtures fake the coverage.
  if (worker) Object.assign(env, { STRYKER_MUTATOR_WORKER: '1', FAKE_COVERAGE: '1' });
  const jest = path.join(ROOT, 'node_modules', 'jest', 'bin', 'jest.js');
  return new Promise((resolve, reject) => {
    execFile(
      process.execPath,
      [jest, '--config', JSON.stringify(config), '--runInBand', '--ci', '--json', '--outputFile', output],
      { env, timeout: 60000, cwd: worker?.dir },
      () => {
        try {
          resolve({ marks: fs.readFileSync(marks, 'utf8').trim().split('\n'), result: JSON.parse(fs.readFileSync(output, 'utf8')) });
        } catch (err) {
          reject(err);
        }
      },
    );
  });
}

test('a mutant run stops at its first failed test: later tests and the beforeAll of blocks with nothing left are skipped, afterAll of a started block still runs, later files are not loaded', async () => {
  const { marks, result } = await runFixtures('7');
  expect(marks).toEqual(['first passes', 'first fails', 'first afterAll']);
  // The file not loaded is one pending test, not a failed suite (jest refuses a file without tests).
  expect(result).toMatchObject({
    numFailedTests: 1,
    numPassedTests: 1,
    numPendingTests: 3,
    numTotalTests: 5,
    numTotalTestSuites: 2,
    numFailedTestSuites: 1,
    numRuntimeErrorTestSuites: 0,
  });
}, 60000);

test('the dry run (no active mutant) runs every test and hook, failures or not', async () => {
  const { marks, result } = await runFixtures(undefined);
  expect(marks).toEqual([
    'first passes',
    'first fails',
    'first after the failure',
    'nested beforeAll',
    'nested test',
    'first afterAll',
    'second loaded',
    'second beforeAll',
    'second test',
    'second afterAll',
  ]);
  expect(result).toMatchObject({ numFailedTests: 1, numPassedTests: 4, numPendingTests: 0 });
}, 60000);

test("a worker's dry run writes which mutants each file's tests cover; a mutant's run then loads only the files that cover it", async () => {
  const dir = fs.mkdtempSync(path.join(scratch, 'sandbox-'));
  await runFixtures(undefined, { dir });
  const lines = fs
    .readFileSync(path.join(dir, '.mutants-by-test-file.jsonl'), 'utf8')
    .trim()
    .split('\n')
    .map((line) => JSON.parse(line));
  const fixtures = path.join(ROOT, 'test', 'fixtures', 'mutation-bail');
  expect(lines).toEqual([
    { testPath: path.join(fixtures, 'a-first.spec.js'), mutants: ['1', '2'] },
    { testPath: path.join(fixtures, 'b-second.spec.js'), mutants: ['2', '3'] },
  ]);
  const third = await runFixtures('3', { dir });
  expect(third.marks).toEqual(['second loaded', 'second beforeAll', 'second test', 'second afterAll']);
  expect(third.result).toMatchObject({ numPassedTests: 1, numTotalTests: 1 });
  expect((await runFixtures('1', { dir })).marks).toEqual(['first passes', 'first fails', 'first afterAll']);
  // Mutant 2 is covered by both: both are loaded (the first one's failure skips the second's tests).
  expect((await runFixtures('2', { dir })).result).toMatchObject({ numFailedTests: 1, numPassedTests: 1, numPendingTests: 3, numTotalTests: 5, numFailedTestSuites: 1 });
}, 60000);

test('the files that start the emulator run last, slowest last; the others by path', () => {
  const paths = ['/t/distributed.test.ts', '/t/wire.test.ts', '/t/workflow.test.ts', '/t/auth.test.ts', '/t/errors.test.ts', '/t/compute.test.ts'];
  const sorted = new FastFirstSequencer().sort(paths.map((p) => ({ path: p })));
  expect(sorted.map((t: { path: string }) => path.basename(t.path))).toEqual([
    'errors.test.ts',
    'wire.test.ts',
    'auth.test.ts',
    'workflow.test.ts',
    'compute.test.ts',
    'distributed.test.ts',
  ]);
});

test('the score counts timeouts as detected and leaves out mutants that did not compile or were ignored', () => {
  const mutants = (statuses: string[]) => statuses.map((status, id) => ({ id: String(id), status }));
  fs.writeFileSync(
    path.join(scratch, 'http.json'),
    JSON.stringify({ files: { 'src/http/a.ts': { mutants: mutants(['Killed', 'Killed', 'Killed', 'Timeout', 'Survived', 'NoCoverage', 'CompileError', 'Ignored']) } } }),
  );
  fs.writeFileSync(path.join(scratch, 'auth.json'), JSON.stringify({ files: { 'src/auth/b.ts': { mutants: mutants(['Killed', 'Survived', 'RuntimeError']) } } }));
  expect(count(JSON.parse(fs.readFileSync(path.join(scratch, 'http.json'), 'utf8')))).toEqual({ Killed: 3, Timeout: 1, Survived: 1, NoCoverage: 1, other: 2 });
  expect(summary(scratch)).toBe(
    [
      'folder     mutants  killed  timeout  survived  no cover   score  of covered',
      'src/http/        6       3        1         1         1  66.7 %      80.0 %',
      'src/auth/        2       1        0         1         0  50.0 %      50.0 %',
      'all              8       4        1         2         1  62.5 %      71.4 %',
    ].join('\n'),
  );
  expect(summary(path.join(scratch, 'none'))).toBe('No mutation report yet: run `npm run test:mutation`.');
});
