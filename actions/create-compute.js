// Creates an AmlCompute cluster and waits until it is provisioned (wait: false returns at once).
// Computes are resources of the v2 API: the account's management_host (or AZUREML_MANAGEMENT_HOST) says where it is.
// The workspace comes from the input, DataFire variables or the environment (AZUREML_SUBSCRIPTION_ID...).
module.exports = require('..').workflowAction('createCompute');
