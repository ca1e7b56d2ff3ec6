/** The ESM entry: the same module as `require('azureml-execution')`, with named exports. */
import pkg from './index.js';

export const {
  id,
  title,
  description,
  security,
  actions,
  allActions,
  create,
  action,
  getDetails,
  runHistory,
  startEmulator,
  workflowAction,
  toHandler,
  zipProject,
  zipProjectStream,
  submitRun,
  waitForRun,
  cancelRun,
  getRunLog,
  listRuns,
  AzureMLError,
  AzureMLAbortError,
  AzureMLAccountError,
  AzureMLAuthError,
  AzureMLNetworkError,
  AzureMLProjectError,
  AzureMLRunFailedError,
  AzureMLResponseFormatError,
  AzureMLServiceError,
  AzureMLTimeoutError,
  AzureMLValidationError,
} = pkg;
export type * from './index.js';
export default pkg;
