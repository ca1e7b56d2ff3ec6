/**
 * Runs submitted scripts for real: at most `maxConcurrentRuns` at a time (the others wait in
 * Queued), each in its own folder and process group, with stdout and stderr appended to the
 * driver log as they come, its time limit enforced, and cancel killing the whole process tree.
 */
import { spawn, type ChildProcess } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { setLongTimeout, type LongTimeout } from './long-timeout';
import { isTerminalStatus } from '../spec/run-status';
import { errorResponse } from './error-response';
import { PRIVATE_DIR, PRIVATE_FILE, type RunRecord, type RunStatus, type Store } from './store';
import { extractZip, ZipRejectedError } from './zip-archive';
import type { Placement } from './compute-pool';
import { layoutOf, logNamesOf, planProcesses, processLogName, type ProcessLayout, type ProcessSpec } from './process-plan';

const STDERR_TAIL = 2000;

export interface RunnerOptions {
  maxConcurrentRuns: number;
  /** The interpreter for Python scripts when the definition does not manage its own. */
  python: string;
  /** Time between SIGTERM and SIGKILL when a run is stopped. */
  killGraceMs: number;
  /** The most processes one run may start (a distributed run's nodes x processes): more fails the run. */
  maxProcessesPerRun: number;
  /** What the service sets for a run that starts (endpoint, run token, MLflow): added last. */
  serviceEnvironment?: (run: RunRecord) => Record<string, string>;
  /** Told when a run has ended, whatever the way (its run token ends with it). */
  onRunEnded?: (run: RunRecord) => void;
  /** Fills a v2 job's working folder (its code) and says what to run there. */
  prepareJob?: (run: RunRecord, work: string) => Promise<PreparedJob>;
  /**
   * Whether a queued run may start now (its cluster has free nodes, which it then holds), waits,
   * or fails; `blocked` holds the clusters where an earlier run waits. Without it, runs start in order.
   */
  place?: (run: RunRecord, blocked: Set<string>) => Placement;
  /** Told when a run that started has ended: its nodes are free. */
  onRunReleased?: (run: RunRecord) => void;
  /** When a waiting run might be able to start by the clock alone (a cluster ready), in ms from now. */
  nextWakeInMs?: () => number | undefined;
}

/** What a v2 job runs, once its code is in place: a shell command, its variables and time limit. */
export interface PreparedJob {
  command: string;
  environmentVariables: Record<string, string>;
  timeoutSeconds?: number;
}

interface Active {
  /** The run's processes by rank (one, or several for a distributed run). */
  children: ChildProcess[];
  /** Why the run is being stopped: the status it ends in, the error it carries, the exit code of a process that failed. */
  stopping?: { status: 'Canceled' | 'Failed'; error?: ReturnType<typeof errorResponse>; exitCode?: number };
  /** The workers are done and the parameter servers are being stopped: their exit is not a failure. */
  serversStopped?: boolean;
  timer?: LongTimeout;
  killTimers: NodeJS.Timeout[];
  done: Promise<void>;
}

/** How one process of a run ended. */
interface ProcessExit {
  rank: number;
  code: number | null;
  signal: NodeJS.Signals | null;
  spawnError?: Error;
  logError?: Error;
  stderrTail: string;
}

/** The run's error for a process that ended badly: could not start, could not log, or exited non-zero. */
function processError(exit: ProcessExit, label: string, command: string): ReturnType<typeof errorResponse> {
  if (exit.spawnError) {
    const notFound = (exit.spawnError as NodeJS.ErrnoException).code === 'ENOENT';
    return errorResponse('UserError', `Could not start ${command}: ${exit.spawnError.message}`, { innerCode: notFound ? 'InterpreterNotFound' : 'InvalidArguments' });
  }
  if (exit.logError) return errorResponse('ServiceError', `The emulator could not write the run's log: ${exit.logError.message}`);
  const how = exit.code === null ? `was killed by ${exit.signal}` : `exited with code ${exit.code}`;
  const tail = exit.stderrTail.trim();
  return errorResponse('UserError', `${label} ${how}.${tail ? ` Last lines of stderr:\n${tail}` : ''}`, { innerCode: 'ScriptFailed' });
}

