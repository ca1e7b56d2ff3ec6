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
 * flag below lives across the test files of one run. A run is known by the mutant Stryker
 * activates for it (an environment variable); the dry run has none and is never cut short.
 */
const { TestEnvironment } = require('jest-environment-node');

const ACTIVE_MUTANT = '__STRYKER_ACTIVE_MUTANT__';
let failedMutant;

function skipEveryTest(block) {
  for (const child of block.children) {
    if (child.type === 'test') child.mode = 'skip';
    else skipEveryTest(child);
  }
}

class BailEnvironment extends TestEnvironment {
  handleTestEvent(event) {
    const mutant = process.env[ACTIVE_MUTANT];
    if (mutant === undefined) return;
    if (event.name === 'test_fn_failure' || event.name === 'hook_failure') failedMutant = mutant;
    if (failedMutant !== mutant) return;
    // Skipped before its hooks are chosen: a block with no test left runs no beforeAll.
    if (event.name === 'run_describe_start') skipEveryTest(event.describeBlock);
    if (event.name === 'test_start') event.test.mode = 'skip';
  }
}

module.exports = BailEnvironment;
