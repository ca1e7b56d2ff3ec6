/**
 * The emulator's state: experiments and runs, kept in `state.json` under the data folder and
 * rewritten atomically on every change, so that a restart loses nothing. Snapshots, logs and
 * outputs are files beside it.
 */
import { createHash, randomBytes, randomUUID } from 'crypto';
import * as fs from 'fs';
import * as path from 'path';
import type { ErrorResponse } from '../spec/execution/types';
import { isTerminalStatus } from '../spec/run-status';
import { errorResponse } from './error-response';
import { inside } from './names';

export type RunStatus = 'NotStarted' | 'Queued' | 'Preparing' | 'Running' | 'CancelRequested' | 'Finalizing' | 'Completed' | 'Failed' | 'Canceled';

export interface ExperimentRecord {
  workspace: string;
  experimentId: string;
  name: string;
  createdUtc: string;
  latestCreatedRunId?: string;
  latestCreatedRunCreatedUtc?: string;
}

export interface RunRecord {
  workspace: string;
  experimentName: string;
  experimentId: string;
  runId: string;
  runNumber: number;
  status: RunStatus;
  createdUtc: string;
  startTimeUtc?: string;
  endTimeUtc?: string;
  target: string;
  parentRunId?: string;
  runType: string;
  definition: Record<string, unknown>;
  snapshotId: string;
  error?: ErrorResponse;
  exitCode?: number;
  /** The run's folder name under runs/: a hash of workspace and run id, never the id itself. */
  dir: string;
  /** Signs the run's file URLs (as a SAS token does): they need no bearer token. */
  fileToken: string;
  outputs: string[];
  /** MLflow params (written once each) and tags of the run. */
  params?: Record<string, string>;
  tags?: Record<string, string>;
  /** A v2 job: its CommandJob properties as submitted (the run runs its command instead of a script). */
  job?: Record<string, unknown>;
  /** A v2 job: the ARM id prefix of its workspace, as the caller spelled it (`/subscriptions/.../workspaces/ws`). */
  armWorkspace?: string;
  /** A v2 job deleted while it ran: gone from the API, removed when its processes have stopped. */
  deleting?: boolean;
  /** The logs its processes write (rank 0 first), set when it starts; before that, none are listed. */
  logNames?: string[];
}

/** A v2 code container or version (ARM resources of the workspace). */
export interface CodeRecord {
  workspace: string;
  name: string;
  /** Versions only. */
  version?: string;
  createdAt: string;
  lastModifiedAt: string;
  /** The resource's `properties` as given (codeUri, description, tags, isAnonymous...). */
  properties: Record<string, unknown>;
}

/** A node of a compute cluster: busy with a run (its id), or idle since a time (ms). */
export interface ComputeNodeRecord {
  nodeId: string;
  /** The port AZTK's remote login settings name (SSH on a real node; nothing listens on it here). */
  port: number;
  runId?: string;
  idleSinceMs?: number;
}

/** An AmlCompute cluster of a workspace (a v2 ARM resource), with its nodes. */
export interface ComputeRecord {
  workspace: string;
  name: string;
  /** The ARM id prefix of its workspace, as the creator spelled it. */
  armWorkspace: string;
  location?: string;
  description?: string;
  tags?: Record<string, string>;
  createdOn: string;
  modifiedOn: string;
  /** vmSize, vmPriority, osType, scaleSettings, adminUserName (never a password or key). */
  properties: Record<string, unknown>;
  /** Creating until `readyAtMs`, then Succeeded (or Failed with `provisioningErrors`); Deleting until gone. */
  provisioningState: 'Creating' | 'Updating' | 'Succeeded' | 'Failed' | 'Deleting';
  readyAtMs: number;
  /** Resizing until this time (a create or an update of the scale settings), then Steady. */
  steadyAtMs: number;
  allocationStateTransitionTime: string;
  provisioningErrors?: { error: { code: string; message: string } }[];
  nodes: ComputeNodeRecord[];
  /** How many nodes it has made: node ids and ports are never reused. */
  nodeCounter: number;
}

/** A long-running operation on a compute (create, update, delete): what its Azure-AsyncOperation URL reports. */
export interface ComputeOperationRecord {
  workspace: string;
  computeName: string;
  kind: 'create' | 'update' | 'delete';
  startTime: string;
}

/** A pending upload of a code version: the container its SAS link points at, kept so the same id gets the same one. */
export interface PendingUploadRecord {
  workspace: string;
  name: string;
  version: string;
  pendingUploadId: string;
  container: string;
}

