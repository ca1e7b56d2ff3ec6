// Gets the zip that runs a definition on this machine.
// `npx datafire run ./actions/start-local-run.js --input.<field>=... ` with the account in DataFire-accounts.yml
// (or --accounts.azure_machinelearningservices_execution.<field>=...).
module.exports = require('..').action('Runs_StartLocalRun');
