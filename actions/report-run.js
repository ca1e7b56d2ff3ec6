// Reports a run that ended (a log line, and the webhook when set): the report_ended_runs task's action.
// The account comes from DataFire-accounts.yml or the environment (AZUREML_HOST, AZUREML_ACCESS_TOKEN...),
// the workspace from the input, DataFire variables or the environment (AZUREML_SUBSCRIPTION_ID...).
module.exports = require('..').workflowAction('reportRun');
