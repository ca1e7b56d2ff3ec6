// A run's metrics by name, each a list of points ({ value, step, time }) in step order: GET /runs/{runId}/metrics.
// The account comes from DataFire-accounts.yml or the environment (AZUREML_HOST, AZUREML_ACCESS_TOKEN...),
// the workspace from the input, DataFire variables or the environment (AZUREML_SUBSCRIPTION_ID...).
module.exports = require('..').workflowAction('getMetrics');
