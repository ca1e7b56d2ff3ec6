/**
 * Submits a Batch AI job file's work from a project folder: on v1 its run definition
 * (Runs_StartRun), on v2 its command job (code uploaded, Jobs_CreateOrUpdate). What cannot be
 * done on the chosen API is refused before anything is sent, with the reason and the way out.
 */
import { AzureMLValidationError } from '../../errors';
import { isObject } from '../../spec/is-object';
import type { SubmitRunOptions, SubmittedRun } from '../submit-run';
import type { SubmitJobInput, SubmitJobOptions, SubmittedJob } from '../v2/submit-job';
import { fromBatchAIJob, type BatchAIJobConversion } from './from-batchai-job';

export interface SubmitBatchAIJobInput {
  /** The project folder: the job's scripts (and mounts/ for the data its mount roots held). */
  project: string;
  /** The Batch AI job: the resource, or its properties. */
  job: unknown;
  /** v2: the environment (Batch AI jobs name none). */
  environmentId?: string;
  /** Overrides: the experiment (default: the client's, else the job's experimentName) and the run id. */
  experimentName?: string;
  runId?: string;
}

export type SubmittedBatchAIJob = (SubmittedRun | SubmittedJob) & { warnings: string[] };

/** What submitBatchAIJob needs of a client: both submissions, the API it speaks, its default experiment. */
export interface BatchAISubmitter {
  api: 'v1' | 'v2';
  defaultExperiment?: string;
  submitRun(input: { project: string; definition: Record<string, unknown>; runId?: string; experimentName?: string }, options?: SubmitRunOptions): Promise<SubmittedRun>;
  submitJob(input: SubmitJobInput, options?: SubmitJobOptions): Promise<SubmittedJob>;
}

const ACTION = 'azureml-execution/submitBatchAIJob';

/** The v2 submission of a conversion. */
export function jobInputOf(conversion: BatchAIJobConversion, input: SubmitBatchAIJobInput, experimentName: string | undefined): SubmitJobInput {
  const job = conversion.commandJob;
  return {
    project: input.project,
    command: job.command,
    environmentId: input.environmentId ?? job.environmentId,
    ...(job.computeId ? { computeId: job.computeId } : {}),
    ...(job.environmentVariables ? { environmentVariables: job.environmentVariables as Record<string, string> } : {}),
    ...(job.resources?.instanceCount ? { instanceCount: job.resources.instanceCount } : {}),
    ...(job.distribution ? { distribution: job.distribution } : {}),
    ...(job.limits?.timeout ? { timeout: job.limits.timeout } : {}),
    ...(experimentName ? { experimentName } : {}),
    ...(input.runId ? { jobName: input.runId } : {}),
  };
}

export async function submitBatchAIJob(client: BatchAISubmitter, input: SubmitBatchAIJobInput, options: SubmitRunOptions & SubmitJobOptions = {}): Promise<SubmittedBatchAIJob> {
  if (!isObject(input) || typeof input.project !== 'string' || !input.project) {
    throw new AzureMLValidationError({ action: ACTION, problems: [{ path: 'project', message: 'is required: the folder with the job scripts' }] });
  }
  const conversion = fromBatchAIJob(input.job);
  const experimentName = input.experimentName ?? client.defaultExperiment ?? conversion.experimentName;
  if (client.api === 'v2') {
    if (!input.environmentId) {
      throw new AzureMLValidationError({
        action: ACTION,
        problems: [
          { path: 'environmentId', message: "is required on v2: Batch AI jobs name no environment; register one with the job's image and give its id, e.g. azureml:my-env:1" },
        ],
      });
    }
    const submitted = await client.submitJob(jobInputOf(conversion, input, experimentName), options);
    return Object.assign(submitted, { warnings: conversion.warnings });
  }
  if (!conversion.definition) {
    throw new AzureMLValidationError({ action: ACTION, problems: conversion.v1Blockers.map((message) => ({ path: 'job', message })) });
  }
  const submitted = await client.submitRun(
    {
      project: input.project,
      definition: conversion.definition as unknown as Record<string, unknown>,
      ...(input.runId ? { runId: input.runId } : {}),
      ...(experimentName ? { experimentName } : {}),
    },
    options,
  );
  return Object.assign(submitted, { warnings: conversion.warnings });
}
