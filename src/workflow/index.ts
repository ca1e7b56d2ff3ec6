/** The workflow functions, loaded together on the first workflow call. */
export { submitRun, ensureExperiment, type SubmitRunInput, type SubmitRunOptions, type SubmittedRun } from './submit-run';
export { waitForRun, AzureMLRunFailedError, type WaitForRunOptions } from './wait-for-run';
export { getRunLog, DRIVER_LOG, type GetRunLogOptions, type RunLog } from './run-log';
export { iterateRuns, iterateChildRuns, listRuns, listRunsPage, type IterateRunsInput, type ListRunsInput, type ListRunsPageInput, type RunsPage } from './list-runs';
export { prepareRunDefinition, type DefinitionInput } from './definition';
export { resolveRun, resolveExperiment, type RunRef, type RunLocator, type ExperimentLocator, type WorkspaceLocator } from './locator';
export { getMetrics, type MetricPoint, type RunMetrics } from './results/metrics';
export { downloadOutputs, type DownloadOutputsOptions, type DownloadProgress, type DownloadedFile, type DownloadedOutputs } from './results/download';
export { getRunDetails, type RunSummary } from './results/details';
export type { WorkflowContext, ServiceActions } from './context';
