/**
 * `azureml-exec`: the workflow from a shell. Every command goes through the public client, so the
 * CLI validates, retries and redacts exactly as the library does. stdout carries the result (a
 * run id, the log, a table, or JSON with --json); progress and status go to stderr.
 */
import * as fs from 'fs';
import { Command, CommanderError } from 'commander';
import { createClient, type AzureMLClient } from '../client/create-client';
import { AzureMLError, AzureMLRunFailedError } from '../errors';
import { formatBytes } from '../project/zip-project';
import { isTerminalStatus } from '../spec/run-status';
import type { Run, RunDetails } from '../spec/runhistory/types';
import { CliUsageError, EXIT, exitCodeForError, exitCodeForStatus } from './exit-codes';
import { formatDuration, Progress, type ProgressStream } from './progress';
import { resolveSettings, type GlobalFlags } from './settings';
import { table } from './table';
import { positiveNumber, wholeNumber } from './number-flags';
import { addComputeCommands } from './compute-commands';

export interface CliIO {
  stdout: ProgressStream;
  stderr: ProgressStream;
  env: Record<string, string | undefined>;
  /** Aborted on Ctrl-C: waiting stops, the run goes on. */
  signal?: AbortSignal;
  /** The package version, for --version. */
  version: string;
}

interface WaitFlags {
  follow?: boolean;
  poll?: number;
  /** A distributed run: follow every process's log, each line prefixed [rank N]. */
  allRanks?: boolean;
}

const ALL_RANKS = ['--all-ranks', "with --follow, a distributed run's log of every process, each line prefixed [rank N] (default: rank 0's)"] as const;

const collect = (value: string, previous: string[]): string[] => [...previous, value];

function parseEnvAssignments(assignments: string[], flag = '--env'): Record<string, string> | undefined {
  if (!assignments.length) return undefined;
  const out: Record<string, string> = {};
  for (const assignment of assignments) {
    const eq = assignment.indexOf('=');
    if (eq <= 0) throw new CliUsageError(`${flag} ${assignment}: give NAME=VALUE`);
    out[assignment.slice(0, eq)] = assignment.slice(eq + 1);
  }
  return out;
}

/** A JSON file a flag names, parsed: a usage error (exit 2) naming the flag when it is missing or not JSON. */
function readJsonFile(file: string, flag: string): unknown {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (error) {
    throw new CliUsageError(`${flag} ${file}: ${(error as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (error as Error).message}`);
  }
  try {
    return JSON.parse(text.replace(/^\uFEFF/, ''));
  } catch (error) {
    throw new CliUsageError(`${flag} ${file} is not JSON: ${(error as Error).message}`);
  }
}

function readDefinitionFile(file: string): string {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch (error) {
    throw new CliUsageError(`--definition ${file}: ${(error as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (error as Error).message}`);
  }
}

function durationOf(run: { startTimeUtc?: string; endTimeUtc?: string }): string {
  if (!run.startTimeUtc) return '';
  const end = run.endTimeUtc ? Date.parse(run.endTimeUtc) : Date.now();
  return formatDuration(end - Date.parse(run.startTimeUtc));
}

function runError(details: RunDetails): string | undefined {
  const root = details.error?.error;
  return root ? [root.code, root.message].filter(Boolean).join(': ') : undefined;
}

/** The size of each read of `azureml-exec logs`: 2 MiB, so that a piece (its bytes, its text, and what stdout holds of it) stays small beside the process. */
const LOG_PIECE_BYTES = 2 * 1024 * 1024;

/** Writes, then waits for the stream to take it (a pipe to a slow reader must not fill memory). */
function writeDrained(stream: ProgressStream, text: string): Promise<void> {
  const writable = stream as ProgressStream & { once?: (event: 'drain', listener: () => void) => unknown };
  if (stream.write(text) !== false || typeof writable.once !== 'function') return Promise.resolve();
  return new Promise((resolve) => writable.once!('drain', resolve));
}

