// Cancels a run.
// `npx datafire run ./actions/cancel-run.js --input.<field>=... ` with the account in DataFire-accounts.yml
// (or --accounts.azure_machinelearningservices_execution.<field>=...).
module.exports = require('..').action('Runs_CancelRunWithUri');
