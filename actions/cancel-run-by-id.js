// Cancels a run by its id: POST /runs/{runId}/cancel.
// The account comes from DataFire-accounts.yml or the environment (AZUREML_HOST, AZUREML_ACCESS_TOKEN...),
// the workspace from the input, DataFire variables or the environment (AZUREML_SUBSCRIPTION_ID...).
module.exports = require('..').workflowAction('cancelRun');