export async function runCli(args: string[], io: CliIO): Promise<number> {
  let exitCode: number = EXIT.completed;
  const out = (text: string): void => void io.stdout.write(text);
  const err = (text: string): void => void io.stderr.write(text);

  const program = new Command('azureml-exec')
    .description('Submit, watch and cancel Azure Machine Learning runs')
    .version(io.version)
    .option('--host <url>', 'the service base URL, e.g. https://eastus.api.azureml.ms [AZUREML_HOST]')
    .option('--region <name>', 'the workspace region, e.g. eastus, instead of --host [AZUREML_REGION]')
    .option('--subscription-id <id>', 'the Azure subscription [AZUREML_SUBSCRIPTION_ID]')
    .option('--resource-group <name>', "the workspace's resource group [AZUREML_RESOURCE_GROUP]")
    .option('--workspace <name>', 'the Azure ML workspace [AZUREML_WORKSPACE]')
    .option('--experiment <name>', 'the experiment [AZUREML_EXPERIMENT]')
    .option('--api <v1|v2>', 'the API: v1 (Execution Service runs, the default) or v2 (command jobs of Azure Resource Manager) [AZUREML_API]')
    .option('--management-host <url>', 'the v2 API base URL (default https://management.azure.com) [AZUREML_MANAGEMENT_HOST]')
    .option('--json', 'machine-readable output on stdout (JSON; one JSON object per line with --follow)')
    .addHelpText(
      'after',
      '\nCredentials come from the environment, never from flags: AZUREML_ACCESS_TOKEN, or a service principal\n' +
        'from AZURE_TENANT_ID, AZURE_CLIENT_ID and AZURE_CLIENT_SECRET.\n' +
        'With --api v2 (or AZUREML_API=v2) runs are command jobs of the v2 API: submit takes --command, --input,\n' +
        '--environment and --compute, and a job is named by its name (its run id) alone.\n' +
        '`compute` manages compute clusters (list, show, create, resize, nodes, wait, delete) on the v2 API.\n' +
        'Exit codes: 0 Completed, 1 Failed (a run, or a compute that failed), 2 bad usage or input, 3 Canceled,\n' +
        '4 service or network error, 5 not found (no such run, experiment or compute), 130 interrupted (the run goes on).\n',
    )
    .exitOverride()
    .configureOutput({ writeOut: out, writeErr: err })
    .showHelpAfterError('(add --help for usage)');

  const globals = () => program.opts<GlobalFlags & { json?: boolean }>();
  const json = () => !!globals().json;
  const emit = (value: unknown): void => void out(`${JSON.stringify(value)}\n`);

  let client: AzureMLClient | undefined;
  const getClient = (): AzureMLClient => {
    if (client) return client;
    const settings = resolveSettings(globals(), io.env);
    api = settings.api;
    return (client = createClient(settings.account, { workspace: settings.workspace, userAgentPrefix: `azureml-exec/${io.version}`, api: settings.api }));
  };
  let api: 'v1' | 'v2' = 'v1';
  const isV2 = (): boolean => (getClient(), api === 'v2');

  /** The run being waited on: what the Ctrl-C hint names. */
  let waitingOn: string | undefined;

  /** Waits for the end, following the log when asked; sets the exit code from the run's status. */
  async function waitAndReport(ref: string | { runId: string; experimentName: string }, flags: WaitFlags, progress: Progress, logFromByte?: number): Promise<void> {
    const runId = typeof ref === 'string' ? ref : ref.runId;
    waitingOn = runId;
    const interval = (flags.poll ?? 2) * 1000;
    const follow = !!flags.follow;
    const onLog = follow ? (text: string) => (json() ? emit({ type: 'log', text }) : progress.print(() => out(text))) : undefined;
    let details: RunDetails;
    try {
      details = await getClient().waitForRun(ref, {
        signal: io.signal,
        initialIntervalMs: interval,
        maxIntervalMs: Math.max(interval, 60000),
        logFromByte,
        onLog,
        allProcesses: !!flags.allRanks,
        onStatus: (status) => {
          if (json() && follow) emit({ type: 'status', runId, status });
          progress.status(`Run ${runId}: ${status}`);
        },
      });
    } catch (error) {
      progress.done();
      if (!(error instanceof AzureMLRunFailedError)) throw error;
      details = error.details;
    }
    progress.done();
    exitCode = exitCodeForStatus(details.status);
    if (json()) {
      emit(follow ? { type: 'end', ...details } : details);
      return;
    }
    const why = details.status === 'Failed' ? runError(details) : undefined;
    err(`Run ${runId} ${details.status} after ${durationOf(details) || progress.elapsed()}${why ? `: ${why}` : ''}\n`);
  }

  program
    .command('submit')
    .description('start a run: v1 zips the project folder (honouring .amlignore) and runs one of its scripts; v2 uploads it as code and runs a command')
    .argument('<dir>', 'the project folder (v1: or a .zip of it)')
    .argument('[scriptArgs...]', 'arguments for the script (after --)')
    .option('--script <file>', 'the script to run, relative to the folder')
    .option('--arg <value>', 'an argument for the script (repeat for more)', collect, [])
    .option('--target <name>', 'the compute target (default: local)')
    .option('--definition <file.json>', 'a run definition (camelCase, or PascalCase as the service writes them)')
    .option('--env <NAME=VALUE>', 'an environment variable for the run (repeat for more)', collect, [])
    .option('--run-id <id>', 'the run id, a job name on v2 (default: <experiment>_<unix seconds>_<8 hex>)')
    .option('--command <command>', 'v2: what the job runs, e.g. "python train.py --lr ${{inputs.lr}}"')
    .option('--input <name=value>', 'v2: a literal input of the command (repeat for more)', collect, [])
    .option('--environment <id>', 'v2: the environment, e.g. azureml:my-env:1')
    .option('--compute <name>', 'v2: the compute (default: serverless)')
    .option('--timeout <duration>', 'v2: the time limit, as seconds or an ISO 8601 duration such as PT30M')
    .option('--display-name <name>', "v2: the job's display name")
    .option('--batchai-job <file.json>', 'a Batch AI job file (the resource or its properties): its toolkit, nodes, variables and directories, run here')
    .option('--wait', 'wait until the run ends; the exit code tells how it ended')
    .option('--follow', 'print the log as it grows (implies --wait)')
    .option(...ALL_RANKS)
    .option(
      '--poll <seconds>',
      'first wait between status checks (default 2, growing to 60; to 10 while following a log, and back to the first wait when it grows)',
      positiveNumber,
    )
    .action(
      async (
        dir: string,
        scriptArgs: string[],
        flags: {
          script?: string;
          arg: string[];
          target?: string;
          definition?: string;
          env: string[];
          runId?: string;
          wait?: boolean;
          command?: string;
          input: string[];
          environment?: string;
          compute?: string;
          timeout?: string;
          displayName?: string;
          batchaiJob?: string;
        } & WaitFlags,
      ) => {
        if (flags.allRanks && !flags.follow) throw new CliUsageError('--all-ranks goes with --follow');
        const v2 = isV2();
        const v2Only = (['command', 'environment', 'compute', 'timeout', 'displayName'] as const)
          .filter((name) => flags[name] !== undefined)
          .concat(flags.input.length ? (['input'] as never[]) : []);
        if (!v2 && v2Only.length)
          throw new CliUsageError(
            `--${v2Only.map((n) => n.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)).join(', --')} ${v2Only.length === 1 ? 'is' : 'are'} for v2 jobs: add --api v2`,
          );
        if (flags.batchaiJob && (flags.script || flags.definition || flags.command || flags.arg.length || scriptArgs.length || flags.input.length)) {
          throw new CliUsageError(
            '--batchai-job takes the script, its arguments and the command from the job file: leave out --script, --definition, --command, --input and arguments',
          );
        }
        if (!flags.script && !flags.definition && !flags.command && !flags.batchaiJob)
          throw new CliUsageError(v2 ? 'submit --api v2 needs --command "<command>" (or --script <file>)' : 'submit needs --script <file> (or a --definition that names one)');
        if (flags.command && (flags.script || flags.definition)) throw new CliUsageError('give --command, or --script/--definition, not both');
        const args = [...flags.arg, ...scriptArgs];
        const progress = new Progress(io.stderr);
        const shared = { project: dir, environmentVariables: parseEnvAssignments(flags.env) };
        let run: { runId: string; experimentName: string };
        if (flags.batchaiJob) {
          const job = readJsonFile(flags.batchaiJob, '--batchai-job');
          const submitted = await getClient().submitBatchAIJob(
            { project: dir, job, environmentId: flags.environment, runId: flags.runId },
            {
              signal: io.signal,
              onUploadProgress: ({ sentBytes, totalBytes }) => progress.upload(sentBytes, totalBytes),
              onUploadProgressBytes: ({ uploadedBytes, totalBytes }) => progress.upload(uploadedBytes, totalBytes),
              onWarning: (message) => progress.note(`warning: ${message}`),
            },
          );
          progress.done();
          for (const warning of submitted.warnings) progress.note(`warning: ${warning}`);
          run = submitted;
        } else if (v2) {
          const inputs = parseEnvAssignments(flags.input, '--input');
          const common = {
            ...shared,
            environmentId: flags.environment,
            computeId: flags.compute,
            timeout: flags.timeout && /^\d+$/.test(flags.timeout) ? Number(flags.timeout) : flags.timeout,
            displayName: flags.displayName,
            jobName: flags.runId,
            inputs,
          };
          const options = {
            signal: io.signal,
            onUploadProgressBytes: ({ uploadedBytes, totalBytes }: { uploadedBytes: number; totalBytes: number }) => progress.upload(uploadedBytes, totalBytes),
            onWarning: (message: string) => progress.note(`warning: ${message}`),
          };
          const job = flags.command
            ? await getClient().submitJob({ ...common, command: flags.command }, options)
            : ((await getClient().submitRun(
                {
                  ...common,
                  definition: flags.definition ? readDefinitionFile(flags.definition) : undefined,
                  script: flags.script,
                  arguments: args.length ? args : undefined,
                  target: flags.target,
                } as never,
                options,
              )) as unknown as import('../workflow/v2/index').SubmittedJob);
          progress.done();
          if (job.code)
            progress.note(
              job.code.reused
                ? `Code unchanged: reusing ${job.code.name}:${job.code.version.slice(0, 12)}`
                : `Uploaded ${job.code.files} file${job.code.files === 1 ? '' : 's'} of ${dir} (${formatBytes(job.code.uploadedBytes)}) as ${job.code.name}:${job.code.version.slice(0, 12)}`,
            );
          for (const dropped of job.dropped) progress.note(`warning: ${dropped.field} was not converted: ${dropped.reason}`);
          run = job;
        } else {
          run = await getClient().submitRun(
            {
              ...shared,
              definition: flags.definition ? readDefinitionFile(flags.definition) : undefined,
              script: flags.script,
              arguments: args.length ? args : undefined,
              target: flags.target,
              runId: flags.runId,
            },
            {
              signal: io.signal,
              onZipped: ({ files, bytes }) => progress.note(`Zipped ${files.length} file${files.length === 1 ? '' : 's'} of ${dir} (${formatBytes(bytes)})`),
              onWarning: (message) => progress.note(`warning: ${message}`),
              onUploadProgress: ({ sentBytes, totalBytes }) => progress.upload(sentBytes, totalBytes),
            },
          );
        }
        progress.done();
        const wait = flags.wait || flags.follow;
        const kind = v2 ? 'job' : 'run';
        if (json()) {
          if (wait && flags.follow) emit({ type: 'submitted', ...run });
          else if (!wait) emit(run);
        } else if (wait && flags.follow) {
          progress.note(`Started ${kind} ${run.runId} in experiment ${run.experimentName}`);
        } else {
          out(`${run.runId}\n`);
        }
        if (wait) await waitAndReport(run, flags, progress);
      },
    );

  program
    .command('status')
    .description("show a run's status")
    .argument('<runId>')
    .action(async (runId: string) => {
      const details = await getClient().Runs_GetDetails(await getClient().locateRun(runId, { signal: io.signal }), { signal: io.signal });
      if (json()) return emit(details);
      const rows: Array<[string, string | undefined]> = [
        ['Run', details.runId],
        ['Status', details.status],
        ['Target', details.target],
        ['Started', details.startTimeUtc],
        ['Ended', details.endTimeUtc],
        ['Duration', durationOf(details) || undefined],
        ['Error', runError(details)],
      ];
      out(
        rows
          .filter(([, v]) => v)
          .map(([k, v]) => `${`${k}:`.padEnd(10)}${v}`)
          .join('\n') + '\n',
      );
    });

  program
    .command('wait')
    .description('wait until a run ends (or several runs, all of them); the exit code tells how they ended')
    .argument('<runIds...>')
    .option('--follow', 'print the log as it grows (one run)')
    .option(...ALL_RANKS)
    .option(
      '--poll <seconds>',
      'first wait between status checks (default 2, growing to 60; to 10 while following a log, and back to the first wait when it grows)',
      positiveNumber,
    )
    .action(async (runIds: string[], flags: WaitFlags) => {
      if (flags.allRanks && !flags.follow) throw new CliUsageError('--all-ranks goes with --follow');
      if (runIds.length === 1) return waitAndReport(runIds[0], flags, new Progress(io.stderr));
      if (flags.follow) throw new CliUsageError('--follow takes one run: wait for several without it');
      await waitForMany([...new Set(runIds)], flags);
    });

  program
    .command('cancel')
    .description('cancel a run')
    .argument('<runId>')
    .action(async (runId: string) => {
      // A run that has ended cannot be canceled: say how it ended, and exit as `wait` would.
      const run = await getClient().locateRun(runId, { signal: io.signal });
      const details = await getClient().Runs_GetDetails(run, { signal: io.signal });
      if (isTerminalStatus(details.status)) {
        exitCode = exitCodeForStatus(details.status);
        if (json()) return emit({ runId, status: details.status, canceled: false });
        return void err(`Run ${runId} has already ended: ${details.status}${details.endTimeUtc ? ` at ${details.endTimeUtc}` : ''}; nothing to cancel\n`);
      }
      const result = await getClient().cancelRun(run, { signal: io.signal });
      if (json()) return emit(result);
      out(isV2() ? `Canceled job ${result.runId ?? runId}\n` : `Cancel requested for run ${result.runId ?? runId}\n`);
    });

  program
    .command('logs')
    .description("print a run's driver log")
    .argument('<runId>')
    .option('--from-byte <n>', 'start after this many bytes (what an earlier read gave as nextByte)', wholeNumber(0))
    .option('--rank <n>', "a distributed run: the log of the process of this rank (default rank 0's)", wholeNumber(0))
    .option('--follow', 'keep printing as the log grows, until the run ends (the exit code tells how it ended)')
    .option(...ALL_RANKS)
    .option('--poll <seconds>', 'first wait between checks (default 2, growing to 10 while the log is quiet, back to 2 when it grows)', positiveNumber)
    .action(async (runId: string, flags: { fromByte?: number; rank?: number } & WaitFlags) => {
      if (flags.allRanks && !flags.follow) throw new CliUsageError('--all-ranks goes with --follow');
      if (flags.rank !== undefined && flags.follow) throw new CliUsageError("--rank reads one process's log as it is; to follow every rank, use --follow --all-ranks");
      if (flags.follow) return waitAndReport(runId, flags, new Progress(io.stderr), flags.fromByte);
      // In pieces of LOG_PIECE_BYTES, each written before the next is read: a log of any size
      // prints in bounded memory. With --json, one object per piece (one per line).
      let fromByte = flags.fromByte ?? 0;
      for (;;) {
        const log = await getClient().getRunLog(runId, { fromByte, maxBytes: LOG_PIECE_BYTES, signal: io.signal, ...(flags.rank !== undefined ? { rank: flags.rank } : {}) });
        if (json()) emit(log);
        else await writeDrained(io.stdout, log.log);
        if (log.nextByte >= log.totalBytes || log.nextByte === fromByte) break;
        fromByte = log.nextByte;
      }
    });

  program
    .command('show')
    .description("show a run's details: status, times, logs, last metric values, artifacts")
    .argument('<runId>')
    .action(async (runId: string) => {
      const summary = await getClient().getRunDetails(runId, { signal: io.signal });
      if (json()) return emit(summary);
      const root = summary.error?.error;
      const rows: Array<[string, string | undefined]> = [
        ['Run', summary.runId],
        ['Experiment', summary.experimentName],
        ['Status', summary.status],
        ['Target', summary.target],
        ['Started', summary.startTimeUtc],
        ['Ended', summary.endTimeUtc],
        ['Duration', summary.durationMs !== undefined ? formatDuration(summary.durationMs) : undefined],
        ['Script', (summary.definition?.configuration as { script?: string } | undefined)?.script],
        ['Error', root ? [root.code, root.message].filter(Boolean).join(': ') : undefined],
      ];
      let text = rows
        .filter(([, v]) => v)
        .map(([k, v]) => `${`${k}:`.padEnd(12)}${v}`)
        .join('\n');
      const section = (title: string, lines: string[]) => (lines.length ? `\n${title}:\n${lines.map((l) => `  ${l}`).join('\n')}` : '');
      text += section('Logs', summary.logFiles);
      text += section(
        'Metrics',
        Object.entries(summary.metrics).map(([name, value]) => `${name} = ${typeof value === 'object' ? JSON.stringify(value) : String(value)}`),
      );
      text += section('Artifacts', summary.artifacts);
      out(`${text}\n`);
    });

  program
    .command('metrics')
    .description("print a run's metrics: name, last value and steps (--json: every point)")
    .argument('<runId>')
    .action(async (runId: string) => {
      const metrics = await getClient().getMetrics(runId, { signal: io.signal });
      if (json()) return emit(Object.fromEntries(Object.entries(metrics).map(([name, points]) => [name, points.map(({ value, step }) => ({ value, step }))])));
      const names = Object.keys(metrics).sort();
      if (!names.length) return void err(`Run ${runId} has no metrics\n`);
      const show = (value: unknown) => (typeof value === 'number' ? String(Number(value.toPrecision(6))) : typeof value === 'string' ? value : JSON.stringify(value));
      out(table([['NAME', 'LAST', 'STEPS'], ...names.map((name) => [name, show(metrics[name][metrics[name].length - 1]?.value), String(metrics[name].length)])]));
    });

  program
    .command('download')
    .description("download a run's output files (artifacts under outputs/) into a folder")
    .argument('<runId>')
    .requiredOption('--to <dir>', 'the folder to write into: each file goes to <dir>/<artifact path>')
    .option('--prefix <path>', "only artifacts whose path starts with this (default outputs/; '' for every artifact)")
    .action(async (runId: string, flags: { to: string; prefix?: string }) => {
      const progress = new Progress(io.stderr);
      const result = await getClient().downloadOutputs(runId, {
        to: flags.to,
        prefix: flags.prefix,
        signal: io.signal,
        onProgress: (p) => {
          if (p.state === 'progress' && p.totalBytes) progress.status(`${p.path}: ${formatBytes(p.bytes)} of ${formatBytes(p.totalBytes)} (${p.filesDone}/${p.filesTotal} files)`);
        },
      });
      progress.done();
      if (json()) return emit(result);
      for (const file of result.files) out(`${file.skipped ? 'skipped (already there)' : formatBytes(file.bytes).padStart(10)}  ${file.file}\n`);
      const skipped = result.files.filter((f) => f.skipped).length;
      err(
        `Downloaded ${result.files.length - skipped} file${result.files.length - skipped === 1 ? '' : 's'} (${formatBytes(result.bytes)}) to ${flags.to}${skipped ? `; ${skipped} already there` : ''}\n`,
      );
    });

  program
    .command('runs')
    .description("list the experiment's runs, newest first")
    .option('--status <status>', 'only runs in this status (e.g. Running, Failed)')
    .option('--top <n>', 'at most this many (across pages)', wholeNumber(1))
    .option('--all', 'every page (default: the first page)')
    .action(async (flags: { status?: string; top?: number; all?: boolean }) => {
      if (isV2()) return listJobs(flags);
      // One page by default, as a list screen shows: an experiment may hold thousands of runs.
      let runs: Run[];
      let more = false;
      if (flags.all || flags.top !== undefined) {
        runs = await getClient().listRuns({ status: flags.status, top: flags.top }, { signal: io.signal });
      } else {
        const page = await getClient().listRunsPage({ status: flags.status }, { signal: io.signal });
        runs = page.runs;
        more = page.continuationToken !== undefined;
      }
      if (more) err(`More runs than this page: --all for every one, --top <n> for the newest n\n`);
      if (json()) return emit(runs);
      if (!runs.length) return void err('No runs\n');
      out(
        table([
          ['RUN ID', 'STATUS', 'CREATED', 'DURATION', 'TARGET'],
          ...runs.map((r) => [String(r.runId), String(r.status ?? ''), String(r.createdUtc ?? ''), durationOf(r), String(r.target ?? '')]),
        ]),
      );
    });

  /**
   * Waits for every run at once (AZTK's wait_until_applications_done): a line as each ends, then
   * exit 1 naming the failed ones if any failed, else 3 if any was canceled, else 0.
   */
  async function waitForMany(runIds: string[], flags: WaitFlags): Promise<void> {
    const interval = (flags.poll ?? 2) * 1000;
    const progress = new Progress(io.stderr);
    waitingOn = runIds.join(' ');
    let ended = 0;
    progress.status(`Waiting for ${runIds.length} runs`);
    const all = await getClient().waitForRuns(runIds, {
      signal: io.signal,
      initialIntervalMs: interval,
      maxIntervalMs: Math.max(interval, 60000),
      onEnded: (details) => {
        ended++;
        const why = details.status === 'Failed' ? runError(details) : undefined;
        progress.note(`Run ${details.runId} ${details.status}${durationOf(details) ? ` after ${durationOf(details)}` : ''}${why ? `: ${why}` : ''}`);
        progress.status(`${ended} of ${runIds.length} runs ended`);
      },
    });
    progress.done();
    const failed = all.filter((d) => d.status === 'Failed').map((d) => String(d.runId));
    const canceled = all.filter((d) => d.status === 'Canceled').map((d) => String(d.runId));
    exitCode = failed.length ? EXIT.failed : canceled.length ? EXIT.canceled : EXIT.completed;
    if (json()) return emit(all.map((d) => ({ runId: d.runId, status: d.status, ...(d.error ? { error: d.error } : {}) })));
    if (failed.length) err(`${failed.length} of ${all.length} runs failed: ${failed.join(', ')}\n`);
    else if (canceled.length) err(`${canceled.length} of ${all.length} runs were canceled: ${canceled.join(', ')}\n`);
    else err(`All ${all.length} runs completed\n`);
  }

  /** `runs` on v2: the workspace's jobs (Jobs_List), newest first, one page unless --all or --top. */
  async function listJobs(flags: { status?: string; top?: number; all?: boolean }): Promise<void> {
    const settings = resolveSettings(globals(), io.env);
    const workspace = {
      subscriptionId: settings.workspace.subscriptionId!,
      resourceGroupName: settings.workspace.resourceGroupName!,
      workspaceName: settings.workspace.workspaceName!,
    };
    const jobs: Array<{
      name?: string;
      properties: { status?: string; experimentName?: string; displayName?: string | null; computeId?: string | null };
      systemData?: { createdAt?: string };
    }> = [];
    let skip: string | undefined;
    let more = false;
    for (;;) {
      const page = await getClient().v2.Jobs_List({ ...workspace, ...(skip ? { $skip: skip } : {}) }, { signal: io.signal });
      for (const job of page.value ?? []) if (!flags.status || job.properties.status === flags.status) jobs.push(job as (typeof jobs)[number]);
      const next = page.nextLink ? (new URL(page.nextLink).searchParams.get('$skip') ?? undefined) : undefined;
      if (!next || next === skip || (flags.top !== undefined && jobs.length >= flags.top)) break;
      if (!flags.all && flags.top === undefined) {
        more = true;
        break;
      }
      skip = next;
    }
    const shown = flags.top !== undefined ? jobs.slice(0, flags.top) : jobs;
    if (more) err(`More jobs than this page: --all for every one, --top <n> for the newest n\n`);
    if (json()) return emit(shown);
    if (!shown.length) return void err('No jobs\n');
    out(
      table([
        ['JOB', 'STATUS', 'EXPERIMENT', 'CREATED', 'COMPUTE'],
        ...shown.map((j) => [
          String(j.name),
          String(j.properties.status ?? ''),
          String(j.properties.experimentName ?? ''),
          String(j.systemData?.createdAt ?? ''),
          String(j.properties.computeId ?? 'serverless'),
        ]),
      ]),
    );
  }

  addComputeCommands(program, { getClient, stdout: io.stdout, stderr: io.stderr, env: io.env, signal: io.signal, json });

  try {
    await program.parseAsync(args, { from: 'user' });
    return exitCode;
  } catch (error) {
    if (error instanceof CommanderError) {
      // Help and version end in 0; commander has printed its message already.
      return error.exitCode === 0 ? EXIT.completed : EXIT.usage;
    }
    const code = exitCodeForError(error);
    if (json()) emit({ error: error instanceof AzureMLError ? error.toJSON() : { name: (error as Error).name, message: (error as Error).message } });
    if (code === EXIT.interrupted) err(`Stopped waiting; the run goes on (cancel it with: azureml-exec cancel ${waitingOn ?? '<runId>'})\n`);
    else err(`error: ${(error as Error).message}\n`);
    return code;
  }
}
