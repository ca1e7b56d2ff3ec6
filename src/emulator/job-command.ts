/**
 * A v2 command job as the emulator runs it: its `${{inputs.name}}` and `${{outputs.name}}`
 * references checked when it is submitted (as the service does), then, when it starts, its code
 * copied into the working folder, its outputs made as folders under outputs/ (so that they become
 * artifacts), and its references replaced: a literal by its value, a uri input by its local path
 * (quoted for the shell), an output by `outputs/<name>`.
 */
import { isoDurationSeconds } from '../spec/iso-duration';
import * as fs from 'fs';
import * as path from 'path';
import { fileURLToPath } from 'url';
import type { EmulatorContext } from './context';
import { ArmError } from './arm';
import { emulatorCodeLocation } from './handlers/codes';
import { JobPreparationError, type PreparedJob } from './runner';
import { inside } from './names';
import { PRIVATE_DIR, type RunRecord } from './store';

const REFERENCE = /\$\{\{\s*(inputs|outputs)\.([A-Za-z_][\w]*)\s*\}\}/g;

interface JobInput {
  jobInputType?: string;
  value?: string;
  uri?: string;
}

interface JobOutput {
  jobOutputType?: string;
}

export interface CommandJobProperties {
  command: string;
  codeId?: string;
  computeId?: string;
  inputs?: Record<string, JobInput>;
  outputs?: Record<string, JobOutput>;
  environmentVariables?: Record<string, string>;
  limits?: { timeout?: string };
}

/** A local path for a uri input: a file:// URI or an absolute path; anything else the emulator cannot read. */
function localPath(uri: string | undefined): string | undefined {
  if (!uri) return undefined;
  if (uri.startsWith('file://')) {
    try {
      return fileURLToPath(uri);
    } catch {
      return undefined;
    }
  }
  return path.isAbsolute(uri) ? uri : undefined;
}

const quote = (text: string) => `'${text.replace(/'/g, `'\\''`)}'`;

/** The service's checks of a command job at submission: each reference defined, inputs the emulator can read, a valid timeout. */
export function checkCommandJob(job: CommandJobProperties): void {
  for (const m of job.command.matchAll(REFERENCE)) {
    const [, kind, name] = m;
    const defined = kind === 'inputs' ? job.inputs?.[name] : job.outputs?.[name];
    if (!defined) throw new ArmError(400, 'UserError', `The command refers to ${kind}.${name}, which the job does not define in ${kind}.`, `command`);
  }
  for (const [name, input] of Object.entries(job.inputs ?? {})) {
    if (input.jobInputType === 'literal') continue;
    if (input.jobInputType !== 'uri_folder' && input.jobInputType !== 'uri_file') {
      throw new ArmError(400, 'UserError', `Input ${name}: the emulator reads literal, uri_file and uri_folder inputs (got ${String(input.jobInputType)}).`, `inputs.${name}`);
    }
    if (!localPath(input.uri)) {
      throw new ArmError(
        400,
        'UserError',
        `Input ${name}: the emulator reads inputs from this machine; give a file:// URI or an absolute path (got ${JSON.stringify(input.uri)}).`,
        `inputs.${name}.uri`,
      );
    }
  }
  for (const [name, output] of Object.entries(job.outputs ?? {})) {
    if (output.jobOutputType !== 'uri_folder') {
      throw new ArmError(400, 'UserError', `Output ${name}: the emulator writes uri_folder outputs (got ${String(output.jobOutputType)}).`, `outputs.${name}`);
    }
  }
  const timeout = job.limits?.timeout;
  if (timeout !== undefined && (isoDurationSeconds(timeout) === undefined || isoDurationSeconds(timeout)! <= 0)) {
    throw new ArmError(400, 'UserError', `limits.timeout must be a positive ISO 8601 duration such as PT30M (got ${JSON.stringify(timeout)}).`, 'limits.timeout');
  }
}

/** The code version a codeId names (`.../codes/{name}/versions/{version}`), as `{ name, version }`. */
export function parseCodeId(codeId: string): { name: string; version: string } | undefined {
  const m = /\/codes\/([^/]+)\/versions\/([^/]+)\/?$/i.exec(codeId);
  if (!m) return undefined;
  try {
    return { name: decodeURIComponent(m[1]), version: decodeURIComponent(m[2]) };
  } catch {
    return undefined; // malformed percent-encoding names no version: the caller's 400
  }
}

/** Prepares a job's run (Runner's prepareJob): code, output folders, the command with its references replaced. */
export async function prepareCommandJob(ctx: EmulatorContext, run: RunRecord, work: string): Promise<PreparedJob> {
  const job = run.job as unknown as CommandJobProperties;
  if (job.codeId) {
    const ref = parseCodeId(job.codeId);
    const version = ref && ctx.store.getCodeVersion(run.workspace, ref.name, ref.version);
    const location = version && emulatorCodeLocation(ctx, version.properties.codeUri);
    if (!location) throw new JobPreparationError(`The code ${job.codeId} is not on this emulator (its version or its uploaded files are gone).`, 'CodeNotFound');
    await ctx.blobs.copyTo(location.container, location.prefix, work);
  }
  for (const name of Object.keys(job.outputs ?? {})) fs.mkdirSync(path.join(work, 'outputs', name), { recursive: true, mode: PRIVATE_DIR });
  const command = job.command.replace(REFERENCE, (_m, kind: string, name: string) => {
    if (kind === 'outputs') return quote(`outputs/${name}`);
    const input = job.inputs![name];
    return input.jobInputType === 'literal' ? String(input.value ?? '') : quote(localPath(input.uri)!);
  });
  const timeout = job.limits?.timeout;
  const variables: Record<string, string> = { ...job.environmentVariables };
  // `python` in a command is the emulator's interpreter (python3 here), as it is in an Azure ML environment.
  variables.PATH ??= `${pythonShim(ctx)}${path.delimiter}${process.env.PATH ?? ''}`;
  return { command, environmentVariables: variables, ...(timeout ? { timeoutSeconds: isoDurationSeconds(timeout) } : {}) };
}

/** A folder of the data folder with a `python` that runs the emulator's interpreter. */
function pythonShim(ctx: EmulatorContext): string {
  const dir = inside(ctx.store.dataDir, 'bin');
  const file = path.join(dir, 'python');
  const script = `#!/bin/sh\nexec ${quote(ctx.options.python)} "$@"\n`;
  if (!fs.existsSync(file) || fs.readFileSync(file, 'utf8') !== script) {
    fs.mkdirSync(dir, { recursive: true, mode: PRIVATE_DIR });
    fs.writeFileSync(file, script, { mode: 0o700 });
  }
  return dir;
}
