/**
 * Names that reach the emulator's files or state: the service's own naming rule, checked before
 * anything is stored, and a guard that every path the emulator builds stays in its data folder.
 */
import * as path from 'path';
import { HttpError } from './http-util';

/** The service's rule for run ids and experiment names (the swagger's runId pattern). */
export const NAME_RULE = /^[a-zA-Z0-9][\w-]{0,255}$/;
/** Snapshot ids are UUIDs (the swagger's `format: uuid`). */
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Why `value` breaks the naming rule, in words a user can act on; undefined when it is a good name. */
export function nameProblem(value: string): string | undefined {
  if (value === '') return 'must not be empty';
  // eslint-disable-next-line no-control-regex -- control characters are what this check refuses
  if (/[\u0000-\u001f\u007f]/.test(value)) return 'must not contain control characters';
  if (value.includes('/') || value.includes('\\')) return 'must not contain / or \\';
  if (value.includes('..')) return 'must not contain ..';
  if (value.length > 256) return `must be at most 256 characters (got ${value.length})`;
  if (!NAME_RULE.test(value)) return 'must start with a letter or digit and contain only letters, digits, _ and - (^[a-zA-Z0-9][\\w-]{0,255}$)';
  return undefined;
}

/** A 400 naming the field, unless `value` follows the naming rule. */
export function checkName(value: unknown, field: string): string {
  const text = String(value);
  const problem = nameProblem(text);
  if (problem) throw new HttpError(400, 'ValidationError', `${field} ${problem}`, { target: field, innerCode: 'InvalidName' });
  return text;
}

export function checkSnapshotId(value: unknown, field: string): string {
  const text = String(value);
  if (!UUID.test(text)) throw new HttpError(400, 'ValidationError', `${field} must be a snapshot id (a UUID)`, { target: field, innerCode: 'InvalidName' });
  return text;
}

/** `root` joined with `parts`, or an error when the result would leave `root`: the last line of defence. */
export function inside(root: string, ...parts: string[]): string {
  const full = path.resolve(root, ...parts);
  if (full !== root && !full.startsWith(root + path.sep)) throw new Error(`refused a path outside the data folder: ${parts.join('/')}`);
  return full;
}
