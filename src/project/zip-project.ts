/**
 * Zips a project folder for Runs_StartRun, deterministically (sorted entries, fixed timestamps),
 * within the service's limits: 25 MB of zip and 2,000 files unless the caller raises them.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import type { Readable } from 'stream';
import { pipeline } from 'stream/promises';
import { AzureMLProjectError } from '../errors';
import { listProjectFiles, type ProjectFile } from './project-files';

export interface ZipProjectOptions {
  /** Told about ignore files the user may not have meant (default: process.emitWarning). */
  onWarning?: (message: string) => void;
  /** Largest zip (default 25 MB, the startrun limit). */
  maxBytes?: number;
  /** Most files (default 2,000, the snapshot limit). */
  maxFiles?: number;
  /** @internal The files to zip, when the caller listed them already (listProjectFiles). */
  files?: ProjectFile[];
}

export interface ZippedProject {
  /** The zip file (in a temporary folder: `remove()` deletes it). */
  path: string;
  size: number;
  files: string[];
  remove(): void;
}

export const DEFAULT_MAX_ZIP_BYTES = 25 * 1024 * 1024;
export const DEFAULT_MAX_FILES = 2000;
const FIXED_MTIME = new Date('2020-01-01T00:00:00Z');
const ACTION = 'azureml-execution/zipProject';

function biggest(files: ProjectFile[]): string {
  return [...files]
    .sort((a, b) => b.size - a.size)
    .slice(0, 5)
    .map((f) => `${f.name} (${formatBytes(f.size)})`)
    .join(', ');
}

export function formatBytes(bytes: number): string {
  if (bytes >= 1024 * 1024) return `${(bytes / 1024 / 1024).toFixed(1)} MB`;
  if (bytes >= 1024) return `${(bytes / 1024).toFixed(1)} KB`;
  return `${bytes} B`;
}

/** A warning as Node reports them (on stderr unless the process listens for 'warning'). */
export function emitProjectWarning(message: string): void {
  process.emitWarning(message, { type: 'AzureMLProjectWarning', code: 'AZUREML_PROJECT_IGNORE' });
}

/** A zip stream of the folder's files (after .amlignore/.gitignore). A file that cannot be read fails the stream, naming it. */
export function zipProjectStream(dir: string, files: ProjectFile[] = listProjectFiles(dir, { onWarning: emitProjectWarning })): Readable {
  const yazl = require('yazl') as typeof import('yazl');
  const zip = new yazl.ZipFile();
  const output = zip.outputStream as Readable;
  // yazl reports a file it cannot open on the ZipFile: without this listener, the process would die.
  zip.on('error', (error: Error) => output.destroy(new AzureMLProjectError({ message: `The project ${dir} could not be zipped: ${error.message}`, project: dir, action: ACTION })));
  for (const file of files) zip.addFile(file.absolute, file.name, { mtime: FIXED_MTIME, mode: file.mode });
  zip.end();
  return output;
}

/** Zips the folder into a temporary file, refusing a project over the limits with its size and biggest files. */
export async function zipProject(dir: string, options: ZipProjectOptions = {}): Promise<ZippedProject> {
  const maxFiles = options.maxFiles ?? DEFAULT_MAX_FILES;
  const maxBytes = options.maxBytes ?? DEFAULT_MAX_ZIP_BYTES;
  const files = options.files ?? listProjectFiles(dir, { onWarning: options.onWarning ?? emitProjectWarning });
  if (files.length > maxFiles) {
    throw new AzureMLProjectError({
      message: `The project ${dir} has ${files.length} files, more than the ${maxFiles} allowed (raise maxFiles, or exclude files in .amlignore)`,
      project: dir,
      action: ACTION,
    });
  }
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'azureml-project-'));
  const file = path.join(tmp, 'project.zip');
  const remove = () => fs.rmSync(tmp, { recursive: true, force: true });
  try {
    let size = 0;
    await pipeline(
      zipProjectStream(dir, files),
      // Stops at the limit: a project ten times too big is not zipped whole to be refused.
      async function* limit(source: AsyncIterable<Buffer>) {
        for await (const chunk of source) {
          size += chunk.length;
          if (size > maxBytes) {
            throw new AzureMLProjectError({
              message: `The project ${dir} zips to more than the ${formatBytes(maxBytes)} startrun accepts (zipping stopped there; raise maxBytes, or exclude files in .amlignore). Biggest files: ${biggest(files)}`,
              project: dir,
              action: ACTION,
            });
          }
          yield chunk;
        }
      },
      fs.createWriteStream(file, { mode: 0o600 }),
    );
    return { path: file, size, files: files.map((f) => f.name), remove };
  } catch (error) {
    remove();
    if (error instanceof AzureMLProjectError) throw error;
    throw new AzureMLProjectError({ message: `The project ${dir} could not be zipped: ${(error as Error).message}`, project: dir, action: ACTION });
  }
}