function describeLayout(layout: ProcessLayout): string {
  if (layout.kind === 'tensorflow') return `${layout.workers} workers and ${layout.parameterServers} parameter servers`;
  return `${layout.nodes} node${layout.nodes === 1 ? '' : 's'} x ${layout.perNode} process${layout.perNode === 1 ? '' : 'es'}`;
}

const now = () => new Date().toISOString();

/** What a run inherits from the emulator's own environment: enough to find programs, nothing more. */
const INHERITED = ['PATH', 'HOME', 'LANG'] as const;

/**
 * A run's environment: what its definition gives, plus PATH, HOME and LANG, plus what the service
 * sets (`service`, which the definition cannot override). Never the rest of the emulator's own:
 * the shell that started it may hold secrets.
 */
export function runEnvironment(run: RunRecord, given: Record<string, string> | undefined, service: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const name of INHERITED) if (process.env[name] !== undefined) env[name] = process.env[name];
  Object.assign(env, given);
  return { ...env, PYTHONUNBUFFERED: '1', ...service, AZUREML_RUN_ID: run.runId, AZUREML_EXPERIMENT_NAME: run.experimentName };
}

function interpreterFor(run: RunRecord, script: string, python: string): { command: string; args: string[] } {
  if (script.endsWith('.js') || script.endsWith('.mjs') || script.endsWith('.cjs')) return { command: process.execPath, args: [script] };
  const env = (run.definition.configuration as { environment?: { python?: { interpreterPath?: string; userManagedDependencies?: boolean } } } | undefined)?.environment;
  // The swagger: interpreterPath "is only used when user_managed_dependencies=True".
  const own = env?.python?.userManagedDependencies && env.python.interpreterPath;
  return { command: own || python, args: [script] };
}

/** A v2 job that cannot start as submitted (its code or an input is not there): it fails with this code. */
export class JobPreparationError extends Error {
  constructor(
    message: string,
    readonly code: string,
  ) {
    super(message);
  }
}

export class Runner {
  private readonly queue: RunRecord[] = [];
  private readonly active = new Map<RunRecord, Active>();
  private closed = false;
  private wakeTimer?: NodeJS.Timeout;

  constructor(
    private readonly store: Store,
    private readonly options: RunnerOptions,
  ) {}

  private setStatus(run: RunRecord, status: RunStatus, changes: Partial<RunRecord> = {}): void {
    this.store.updateRun(run, { status, ...changes });
  }

  enqueue(run: RunRecord): void {
    this.setStatus(run, 'Queued');
    this.queue.push(run);
    this.pump();
  }

  /** Starts what can start: runs in order, except that a run waiting for its cluster does not hold up the others. */
  pump(): void {
    if (this.closed) return;
    const blocked = new Set<string>();
    let waiting = false;
    for (let i = 0; i < this.queue.length && this.active.size < this.options.maxConcurrentRuns;) {
      const run = this.queue[i];
      const placement = this.options.place?.(run, blocked) ?? { kind: 'start' };
      if (placement.kind === 'wait') {
        waiting = true;
        i++;
        continue;
      }
      this.queue.splice(i, 1);
      if (placement.kind === 'fail') {
        this.finish(run, 'Failed', errorResponse('UserError', placement.message, { innerCode: placement.code }));
        continue;
      }
      this.start(run);
    }
    clearTimeout(this.wakeTimer);
    this.wakeTimer = undefined;
    const wakeIn = waiting ? this.options.nextWakeInMs?.() : undefined;
    // A cluster that becomes ready by the clock alone: look again then (capped, so a moved clock is seen).
    if (wakeIn !== undefined) this.wakeTimer = setTimeout(() => this.pump(), Math.min(wakeIn + 5, 60_000));
  }

