/**
 * The test runner (jest's `runner`) of `npm run test:mutation`: jest's own, in band as Stryker
 * runs it, except that once a test of the active mutant's run has failed (bail-environment.js),
 * the files left are not loaded at all. Loading a file costs most of a second (each imports
 * src/ anew, instrumented); it is answered as a file with no tests instead.
 */
const TestRunner = require('jest-runner').default;
const { createEmptyTestResult } = require('@jest/test-result');
const { activeMutantFailed } = require('./bail-state');

/** A file that was not loaded: jest refuses a file result without tests, so it holds one, pending. */
function skippedFile(testFilePath) {
  const title = '(not loaded: a test before it failed)';
  return {
    ...createEmptyTestResult(),
    testFilePath,
    numPendingTests: 1,
    testResults: [{ ancestorTitles: [], duration: 0, failureDetails: [], failureMessages: [], fullName: title, numPassingAsserts: 0, status: 'pending', title, location: null }],
  };
}

class BailRunner extends TestRunner {
  #listeners = new Map();

  on(eventName, listener) {
    const list = this.#listeners.get(eventName) ?? [];
    list.push(listener);
    this.#listeners.set(eventName, list);
    return super.on(eventName, listener);
  }

  async #emit(eventName, args) {
    for (const listener of this.#listeners.get(eventName) ?? []) await listener(args);
  }

  async runTests(tests, watcher, options) {
    if (!options.serial) return super.runTests(tests, watcher, options);
    for (const test of tests) {
      if (activeMutantFailed()) {
        await this.#emit('test-file-start', [test]);
        await this.#emit('test-file-success', [test, skippedFile(test.path)]);
      } else {
        await super.runTests([test], watcher, options);
      }
    }
  }
}

module.exports = BailRunner;
