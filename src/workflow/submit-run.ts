/**
 * Seed 003's whole submission in one call: the definition checked, the project folder zipped
 * (within the service's limits), the experiment created when it does not exist, a run id made as
 * the Azure ML SDK makes them, and the zip streamed to Runs_StartRun. Everything that can be
 * checked here is checked before the first request.
 */
import * as fs from 'fs';
import * as path from 'path';
import type { CallOptions } from '../http/call-options';
import { AzureMLAbortError, AzureMLProjectError, AzureMLServiceError, AzureMLValidationError } from '../errors';
import type { FileInput } from '../http/file-input';
import { validateInput } from '../http/validate-input';
import { listProjectFiles } from '../project/project-files';
import { emitProjectWarning, zipProject, type ZippedProject } from '../project/zip-project';
import { executionSpec } from '../spec/execution/spec';
import type { RunDefinition } from '../spec/execution/types';
import { workflowAction, type ServiceActions, type WorkflowContext } from './context';
import { prepareRunDefinition, type DefinitionInput } from './definition';
import { markWorkflowFields, resolveExperiment, type ExperimentLocator, type RunLocator } from './locator';

export interface SubmitRunInput extends Partial<ExperimentLocator>, DefinitionInput {
  /**
   * The project: a folder (zipped here, honouring .amlignore, else .gitignore), the path of a
   * zip, or a zip as bytes, `{ path }` or DataFire's file object.
   */
  project: string | Exclude<FileInput, string>;
  /** The run's id (default `{experiment}_{unix seconds}_{8 hex}`, as the Azure ML SDK makes them). */
  runId?: string;
  /** Largest zip of a folder (default 25 MB, the startrun limit). */
  maxBytes?: number;
  /** Most files of a folder (default 2,000). */
  maxFiles?: number;
}

export interface SubmitRunOptions extends CallOptions {
  /** Told when a folder has been zipped, before anything is sent. */
  onZipped?: (project: { files: string[]; bytes: number }) => void;
  /** Told about ignore files the user may not have meant, such as an empty .amlignore (default: process.emitWarning). */
  onWarning?: (message: string) => void;
}

export interface SubmittedRun extends RunLocator {
  /** The definition that was sent (camelCase, defaults applied). */
  definition: RunDefinition;
  /** What was uploaded: the files of a folder, and the zip's size when known. */
  project: { files?: string[]; bytes?: number };
}

/** The experiment, created when Run History does not know it (a 409 means someone else just did). */
export async function ensureExperiment(client: ServiceActions, experiment: ExperimentLocator, call: CallOptions = {}): Promise<void> {
  try {
    await client.Experiments_Get(experiment, call);
  } catch (error) {
    if (!(error instanceof AzureMLServiceError && error.statusCode === 404)) throw error;
    try {
      await client.Experiments_Create(experiment, call);
    } catch (createError) {
      if (!(createError instanceof AzureMLServiceError && createError.statusCode === 409)) throw createError;
    }
  }
}

function isFolder(file: string): boolean | undefined {
  try {
    return fs.statSync(file).isDirectory();
  } catch {
    return undefined;
  }
}

/** The folder's files, with the script among them: a missing script would only fail in the cloud. */
function listFolder(folder: string, script: string, action: string, onWarning: (message: string) => void) {
  const files = listProjectFiles(folder, { onWarning });
  const wanted = script.replace(/^\.\//, '');
  if (!files.some((f) => f.name === wanted)) {
    const ignored = fs.existsSync(path.join(folder, wanted));
    throw new AzureMLProjectError({
      message: ignored
        ? `The script ${script} is in ${folder}, but .amlignore (or .gitignore) leaves it out of the project`
        : `The script ${script} is not in the project ${folder} (it has ${files.length} file${files.length === 1 ? '' : 's'}${
            files.length
              ? `: ${files
                  .slice(0, 10)
                  .map((f) => f.name)
                  .join(', ')}${files.length > 10 ? ', ...' : ''}`
              : ''
          })`,
      project: folder,
      action,
    });
  }
  return files;
}

export async function submitRun(ctx: WorkflowContext, input: SubmitRunInput, options: SubmitRunOptions = {}): Promise<SubmittedRun> {
  const action = workflowAction('submitRun');
  if (!input || typeof input !== 'object')
    throw new AzureMLValidationError({ action, problems: [{ path: '', message: 'input must be an object with project and script (or definition)' }] });
  const experiment = resolveExperiment(input, ctx.defaults, action);
  const definition = prepareRunDefinition(input, action, 'definition', { unknownFields: options.unknownFields, onWarning: options.onWarning });
  // Left to Runs_StartRun when not given: a run id the call makes itself is one it may recover after
  // an ambiguous failure; a caller's own id that names an existing run must surface the 409.
  const runId = input.runId;
  const { onZipped, onWarning, ...call } = options;

  let zipInput: Exclude<FileInput, string>;
  let folder: string | undefined;
  if (typeof input.project === 'string') {
    const kind = isFolder(input.project);
    if (kind === undefined)
      throw new AzureMLValidationError({ action, problems: [{ path: 'project', message: `is neither a folder nor a zip file: ${input.project} does not exist` }] });
    if (kind) folder = input.project;
    zipInput = { path: input.project };
  } else if (input.project !== undefined && input.project !== null) {
    zipInput = input.project;
  } else {
    throw new AzureMLValidationError({ action, problems: [{ path: 'project', message: 'is required: a folder, the path of a zip, or the zip itself' }] });
  }

  // Everything but the zip of a folder (not made yet) is checked now, before the work of zipping.
  const startRun = executionSpec.operations.find((op) => op.operationId === 'Runs_StartRun')!;
  const startInput = { ...experiment, runId, runDefinitionFile: definition, projectZipFile: zipInput };
  // Unknown fields were reported (or refused) by prepareRunDefinition, under the input's own names.
  await validateInput(executionSpec, startRun, folder ? { ...startInput, projectZipFile: Buffer.from('PK\x03\x04', 'latin1') } : startInput, action);

  let zipped: ZippedProject | undefined;
  try {
    const project: SubmittedRun['project'] = {};
    if (folder) {
      const files = listFolder(folder, String(definition.configuration?.script), action, onWarning ?? emitProjectWarning);
      zipped = await zipProject(folder, { maxBytes: input.maxBytes, maxFiles: input.maxFiles, files });
      Object.assign(project, { files: zipped.files, bytes: zipped.size });
      onZipped?.({ files: zipped.files, bytes: zipped.size });
      startInput.projectZipFile = { path: zipped.path };
    } else if (Buffer.isBuffer(zipInput) || zipInput instanceof Uint8Array) {
      project.bytes = zipInput.length;
    } else if (typeof input.project === 'string') {
      project.bytes = fs.statSync(input.project).size;
    }
    if (call.signal?.aborted) throw new AzureMLAbortError({ action, reason: call.signal.reason });
    await ensureExperiment(ctx.client, experiment, call);
    const started = await ctx.client.Runs_StartRun(startInput as Parameters<ServiceActions['Runs_StartRun']>[0], { ...call, unknownFields: 'pass' });
    return markWorkflowFields({ ...experiment, runId: started.runId, definition, project }, ['definition', 'project']);
  } finally {
    zipped?.remove();
  }
}