  private start(run: RunRecord): void {
    const entry: Active = { children: [], killTimers: [], done: Promise.resolve() };
    this.active.set(run, entry);
    entry.done = this.execute(run, entry)
      .catch((error: Error) => {
        if (!isTerminalStatus(run.status)) this.finish(run, 'Failed', errorResponse('ServiceError', `The emulator could not run the script: ${error.message}`));
      })
      .finally(() => {
        entry.timer?.clear();
        for (const timer of entry.killTimers) clearTimeout(timer);
        this.active.delete(run);
        this.options.onRunReleased?.(run);
        this.pump();
      });
  }

  /** Ends every queued or running run that `which` picks, Failed with `message` (its cluster was deleted). */
  failRuns(which: (run: RunRecord) => boolean, message: string, code: string): void {
    const error = errorResponse('UserError', message, { innerCode: code });
    for (const run of this.queue.filter(which)) {
      this.queue.splice(this.queue.indexOf(run), 1);
      this.finish(run, 'Failed', error);
    }
    for (const [run, entry] of this.active) if (which(run)) this.stop(run, entry, { status: 'Failed', error });
  }

  private finish(run: RunRecord, status: 'Completed' | 'Failed' | 'Canceled', error?: ReturnType<typeof errorResponse>, exitCode?: number): void {
    const changes: Partial<RunRecord> = { endTimeUtc: now() };
    if (error) changes.error = error;
    if (exitCode !== undefined) changes.exitCode = exitCode;
    this.setStatus(run, status, changes);
    this.options.onRunEnded?.(run);
  }

  /** What a v1 run executes: its script with the interpreter it calls for, its arguments and limits. */
  private async prepareRun(run: RunRecord, work: string): Promise<{ command: string; args: string[]; variables?: Record<string, string>; timeoutSeconds?: number; label: string }> {
    await extractZip(this.store.snapshotPath(run.snapshotId), work);
    const config = (run.definition.configuration ?? {}) as {
      script?: string;
      arguments?: string[];
      maxRunDurationSeconds?: number;
      environment?: { environmentVariables?: Record<string, string> };
    };
    const script = config.script as string;
    const { command, args } = interpreterFor(run, script, this.options.python);
    return {
      command,
      args: [...args, ...(config.arguments ?? []).map(String)],
      variables: config.environment?.environmentVariables,
      timeoutSeconds: config.maxRunDurationSeconds,
      label: `The script ${script}`,
    };
  }

  /** What a v2 job executes: its command, in a POSIX shell, in its code's folder. */
  private async prepareJob(run: RunRecord, work: string): Promise<{ command: string; args: string[]; variables?: Record<string, string>; timeoutSeconds?: number; label: string }> {
    if (!this.options.prepareJob) throw new Error('this emulator does not run v2 jobs');
    fs.mkdirSync(work, { recursive: true, mode: PRIVATE_DIR });
    const job = await this.options.prepareJob(run, work);
    return { command: '/bin/sh', args: ['-c', job.command], variables: job.environmentVariables, timeoutSeconds: job.timeoutSeconds, label: 'The command' };
  }

