/**
 * The content hash of a project folder: what the v2 workflow uses as the code version, so that
 * an unchanged project is found registered (CodeVersions_Get) and uploaded no second time.
 *
 * It covers the files the project sends (listProjectFiles: after .amlignore/.gitignore), in their
 * sorted order, by relative path with forward slashes, size and content; nothing of the machine
 * (absolute paths, times, modes, line endings are bytes like any other) enters it, so the same
 * folder hashes the same on every machine. SHA-256, hex. Files are read as streams: memory stays
 * small whatever the project's size.
 */
import { createHash } from 'crypto';
import * as fs from 'fs';
import { AzureMLProjectError } from '../errors';
import { listProjectFiles, type ProjectFile } from './project-files';

/** Names the hash scheme, so that a change to it can never be read as an unchanged project. */
export const CODE_HASH_VERSION = 'azureml-execution-sha256-1';

export interface CodeHash {
  /** 64 hex digits. */
  hash: string;
  files: ProjectFile[];
  totalBytes: number;
}

export async function hashProject(dir: string, files: ProjectFile[] = listProjectFiles(dir)): Promise<CodeHash> {
  const hash = createHash('sha256');
  hash.update(`${CODE_HASH_VERSION}\n`);
  let totalBytes = 0;
  for (const file of files) {
    // The length of the name first: "a" + "bc" and "ab" + "c" cannot collide.
    hash.update(`${Buffer.byteLength(file.name)}:${file.name}\n${file.size}\n`);
    let read = 0;
    try {
      // 1 MiB reads: twice the hashing speed of the default 64 KiB (measured on 100 MB).
      for await (const chunk of fs.createReadStream(file.absolute, { highWaterMark: 1024 * 1024 })) {
        read += (chunk as Buffer).length;
        hash.update(chunk as Buffer);
      }
    } catch (error) {
      throw new AzureMLProjectError({ message: `Cannot read ${file.name} of the project: ${(error as Error).message}`, action: 'azureml-execution/hashProject', project: dir });
    }
    if (read !== file.size) {
      throw new AzureMLProjectError({
        message: `${file.name} changed while the project was read (${file.size} bytes listed, ${read} read): submit it again when it is written`,
        action: 'azureml-execution/hashProject',
        project: dir,
      });
    }
    totalBytes += read;
  }
  return { hash: hash.digest('hex'), files, totalBytes };
}
