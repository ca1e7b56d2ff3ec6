/**
 * Zips a project folder for Runs_StartRun, deterministically (sorted entries, fixed timestamps),
 * within the service's limits: 25 MB of zip and 2,000 files unless the caller raises them.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import type { Readable } from 'stream';
import { pipeline } from 'stream/promises';
import { AzureMLProjectError } from '../http/errors';
import { listProjectFiles, type ProjectFile } from './project-files';

export interface ZipProjectOptions {
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

/** A zip stream of the folder's files (after .amlignore/.gitignore). */
export function zipProjectStream(dir: string, files: ProjectFile[] = listProjectFiles(dir)): Readable {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const yazl = require('yazl') as typeof import('yazl');
  const zip = new yazl.ZipFile();
  for (const file of files) zip.addFile(file.absolute, file.name, { mtime: FIXED_MTIME, mode: file.mode });
  zip.end();
  return zip.outputStream as Readable;
}

/** Zips the folder into a temporary file, refusing a project over the limits with its size and biggest files. */
export async function zipProject(dir: string, options: ZipProjectOptions = {}): Promise<ZippedProject> {
  const maxFiles = options.maxFiles ?? DEFAULT_MAX_FILES;
  const maxBytes = options.maxBytes ?? DEFAULT_MAX_ZIP_BYTES;
  const files = options.files ?? listProjectFiles(dir);
  if (files.length > maxFiles) {
    throw new AzureMLProjectError(`The project ${dir} has ${files.length} files, more than the ${maxFiles} allowed (raise maxFiles, or exclude files in .amlignore)`, dir, ACTION);
  }
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'azureml-project-'));
  const file = path.join(tmp, 'project.zip');
  const remove = () => fs.rmSync(tmp, { recursive: true, force: true });
  try {
    await pipeline(zipProjectStream(dir, files), fs.createWriteStream(file));
    const size = fs.statSync(file).size;
    if (size > maxBytes) {
      throw new AzureMLProjectError(
        `The project ${dir} zips to ${formatBytes(size)}, more than the ${formatBytes(maxBytes)} startrun accepts (raise maxBytes, or exclude files in .amlignore). Biggest files: ${biggest(files)}`,
        dir,
        ACTION,
      );
    }
    return { path: file, size, files: files.map((f) => f.name), remove };
  } catch (error) {
    remove();
    throw error;
  }
}