  private async execute(run: RunRecord, entry: Active): Promise<void> {
    const dir = this.store.runDir(run);
    const work = path.join(dir, 'work');
    const layout = layoutOf(run);
    // Over the limit, the run fails with the one log of a single process: never a file per asked-for process.
    const tooMany = layout.total > this.options.maxProcessesPerRun;
    const logNames = tooMany ? [processLogName(run, 0, 1)] : logNamesOf(run, layout);
    for (const name of logNames) {
      const logFile = path.join(dir, name);
      fs.mkdirSync(path.dirname(logFile), { recursive: true, mode: PRIVATE_DIR });
      fs.writeFileSync(logFile, '', { flag: 'a', mode: PRIVATE_FILE }); // readable (empty) as soon as the run lists it
    }
    this.setStatus(run, 'Preparing', { startTimeUtc: now(), logNames });
    if (tooMany) {
      const message = `The run asks for ${layout.total} processes (${describeLayout(layout)}); this emulator starts at most ${this.options.maxProcessesPerRun} per run (its maxProcessesPerRun option).`;
      return this.finish(run, 'Failed', errorResponse('UserError', message, { innerCode: 'TooManyProcesses' }));
    }
    let prepared: Awaited<ReturnType<Runner['prepareRun']>>;
    try {
      prepared = run.job ? await this.prepareJob(run, work) : await this.prepareRun(run, work);
    } catch (error) {
      if (error instanceof JobPreparationError) return this.finish(run, 'Failed', errorResponse('UserError', error.message, { innerCode: error.code }));
      if (!(error instanceof ZipRejectedError)) throw error;
      return this.finish(run, 'Failed', errorResponse('UserError', error.message, { innerCode: 'InvalidProject' }));
    }
    if (entry.stopping) return this.finish(run, entry.stopping.status, entry.stopping.error);

    const processes = await planProcesses(run, layout);
    const service = this.options.serviceEnvironment?.(run) ?? {};
    const timeoutSeconds = prepared.timeoutSeconds;
    this.setStatus(run, 'Running');
    if (timeoutSeconds && timeoutSeconds > 0) {
      // Longer than setTimeout's 2^31 ms (24.8 days) is allowed: the swagger's limit is int64 seconds.
      entry.timer = setLongTimeout(() => {
        const message = run.job
          ? `The job exceeded its limits.timeout (${timeoutSeconds} s) and was stopped.`
          : `The run exceeded maxRunDurationSeconds (${timeoutSeconds} s) and was stopped.`;
        this.stop(run, entry, { status: 'Failed', error: errorResponse('UserError', message, { innerCode: 'RunTimeout' }) });
      }, timeoutSeconds * 1000);
    }
    const label = (rank: number) => (processes.length > 1 ? `${prepared.label} (rank ${rank})` : prepared.label);
    const servers = new Set(processes.filter((p) => p.parameterServer).map((p) => p.rank));
    let workersLeft = processes.length - servers.size;
    await Promise.all(
      processes.map(async (spec) => {
        // What Azure ML sets for the process's place in the run goes with what the service sets: the definition cannot override it.
        const env = runEnvironment(run, prepared.variables, { ...service, ...spec.env });
        const exit = await this.runProcess(entry, spec, prepared.command, prepared.args, work, env, path.join(dir, spec.log));
        if (spec.parameterServer && entry.serversStopped) return;
        if (exit.spawnError || exit.logError || exit.code !== 0) {
          // One process failing fails the run: the others are stopped, and the run carries this one's error.
          this.stop(run, entry, { status: 'Failed', error: processError(exit, label(spec.rank), prepared.command), exitCode: exit.code ?? undefined });
        } else if (!spec.parameterServer && --workersLeft === 0 && servers.size) {
          // The workers are done: parameter servers serve until then, and are stopped, not failed.
          entry.serversStopped = true;
          this.killTree(entry, (rank) => servers.has(rank));
        }
      }),
    );
    entry.timer?.clear();

    this.setStatus(run, 'Finalizing');
    this.store.updateRun(run, { outputs: listFiles(path.join(work, 'outputs')).map((f) => `outputs/${f}`) });
    // Set by cancel(), the time limit or a failed process while the processes ran (TypeScript cannot see that).
    const stopping = entry.stopping as Active['stopping'];
    if (stopping) return this.finish(run, stopping.status, stopping.error, stopping.exitCode);
    return this.finish(run, 'Completed', undefined, 0);
  }

