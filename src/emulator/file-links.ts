/**
 * The signed links to a run's files (logs, outputs, artifacts): like blob SAS URLs, they carry
 * their own signature (the run's file token) and need no bearer token.
 */
import type { RunRecord } from './store';

export const FILE_LINK_PREFIX = '/emulator/v1.0/runs/';

/** The link to `file` (relative to the run's folder, e.g. `work/outputs/model.pkl`). */
export function fileUrl(baseUrl: string, run: RunRecord, file: string): string {
  return `${baseUrl}${FILE_LINK_PREFIX}${encodeURIComponent(run.dir)}/files/${file.split('/').map(encodeURIComponent).join('/')}?sig=${run.fileToken}`;
}
