/**
 * Inputs that come from outside the machine: a `datafire serve` request, a serverless HTTP event
 * or queue message. They must not name local files: a `{ path }` file object would upload any
 * file the server can read (DataFire-accounts.yml, ~/.ssh/...). Such objects are refused unless
 * the project names a folder for them (variable `localFilesDir`), and then they must lie inside it.
 */
import * as fs from 'fs';
import * as path from 'path';
import { AzureMLValidationError } from '../errors';
import type { OperationSpec } from '../spec/operation-spec';
import type { ActionContext } from './action-context';

/** Context types whose input a remote caller wrote. */
const UNTRUSTED_TYPES = new Set(['http', 'queue']);

export function isUntrusted(context: ActionContext | undefined): boolean {
  return !!context?.type && UNTRUSTED_TYPES.has(context.type);
}

function variable(context: ActionContext | undefined, name: string): unknown {
  return (context?.variables ?? {})[name];
}

/** `given` resolved (links followed) inside `root`, or a validation error naming the field. */
export function pathInside(root: string, given: string, field: string, action: string, setting: string): string {
  let base: string;
  try {
    base = fs.realpathSync(path.resolve(root));
  } catch {
    throw new AzureMLValidationError({
      action,
      problems: [{ path: field, message: `cannot be used: the folder it must be in, ${path.resolve(root)} (variable ${setting}), does not exist` }],
    });
  }
  let full: string;
  try {
    full = fs.realpathSync(path.resolve(base, given));
  } catch {
    throw new AzureMLValidationError({ action, problems: [{ path: field, message: `is not a file or folder under ${base} (${given} does not exist)` }] });
  }
  if (full !== base && !full.startsWith(base + path.sep)) {
    throw new AzureMLValidationError({ action, problems: [{ path: field, message: `must be inside ${base} (set the variable ${setting} to change it)` }] });
  }
  return full;
}

/** Refuses (or confines to localFilesDir) the `{ path }` file objects of a remote caller's input. */
export function checkRemoteFileInputs(op: OperationSpec, input: unknown, context: ActionContext | undefined, action: string): unknown {
  if (!isUntrusted(context) || !input || typeof input !== 'object') return input;
  const fields = input as Record<string, unknown>;
  let out = fields;
  for (const param of op.parameters) {
    const value = fields[param.name];
    if (!param.file || !value || typeof value !== 'object' || !('path' in value)) continue;
    const root = variable(context, 'localFilesDir');
    if (typeof root !== 'string' || !root) {
      throw new AzureMLValidationError({
        action,
        problems: [
          {
            path: `${param.name}.path`,
            message:
              'names a file on this server, which a remote caller may not do (send the content instead, or set the variable localFilesDir to a folder such files must be in)',
          },
        ],
      });
    }
    const given = String((value as { path: unknown }).path);
    out = { ...out, [param.name]: { ...value, path: pathInside(root, given, `${param.name}.path`, action, 'localFilesDir') } };
  }
  return out;
}

/** The folder a remote caller's `project` must lie in: variable projectsDir, else `projects/` of the DataFire project (never the folder of its accounts file). */
export function projectsRoot(context: ActionContext | undefined): string {
  const given = variable(context, 'projectsDir');
  return typeof given === 'string' && given ? given : path.join(process.cwd(), 'projects');
}

/** Whether a remote caller may send a project zip: only when the variable allowProjectZipUploads is true. */
export function projectZipUploadsAllowed(context: ActionContext | undefined): boolean {
  return !isUntrusted(context) || variable(context, 'allowProjectZipUploads') === true;
}

/** The folder a remote caller's download goes to: variable downloadsDir, else `downloads/` of the DataFire project. */
export function downloadsRoot(context: ActionContext | undefined): string {
  const given = variable(context, 'downloadsDir');
  return typeof given === 'string' && given ? given : path.join(process.cwd(), 'downloads');
}

/**
 * A folder to write into, inside `root` (which must exist), that may not exist yet: the part of it
 * that exists is resolved (links followed) and must lie inside `root`; the rest is made later.
 */
export function folderInside(root: string, given: string, field: string, action: string, setting: string): string {
  const base = pathInside(root, '.', field, action, setting);
  const wanted = path.resolve(base, given);
  let existing = wanted;
  while (!fs.existsSync(existing)) existing = path.dirname(existing);
  const real = fs.realpathSync(existing);
  const full = path.join(real, path.relative(existing, wanted));
  if (full !== base && !full.startsWith(base + path.sep)) {
    throw new AzureMLValidationError({ action, problems: [{ path: field, message: `must be inside ${base} (set the variable ${setting} to change it)` }] });
  }
  return full;
}
