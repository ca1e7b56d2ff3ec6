/**
 * A run's artifacts, as Run History keeps them: origin `ExperimentRun`, container
 * `dcid.<runId>`, and paths such as `outputs/model.pkl`. The emulator keeps no copy: an artifact
 * is a file of the run's folder, found where the run wrote it:
 * - `outputs/...` and `logs/...`: what the script wrote under those folders of its working folder
 *   (listed while the run runs, so files appear as they are written);
 * - `azureml-logs/...` and `user_logs/...`: the logs the emulator writes (the driver log of a v1
 *   run, the std_log of a v2 job);
 * - anything else, and empty artifacts made by RunArtifacts_BatchCreateEmptyArtifacts: the run's
 *   `artifacts/` folder, which the emulator owns.
 * The working folder is the script's: links, FIFOs and folders behind links in it are never
 * listed, read or written through.
 */
import { createHash } from 'crypto';
import * as fs from 'fs';
import * as path from 'path';
import { HttpError } from './http-util';
import { inside } from './names';
import { PRIVATE_DIR, PRIVATE_FILE, type RunRecord } from './store';

export const ARTIFACT_ORIGIN = 'ExperimentRun';
/** Most files one listing walks: a script that writes a million files must not stall the emulator. */
export const MAX_LISTED_ARTIFACTS = 50_000;
const MAX_PATH_LENGTH = 1024;

export interface ArtifactFile {
  /** The artifact path, `/`-separated. */
  path: string;
  /** The file, relative to the run's folder (what the file links name). */
  file: string;
  size: number;
  modified: Date;
}

/** The run's data container: Run History's `dataContainerId`. */
export const containerOf = (run: RunRecord): string => `dcid.${run.runId}`;

/** A 400 naming the field, unless `value` is a relative artifact path without `.`/`..` segments. */
export function checkArtifactPath(value: unknown, field: string): string {
  const text = typeof value === 'string' ? value : '';
  const problem =
    text === ''
      ? 'is required'
      : text.length > MAX_PATH_LENGTH
        ? `must be at most ${MAX_PATH_LENGTH} characters (got ${text.length})`
        : // eslint-disable-next-line no-control-regex -- control characters are what this check refuses
          /[\u0000-\u001f\u007f\\]/.test(text)
          ? 'must not contain control characters or \\'
          : text.startsWith('/') || text.split('/').some((segment) => segment === '' || segment === '.' || segment === '..')
            ? 'must be a relative path without empty, . or .. segments'
            : undefined;
  if (problem) throw new HttpError(400, 'ValidationError', `${field} ${problem}`, { target: field, innerCode: 'InvalidArtifactPath' });
  return text;
}

/** Where an artifact path may live, in the order it is looked for. */
function candidates(artifactPath: string): string[] {
  if (artifactPath.startsWith('azureml-logs/') || artifactPath.startsWith('user_logs/')) return [artifactPath];
  const own = `artifacts/${artifactPath}`;
  return artifactPath.startsWith('outputs/') || artifactPath.startsWith('logs/') ? [`work/${artifactPath}`, own] : [own];
}

/** Regular files under `root/rel`, never through a link, at most `budget.left` of them. */
function walk(root: string, rel: string, budget: { left: number }, out: Array<{ rel: string; stat: fs.Stats }>): void {
  let entries: fs.Dirent[];
  try {
    entries = fs.readdirSync(path.join(root, rel), { withFileTypes: true });
  } catch {
    return; // not there (yet), or not a folder
  }
  for (const entry of entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))) {
    if (budget.left <= 0) return;
    const child = `${rel}/${entry.name}`;
    if (entry.isDirectory()) walk(root, child, budget, out);
    else if (entry.isFile()) {
      try {
        const stat = fs.lstatSync(path.join(root, child));
        if (!stat.isFile()) continue;
        budget.left--;
        out.push({ rel: child, stat });
      } catch {
        // gone since the folder was read
      }
    }
  }
}

/** Every artifact of the run, sorted by path; a path found in two places is the first candidate's. */
export function listArtifacts(runRoot: string): ArtifactFile[] {
  const found = new Map<string, ArtifactFile>();
  const budget = { left: MAX_LISTED_ARTIFACTS };
  const add = (folder: string, toPath: (rel: string) => string) => {
    const files: Array<{ rel: string; stat: fs.Stats }> = [];
    walk(runRoot, folder, budget, files);
    for (const { rel, stat } of files) {
      const artifactPath = toPath(rel);
      if (!found.has(artifactPath)) found.set(artifactPath, { path: artifactPath, file: rel, size: stat.size, modified: stat.mtime });
    }
  };
  add('work/outputs', (rel) => rel.slice('work/'.length));
  add('work/logs', (rel) => rel.slice('work/'.length));
  add('azureml-logs', (rel) => rel);
  add('user_logs', (rel) => rel);
  add('artifacts', (rel) => rel.slice('artifacts/'.length));
  return [...found.values()].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
}

/** One artifact by its exact path, or undefined. */
export function findArtifact(runRoot: string, artifactPath: string): ArtifactFile | undefined {
  for (const file of candidates(artifactPath)) {
    try {
      const stat = fs.lstatSync(inside(runRoot, file));
      if (stat.isFile()) return { path: artifactPath, file, size: stat.size, modified: stat.mtime };
    } catch {
      // not in this place
    }
  }
  return undefined;
}

/** The Artifact record Run History answers. */
export function artifactJson(run: RunRecord, artifact: ArtifactFile): Record<string, unknown> {
  const container = containerOf(run);
  return {
    artifactId: `${ARTIFACT_ORIGIN}/${container}/${artifact.path}`,
    origin: ARTIFACT_ORIGIN,
    container,
    path: artifact.path,
    etag: `"${createHash('sha256').update(`${artifact.size}:${artifact.modified.getTime()}`).digest('hex').slice(0, 16)}"`,
    createdTime: artifact.modified.toISOString(),
  };
}

/**
 * Makes the folders of `rel` under `root` one at a time, refusing any that is a link: mkdir's
 * own `recursive` would follow a link planted on the way.
 */
function makeFolders(root: string, rel: string): void {
  let current = root;
  for (const segment of rel.split('/').slice(0, -1)) {
    current = inside(current, segment);
    try {
      fs.mkdirSync(current, { mode: PRIVATE_DIR });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
    if (!fs.lstatSync(current).isDirectory()) throw new HttpError(409, 'UserError', `${rel} cannot be made: a part of its folder is not a folder`, { target: 'path' });
  }
}

/**
 * An empty artifact in the run's own `artifacts/` folder (never in the script's working folder),
 * as RunArtifacts_BatchCreateEmptyArtifacts makes it. An artifact that exists stays as it is.
 */
export function createEmptyArtifact(runRoot: string, artifactPath: string): ArtifactFile {
  const existing = findArtifact(runRoot, artifactPath);
  if (existing) return existing;
  const rel = `artifacts/${artifactPath}`;
  makeFolders(runRoot, rel);
  const full = inside(runRoot, rel);
  const fd = fs.openSync(full, fs.constants.O_WRONLY | fs.constants.O_CREAT | fs.constants.O_EXCL | fs.constants.O_NOFOLLOW, PRIVATE_FILE);
  fs.closeSync(fd);
  return findArtifact(runRoot, artifactPath)!;
}

/** Where an upload to an artifact's link is written: the run's own `artifacts/` folder. */
export function uploadTarget(runRoot: string, artifactPath: string): string {
  const rel = `artifacts/${artifactPath}`;
  makeFolders(runRoot, rel);
  return inside(runRoot, rel);
}
