/**
 * The emulator's state: experiments and runs, kept in `state.json` under the data folder and
 * rewritten atomically on every change, so that a restart loses nothing. Snapshots, logs and
 * outputs are files beside it.
 */
import { createHash, randomBytes, randomUUID } from 'crypto';
import * as fs from 'fs';
import * as path from 'path';
import type { ErrorResponse } from '../spec/generated/execution-types';

export const TERMINAL_STATUSES = ['Completed', 'Failed', 'Canceled'] as const;

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
  /** The run's folder name under runs/. */
  dir: string;
  /** Signs the run's file URLs (as a SAS token does): they need no bearer token. */
  fileToken: string;
  outputs: string[];
}

interface StateFile {
  version: 1;
  runCounter: number;
  experiments: Record<string, ExperimentRecord>;
  runs: Record<string, RunRecord>;
}

export function workspaceKey(subscriptionId: string, resourceGroupName: string, workspaceName: string): string {
  return `${subscriptionId.toLowerCase()}/${resourceGroupName.toLowerCase()}/${workspaceName.toLowerCase()}`;
}

const key = (workspace: string, name: string) => `${workspace}/${name}`;

export class Store {
  private state: StateFile;
  private readonly file: string;

  constructor(readonly dataDir: string) {
    for (const dir of ['snapshots', 'runs', 'uploads']) fs.mkdirSync(path.join(dataDir, dir), { recursive: true });
    this.file = path.join(dataDir, 'state.json');
    this.state = fs.existsSync(this.file)
      ? (JSON.parse(fs.readFileSync(this.file, 'utf8')) as StateFile)
      : { version: 1, runCounter: 0, experiments: {}, runs: {} };
  }

  /** Runs that were not finished when the emulator last stopped cannot be resumed: they failed. */
  failInterruptedRuns(now: string): RunRecord[] {
    const interrupted = Object.values(this.state.runs).filter((run) => !isTerminal(run.status));
    for (const run of interrupted) {
      const message = `The emulator stopped while the run was ${run.status}; it was not resumed.`;
      Object.assign(run, { status: 'Failed', endTimeUtc: now, error: errorResponse('ServiceError', message) });
    }
    if (interrupted.length) this.save();
    return interrupted;
  }

  save(): void {
    const tmp = `${this.file}.${process.pid}.tmp`;
    fs.writeFileSync(tmp, JSON.stringify(this.state));
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
      dir: `${createHash('sha256').update(key(init.workspace, init.runId)).digest('hex').slice(0, 12)}_${init.runId}`,
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

  snapshotPath(snapshotId: string): string {
    return path.join(this.dataDir, 'snapshots', `${snapshotId}.zip`);
  }

  runDir(run: RunRecord): string {
    return path.join(this.dataDir, 'runs', run.dir);
  }

  uploadPath(): string {
    return path.join(this.dataDir, 'uploads', `${randomUUID()}.zip`);
  }
}

export function isTerminal(status: RunStatus): boolean {
  return (TERMINAL_STATUSES as readonly string[]).includes(status);
}

export function errorResponse(code: string, message: string, extra: { target?: string; details?: Array<{ code?: string; message?: string; target?: string }>; innerCode?: string } = {}): ErrorResponse {
  const error: NonNullable<ErrorResponse['error']> = { code, message };
  if (extra.target) error.target = extra.target;
  if (extra.details) error.details = extra.details;
  if (extra.innerCode) error.innerError = { code: extra.innerCode };
  return {
    error,
    correlation: { operation: randomBytes(8).toString('hex'), request: randomBytes(8).toString('hex') },
    environment: 'local',
    location: 'local',
    time: new Date().toISOString(),
  };
}
