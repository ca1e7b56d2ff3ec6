// Starts a run from a snapshot kept by the service.
// `npx datafire run ./actions/start-snapshot-run.js --input.<field>=... ` with the account in DataFire-accounts.yml
// (or --accounts.azure_machinelearningservices_execution.<field>=...).
module.exports = require('..').action('Runs_StartSnapshotRun');