interface StateFile {
  version: 1;
  runCounter: number;
  experiments: Record<string, ExperimentRecord>;
  runs: Record<string, RunRecord>;
  /** v2 code containers (`{workspace}/{name}`), versions (`{workspace}/{name}/{version}`) and pending uploads. */
  codes?: Record<string, CodeRecord>;
  codeVersions?: Record<string, CodeRecord>;
  pendingUploads?: Record<string, PendingUploadRecord>;
  /** v2 computes (`{workspace}/{name}`, lower case) and their operations by id. */
  computes?: Record<string, ComputeRecord>;
  computeOperations?: Record<string, ComputeOperationRecord>;
}

export function workspaceKey(subscriptionId: string, resourceGroupName: string, workspaceName: string): string {
  return `${subscriptionId.toLowerCase()}/${resourceGroupName.toLowerCase()}/${workspaceName.toLowerCase()}`;
}

const key = (workspace: string, name: string) => `${workspace}/${name}`;

/**
 * The data folder, made private to its owner: 0700, as are the folders the emulator makes in it
 * (files are 0600). An existing folder of the caller's is tightened, not replaced.
 */
export function privateDataDir(dataDir: string): string {
  fs.mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  const stat = fs.statSync(dataDir);
  if (!stat.isDirectory()) throw new Error(`${dataDir} is not a folder`);
  if (typeof process.getuid === 'function' && stat.uid === process.getuid() && (stat.mode & 0o077) !== 0) fs.chmodSync(dataDir, 0o700);
  // Resolved once: every path the emulator builds is compared with this one.
  return fs.realpathSync(dataDir);
}

export const PRIVATE_FILE = 0o600;
const MAX_COMPUTE_OPERATIONS = 500;
export const PRIVATE_DIR = 0o700;

export class Store {
  private state: StateFile;
  private readonly file: string;
  readonly dataDir: string;

  constructor(dataDir: string) {
    this.dataDir = privateDataDir(dataDir);
    for (const dir of ['snapshots', 'runs', 'uploads']) fs.mkdirSync(path.join(this.dataDir, dir), { recursive: true, mode: PRIVATE_DIR });
    this.file = path.join(this.dataDir, 'state.json');
    this.state = fs.existsSync(this.file) ? (JSON.parse(fs.readFileSync(this.file, 'utf8')) as StateFile) : { version: 1, runCounter: 0, experiments: {}, runs: {} };
  }

  /** Runs that were not finished when the emulator last stopped cannot be resumed: they failed. */
  failInterruptedRuns(now: string): RunRecord[] {
    const interrupted = Object.values(this.state.runs).filter((run) => !isTerminalStatus(run.status));
    for (const run of interrupted) {
      const message = `The emulator stopped while the run was ${run.status}; it was not resumed.`;
      Object.assign(run, { status: 'Failed', endTimeUtc: now, error: errorResponse('ServiceError', message) });
    }
    // Their nodes are free again: idle from now, so they scale down as idle nodes do.
    let freed = false;
    for (const compute of Object.values(this.state.computes ?? {})) {
      for (const node of compute.nodes) {
        if (node.runId === undefined) continue;
        delete node.runId;
        node.idleSinceMs = Date.parse(now);
        freed = true;
      }
    }
    if (interrupted.length || freed) this.save();
    return interrupted;
  }

  save(): void {
    const tmp = `${this.file}.${process.pid}.tmp`;
    fs.writeFileSync(tmp, JSON.stringify(this.state), { mode: PRIVATE_FILE });
    fs.renameSync(tmp, this.file);
  }

  getExperiment(workspace: string, name: string): ExperimentRecord | undefined {
    return this.state.experiments[key(workspace, name.toLowerCase())];
  }

  /** Creates the experiment, or gives the one that exists (experiment names are case-insensitive). */
  ensureExperiment(workspace: string, name: string, now: string): ExperimentRecord {
    const existing = this.getExperiment(workspace, name);
    if (existing) return existing;
    const experiment: ExperimentRecord = { workspace, experimentId: randomUUID(), name, createdUtc: now };
    this.state.experiments[key(workspace, name.toLowerCase())] = experiment;
    this.save();
    return experiment;
  }

  /** Every experiment of every workspace (the dashboard's list of what there is to show). */
  listExperiments(): ExperimentRecord[] {
    return Object.values(this.state.experiments);
  }

  getRun(workspace: string, runId: string): RunRecord | undefined {
    return this.state.runs[key(workspace, runId)];
  }

  findRunByDir(dir: string): RunRecord | undefined {
    return Object.values(this.state.runs).find((run) => run.dir === dir);
  }

