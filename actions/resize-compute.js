// Changes a cluster's node counts and idle time.
// Computes are resources of the v2 API: the account's management_host (or AZUREML_MANAGEMENT_HOST) says where it is.
// The workspace comes from the input, DataFire variables or the environment (AZUREML_SUBSCRIPTION_ID...).
module.exports = require('..').workflowAction('resizeCompute');
