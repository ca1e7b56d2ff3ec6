/** The workflow on the v2 API (loaded on first use by create(), the CLI and the DataFire actions). */
export { submitRunAsJob, resolveJobRun, cancelJob, type V2WorkflowContext, type SubmitRunOrJobInput, type CancelledJob } from './jobs';
export { submitJob, commandJobOf, newJobName, type SubmitJobInput, type SubmitJobOptions, type SubmittedJob } from './submit-job';
export { uploadCode, codeNameOf, type UploadCodeOptions, type UploadedCode } from './upload-code';
export { followLongRunning, isLongRunning, type LongRunningOptions, type Poll } from './long-running';
export { toCommandJob, shellQuote, type ConvertedJob, type DroppedField, type ToCommandJobOptions } from './to-command-job';
