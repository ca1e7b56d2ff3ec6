/**
 * Whether the active mutant's run already has a failed test: set by bail-environment.js, read by
 * it and by bail-runner.js, which then skip the rest of the run. Module state: both are loaded
 * once per Stryker worker, outside the tests' sandboxes, so it lives across the files of a run.
 * A run is known by the mutant Stryker activates for it; the dry run has none and never bails.
 */
const { ACTIVE_MUTANT } = require('./files-by-mutant');

let failedMutant;

const markFailed = () => (failedMutant = process.env[ACTIVE_MUTANT]);
const activeMutantFailed = () => process.env[ACTIVE_MUTANT] !== undefined && failedMutant === process.env[ACTIVE_MUTANT];

module.exports = { markFailed, activeMutantFailed };
