/**
 * The order of test files in `npm run test:mutation`: the in-process unit files first, the files
 * that start the emulator and run Python last. With the bail of bail-environment.js, a mutant that
 * a unit test kills never starts an emulator. In a mutant's run, only the files whose tests cover
 * it (files-by-mutant.js).
 */
const path = require('path');
const { filesFor } = require('./files-by-mutant');

// Slowest last: each starts the emulator and runs scripts (seconds per test).
const LAST = ['auth.test.ts', 'client-hardening.test.ts', 'workflow.test.ts', 'compute.test.ts', 'batchai.test.ts', 'follow.test.ts', 'results.test.ts', 'distributed.test.ts'];

class FastFirstSequencer {
  sort(tests) {
    const rank = (test) => LAST.indexOf(path.basename(test.path));
    return [...filesFor(tests)].sort((a, b) => rank(a) - rank(b) || a.path.localeCompare(b.path));
  }

  cacheResults() {}
}

module.exports = FastFirstSequencer;
