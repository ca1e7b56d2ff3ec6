/** Batch AI jobs as Azure ML runs (loaded on first use). */
export { fromBatchAIJob, MOUNT_ROOT, JOB_MOUNT_ROOT, type BatchAIJobConversion, type BatchAICommandJob, type FromBatchAIJobOptions } from './from-batchai-job';
export { splitShellWords } from './shell-words';
export { submitBatchAIJob, jobInputOf, type SubmitBatchAIJobInput, type SubmittedBatchAIJob, type BatchAISubmitter } from './submit-batchai-job';
