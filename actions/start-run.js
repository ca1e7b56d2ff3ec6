// Starts a run from a definition and a project zip (multipart upload).
// `npx datafire run ./actions/start-run.js --input.<field>=... ` with the account in DataFire-accounts.yml
// (or --accounts.azure_machinelearningservices_execution.<field>=...).
module.exports = require('..').action('Runs_StartRun');
