// A run's details in one answer (status, times, definition, log names, last metric values, artifact paths): GET /runs/{runId}/details.
// The account comes from DataFire-accounts.yml or the environment (AZUREML_HOST, AZUREML_ACCESS_TOKEN...),
// the workspace from the input, DataFire variables or the environment (AZUREML_SUBSCRIPTION_ID...).
module.exports = require('..').workflowAction('getRunDetails');