  listRuns(filter: (run: RunRecord) => boolean): RunRecord[] {
    return Object.values(this.state.runs).filter(filter);
  }

  createRun(init: Omit<RunRecord, 'runNumber' | 'dir' | 'fileToken' | 'outputs' | 'status' | 'createdUtc'>, now: string): RunRecord {
    const run: RunRecord = {
      ...init,
      runNumber: ++this.state.runCounter,
      status: 'NotStarted',
      createdUtc: now,
      // A hash: a 256-character run id (which the swagger allows) would not fit in a file name.
      dir: createHash('sha256').update(key(init.workspace, init.runId)).digest('hex').slice(0, 32),
      fileToken: randomBytes(18).toString('base64url'),
      outputs: [],
    };
    this.state.runs[key(init.workspace, init.runId)] = run;
    const experiment = this.getExperiment(init.workspace, init.experimentName);
    if (experiment) Object.assign(experiment, { latestCreatedRunId: run.runId, latestCreatedRunCreatedUtc: now });
    this.save();
    return run;
  }

  updateRun(run: RunRecord, changes: Partial<RunRecord>): void {
    Object.assign(run, changes);
    this.save();
  }

  /** Removes a run's record and its folder (a v2 job deleted). */
  deleteRun(run: RunRecord): void {
    delete this.state.runs[key(run.workspace, run.runId)];
    this.save();
    fs.rmSync(this.runDir(run), { recursive: true, force: true });
  }

  getCode(workspace: string, name: string): CodeRecord | undefined {
    return this.state.codes?.[key(workspace, name.toLowerCase())];
  }

  putCode(record: CodeRecord): void {
    (this.state.codes ??= {})[key(record.workspace, record.name.toLowerCase())] = record;
    this.save();
  }

  getCodeVersion(workspace: string, name: string, version: string): CodeRecord | undefined {
    return this.state.codeVersions?.[key(workspace, `${name.toLowerCase()}/${version}`)];
  }

  putCodeVersion(record: CodeRecord): void {
    (this.state.codeVersions ??= {})[key(record.workspace, `${record.name.toLowerCase()}/${record.version}`)] = record;
    this.save();
  }

  listCodeVersions(workspace: string, name: string): CodeRecord[] {
    return Object.values(this.state.codeVersions ?? {}).filter((v) => v.workspace === workspace && v.name.toLowerCase() === name.toLowerCase());
  }

  getPendingUpload(workspace: string, pendingUploadId: string): PendingUploadRecord | undefined {
    return this.state.pendingUploads?.[key(workspace, pendingUploadId)];
  }

  putPendingUpload(record: PendingUploadRecord): void {
    (this.state.pendingUploads ??= {})[key(record.workspace, record.pendingUploadId)] = record;
    this.save();
  }

  getCompute(workspace: string, name: string): ComputeRecord | undefined {
    return this.state.computes?.[key(workspace, name.toLowerCase())];
  }

  listComputes(workspace?: string): ComputeRecord[] {
    return Object.values(this.state.computes ?? {}).filter((c) => workspace === undefined || c.workspace === workspace);
  }

  putCompute(record: ComputeRecord): void {
    (this.state.computes ??= {})[key(record.workspace, record.name.toLowerCase())] = record;
    this.save();
  }

  deleteCompute(record: ComputeRecord): void {
    delete this.state.computes?.[key(record.workspace, record.name.toLowerCase())];
    this.save();
  }

  getComputeOperation(id: string): ComputeOperationRecord | undefined {
    return this.state.computeOperations?.[id];
  }

  putComputeOperation(id: string, record: ComputeOperationRecord): void {
    const operations = (this.state.computeOperations ??= {});
    operations[id] = record;
    // Polled for minutes at most: the oldest go once there are many, so the state file stays small.
    const ids = Object.keys(operations);
    if (ids.length > MAX_COMPUTE_OPERATIONS) {
      ids.sort((a, b) => operations[a].startTime.localeCompare(operations[b].startTime));
      for (const old of ids.slice(0, ids.length - MAX_COMPUTE_OPERATIONS)) delete operations[old];
    }
    this.save();
  }

  snapshotPath(snapshotId: string): string {
    return inside(this.dataDir, 'snapshots', `${snapshotId}.zip`);
  }

  runDir(run: RunRecord): string {
    return inside(this.dataDir, 'runs', run.dir);
  }

  uploadPath(): string {
    return inside(this.dataDir, 'uploads', `${randomUUID()}.zip`);
  }
}
