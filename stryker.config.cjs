/**
 * StrykerJS, run by `npm run test:mutation` (scripts/mutation.js), one folder of the request
 * path at a time: MUTATION_FOLDER is http, auth or workflow. Each folder has its own report and
 * its own incremental file, so a folder's run ends on its own (a run reports only at its end),
 * and a later run tests again only the mutants whose code or tests changed. Not in CI: hours
 * of two cores for the three folders.
 */
const folder = process.env.MUTATION_FOLDER;
if (!['http', 'auth', 'workflow'].includes(folder)) {
  throw new Error(`MUTATION_FOLDER must be http, auth or workflow, not ${JSON.stringify(folder)}`);
}

module.exports = {
  packageManager: 'npm',
  testRunner: 'jest',
  // Each mutant's run loads only the test files that cover it (test/mutation/files-by-mutant.js),
  // a finer cut than jest's findRelatedTests, which would also walk the import graph every run.
  jest: { configFile: 'jest.mutation.config.js', enableFindRelatedTests: false },
  mutate: [`src/${folder}/**/*.ts`],
  coverageAnalysis: 'perTest',
  concurrency: 2,
  // Generous: a survivor that is slow under load must not be reported as a timeout, which counts
  // as killed (an msal-node test that takes 2.5 s alone took 4.9 s with one mutant, and was).
  // A test that really hangs fails first, at jest's testTimeout (jest.mutation.config.js).
  timeoutMS: 30000,
  timeoutFactor: 3,
  ignoreStatic: true,
  incremental: true,
  incrementalFile: `reports/mutation/${folder}.incremental.json`,
  reporters: ['clear-text', 'progress-append-only', 'html', 'json'],
  clearTextReporter: { reportTests: false, reportMutants: false, logTests: false },
  htmlReporter: { fileName: `reports/mutation/${folder}.html` },
  jsonReporter: { fileName: `reports/mutation/${folder}.json` },
  tempDirName: '.stryker-tmp',
  cleanTempDir: 'always',
};