  /** Runs one process of the run to its end, its stdout and stderr appended to its own log. */
  private runProcess(entry: Active, spec: ProcessSpec, command: string, args: string[], work: string, env: NodeJS.ProcessEnv, logFile: string): Promise<ProcessExit> {
    const log = fs.createWriteStream(logFile, { flags: 'a', mode: PRIVATE_FILE });
    let logError: Error | undefined;
    log.on('error', (error) => (logError ??= error)); // a full disk fails the run, not the emulator
    let stderrTail = '';
    const exited = new Promise<Pick<ProcessExit, 'code' | 'signal' | 'spawnError'>>((resolve) => {
      let child: ChildProcess;
      try {
        // detached: the process gets its own process group, so stopping it stops its children too.
        child = spawn(command, args, { cwd: work, env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
      } catch (error) {
        // Refused before a process existed (a NUL byte in an argument or a variable): nothing to wait for.
        return resolve({ code: null, signal: null, spawnError: error as Error });
      }
      entry.children[spec.rank] = child;
      child.stdout!.pipe(log, { end: false });
      child.stderr!.on('data', (chunk: Buffer) => {
        log.write(chunk);
        stderrTail = (stderrTail + chunk.toString('utf8')).slice(-STDERR_TAIL);
      });
      child.once('error', (spawnError) => resolve({ code: null, signal: null, spawnError }));
      child.once('close', (code, signal) => resolve({ code, signal }));
      if (entry.stopping) this.killTree(entry);
    });
    return exited.then(
      (exit) =>
        // Closed whatever happened: a spawn that failed leaves no descriptor open.
        new Promise<ProcessExit>((resolve) => {
          const done = () => resolve({ ...exit, rank: spec.rank, stderrTail, logError });
          if (log.destroyed) return done();
          log.once('close', done);
          log.end();
        }),
    );
  }

  /** Stops the process groups of the run's processes (of the ranks `which` picks): SIGTERM, then SIGKILL after the grace time. */
  private killTree(entry: Active, which: (rank: number) => boolean = () => true): void {
    const pids: number[] = [];
    entry.children.forEach((child, rank) => {
      if (child?.pid && child.exitCode === null && child.signalCode === null && which(rank)) pids.push(child.pid);
    });
    for (const pid of pids) {
      try {
        process.kill(-pid, 'SIGTERM');
      } catch {
        // already gone
      }
    }
    if (!pids.length) return;
    entry.killTimers.push(
      setTimeout(() => {
        for (const pid of pids) {
          try {
            process.kill(-pid, 'SIGKILL');
          } catch {
            // gone after SIGTERM
          }
        }
      }, this.options.killGraceMs),
    );
  }

  private stop(run: RunRecord, entry: Active, how: NonNullable<Active['stopping']>): void {
    if (entry.stopping) return;
    entry.stopping = how;
    this.killTree(entry);
  }

  /** Cancels a queued or running run. Returns false when it had already ended. */
  cancel(run: RunRecord): boolean {
    if (isTerminalStatus(run.status)) return false;
    const queued = this.queue.indexOf(run);
    if (queued !== -1) {
      this.queue.splice(queued, 1);
      this.setStatus(run, 'CancelRequested');
      this.finish(run, 'Canceled');
      return true;
    }
    const entry = this.active.get(run);
    if (!entry) return false;
    this.setStatus(run, 'CancelRequested');
    this.stop(run, entry, { status: 'Canceled' });
    return true;
  }

  /** Stops every run: those running or queued end Failed, saying the emulator stopped. */
  async close(): Promise<void> {
    this.closed = true;
    clearTimeout(this.wakeTimer);
    const reason = (status: string) => errorResponse('ServiceError', `The emulator stopped while the run was ${status}; it was not resumed.`);
    for (const run of this.queue.splice(0)) this.finish(run, 'Failed', reason('Queued'));
    for (const [run, entry] of this.active) this.stop(run, entry, { status: 'Failed', error: reason(run.status) });
    await Promise.all([...this.active.values()].map((entry) => entry.done));
  }
}

/** Files under `dir`, relative, sorted; nothing when it does not exist. */
export function listFiles(dir: string): string[] {
  if (!fs.existsSync(dir)) return [];
  const out: string[] = [];
  const walk = (rel: string) => {
    for (const item of fs.readdirSync(path.join(dir, rel), { withFileTypes: true })) {
      const child = rel ? `${rel}/${item.name}` : item.name;
      if (item.isDirectory()) walk(child);
      else if (item.isFile()) out.push(child);
    }
  };
  walk('');
  return out.sort();
}
