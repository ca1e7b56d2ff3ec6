// The suite as `npm run test:mutation` runs it for each mutant: the tests that exercise src/ in
// this process. Left out: those that run the built dist/ in a child process (a mutant of src/
// cannot reach them), and the memory and fuzz tests (minutes per mutant, and they kill nothing
// the others do not).
const base = require('./jest.config');

module.exports = {
  ...base,
  testPathIgnorePatterns: [
    '/node_modules/',
    'test/cli\\.test\\.ts',
    'test/datafire-project\\.test\\.ts',
    'test/package\\.test\\.ts',
    'test/types\\.test\\.ts',
    'test/contract-prism\\.test\\.ts',
    'test/contract-prism-runhistory\\.test\\.ts',
    'test/contract-prism-v2\\.test\\.ts',
    // Runs on the emulator (Python for each case): minutes per mutant, and the in-process tests cover the same code.
    'test/results\\.test\\.ts',
    'test/follow\\.test\\.ts',
    'test/emulator-memory\\.test\\.ts',
    'test/emulator-v2\\.test\\.ts',
    'test/cli-v2\\.test\\.ts',
    'test/emulator-fuzz\\.test\\.ts',
    'test/logs-bounded\\.test\\.ts',
    'test/emulator-auth-cli\\.test\\.ts',
    'test/structure\\.test\\.ts',
    // Stryker adds // @ts-nocheck to every file of its sandbox: the generated files differ there by design.
    'test/spec\\.test\\.ts',
    // The emulator's own behaviour (runs Python for every case) and adapters outside the three folders.
    'test/emulator\\.test\\.ts',
    'test/emulator-hardening\\.test\\.ts',
    'test/serverless\\.test\\.ts',
    'test/datafire\\.test\\.ts',
    'test/project\\.test\\.ts',
  ],
};
