// The suite as `npm run test:mutation` runs it for each mutant (stryker.config.cjs): the tests
// that exercise src/ in this process. Left out: those that run the built dist/ in a child process
// (a mutant of src/ cannot reach them), the browser, and the memory and fuzz tests (minutes per
// mutant, and they kill nothing the others do not).
const path = require('path');
const base = require('./jest.config');

const never = [
  'cli',
  'cli-v2',
  'cli-compute',
  'cli-batchai',
  'datafire-project',
  'package',
  'types',
  'contract-prism',
  'contract-prism-runhistory',
  'contract-prism-v2',
  'dashboard',
  'emulator-memory',
  'emulator-fuzz',
  'logs-bounded',
  'emulator-auth-cli',
  'structure',
  // Runs jest in child processes over its own fixtures: it reaches no src/ code.
  'mutation-tools',
  // Stryker adds // @ts-nocheck to every file of its sandbox: the generated files differ there by design.
  'spec',
  // The emulator's own behaviour, and the adapters outside the three folders.
  'emulator',
  'emulator-v2',
  'emulator-hardening',
  'serverless',
  'datafire',
  'project',
];
// Suites that run Python scripts on the emulator for each case. They are what reaches much of
// workflow/ (compute, Batch AI, distributed runs, results), so they run for it. For http/ and auth/
// every mutant is covered by them too, and a survivor would run them all (most of a minute) to
// learn nothing the in-process suites do not check.
const scripts = ['distributed', 'batchai', 'compute', 'workflow', 'results', 'follow'];
const left = process.env.MUTATION_FOLDER === 'workflow' ? never : [...never, ...scripts];

module.exports = {
  ...base,
  // Transpile only: Stryker marks every sandbox file @ts-nocheck anyway, and a type-checking
  // ts-jest resolves each file's imports again in every mutant's jest run.
  transform: { '^.+\\.ts$': ['ts-jest', { tsconfig: '<rootDir>/test/tsconfig.mutation.json' }] },
  // Absolute: Stryker reads this file without resolving <rootDir> for the environment.
  testEnvironment: path.join(__dirname, 'test/mutation/bail-environment.js'),
  testSequencer: path.join(__dirname, 'test/mutation/fast-first-sequencer.js'),
  runner: path.join(__dirname, 'test/mutation/bail-runner.js'),
  // A mutant that makes a test wait forever fails it here, rather than at Stryker's timeout,
  // which restarts the worker. The slowest test of these files takes about 6 s.
  testTimeout: 15000,
  // workflow/: its lazily loaded modules are loaded before each file (why: test/mutation/preload-workflow.js).
  setupFiles: process.env.MUTATION_FOLDER === 'workflow' ? [path.join(__dirname, 'test/mutation/preload-workflow.js')] : [],
  testPathIgnorePatterns: ['/node_modules/', ...left.map((name) => `/test/${name.replace(/-/g, '\\-')}\\.test\\.ts$`)],
};
