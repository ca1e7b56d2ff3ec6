/**
 * The test environment of `npm run test:mutation`: jest's node environment, plus the bail that
 * Stryker cannot ask of jest. Stryker runs every test that covers a mutant, in one in-process jest
 * run, and jest's own `bail` exits the process (jestjs/jest#11766), so Stryker turns it off. One
 * failed test already kills the mutant; the rest of the run only costs time. Once a test of a
 * mutant's run fails, every test after it is skipped, and so are the beforeAll hooks of the
 * blocks that have nothing left to run (they start emulators and servers). afterAll hooks of
 * blocks already started still run, so nothing is left open.
 *
 * This module is loaded once per Stryker worker process, outside the tests' sandboxes, so the
 * flag (bail-state.js) lives across the test files of one run; bail-runner.js then does
 * not even load the files that come after. A run is known by the mutant Stryker
 * activates for it (an environment variable); the dry run has none and is never cut short.
 */
const { TestEnvironment } = require('jest-environment-node');
const { ACTIVE_MUTANT, inDryRun, record } = require('./files-by-mutant');
const { markFailed, activeMutantFailed } = require('./bail-state');

/** Stryker's id of a test: its describe blocks' names and its own, space-separated. */
function fullName(test) {
  const names = [test.name];
  for (let block = test.parent; block?.parent; block = block.parent) names.unshift(block.name);
  return names.join(' ').trimStart();
}

function skipEveryTest(block) {
  for (const child of block.children) {
    if (child.type === 'test') child.mode = 'skip';
    else skipEveryTest(child);
  }
}

class BailEnvironment extends TestEnvironment {
  constructor(config, context) {
    super(config, context);
    this.testPath = context.testPath;
    this.testIds = new Set();
  }

  handleTestEvent(event) {
    const mutant = process.env[ACTIVE_MUTANT];
    if (mutant === undefined) {
      if (event.name === 'test_start') this.testIds.add(fullName(event.test));
      return;
    }
    if (event.name === 'test_fn_failure' || event.name === 'hook_failure') markFailed();
    if (!activeMutantFailed()) return;
    // Skipped before its hooks are chosen: a block with no test left runs no beforeAll.
    if (event.name === 'run_describe_start') skipEveryTest(event.describeBlock);
    if (event.name === 'test_start') event.test.mode = 'skip';
  }

  async teardown() {
    // The dry run's coverage of this file's tests (Stryker's instrumenter keeps it per test id).
    if (inDryRun()) {
      const perTest = this.global.__stryker__?.mutantCoverage?.perTest ?? {};
      const mutants = new Set();
      for (const id of this.testIds) for (const mutant of Object.keys(perTest[id] ?? {})) mutants.add(mutant);
      record(this.testPath, mutants);
    }
    await super.teardown();
  }
}

module.exports = BailEnvironment;
