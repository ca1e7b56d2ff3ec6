// A run's output files, written to a folder of this server: POST /runs/{runId}/download with { "to": "<folder>" }.
// Over HTTP the folder must lie under the variable downloadsDir (default ./downloads).
// The account comes from DataFire-accounts.yml or the environment (AZUREML_HOST, AZUREML_ACCESS_TOKEN...),
// the workspace from the input, DataFire variables or the environment (AZUREML_SUBSCRIPTION_ID...).
module.exports = require('..').workflowAction('downloadOutputs');
