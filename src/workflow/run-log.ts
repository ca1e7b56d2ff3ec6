/**
 * A run's log from a byte offset, as AZTK's get_application_log(tail, current_bytes) gives it:
 * the text added since `fromByte`, and the offset to ask from next time. Run History lists the
 * log files of a run as links (RunDetails.logFiles); they are read with HTTP Range, so a tail
 * downloads only what is new.
 */
import type { CallOptions } from '../http/call-options';
import { AzureMLNotFoundError, AzureMLServiceError, AzureMLValidationError } from '../errors';
import { fetchFromByte } from '../http/fetch-range';
import { DEFAULT_LOG_READ_BYTES } from '../http/limits';
import { isTerminalStatus } from '../spec/run-status';
import type { ErrorResponse, RunDetails } from '../spec/runhistory/types';
import { linksOf, workflowAction, type WorkflowContext } from './context';
import { resolveRun, type RunRef } from './locator';

export const DRIVER_LOG = 'azureml-logs/70_driver_log.txt';
/** The log of a v2 job (one process), and of its first process when it has several. */
export const JOB_LOG = 'user_logs/std_log.txt';
export const JOB_LOG_RANK_0 = 'user_logs/std_log_process_0.txt';
/** The driver log of rank 0 of a distributed v1 run (one per process: 70_driver_log_<rank>.txt). */
export const DRIVER_LOG_RANK_0 = 'azureml-logs/70_driver_log_0.txt';

/** The per-process log names of both APIs, with the rank in them. */
const PROCESS_LOG = /^(?:azureml-logs\/70_driver_log_|user_logs\/std_log_process_)(\d+)\.txt$/;

/** Every process's log of a distributed run, by rank; a run of one process has its main log alone (and no rank). */
export function processLogsOf(details: RunDetails): { name: string; rank?: number }[] {
  const ranked = Object.keys(details.logFiles ?? {})
    .map((name) => ({ name, match: PROCESS_LOG.exec(name) }))
    .filter((log) => log.match)
    .map((log) => ({ name: log.name, rank: Number(log.match![1]) }))
    .sort((a, b) => a.rank - b.rank);
  return ranked.length ? ranked : [{ name: mainLogOf(details) }];
}

/** The log a run is followed by: the one asked for, else the first of the main logs the run lists (v1's driver log, v2's std_log). */
export function mainLogOf(details: RunDetails, asked?: string): string {
  if (asked) return asked;
  const listed = details.logFiles ?? {};
  return [DRIVER_LOG, JOB_LOG, DRIVER_LOG_RANK_0, JOB_LOG_RANK_0].find((name) => listed[name]) ?? DRIVER_LOG;
}

/** The log of the process of rank `rank`; a run of one process has rank 0 alone (its main log). */
function rankLogOf(details: RunDetails, rank: number, runId: string, action: string): string {
  const logs = processLogsOf(details);
  const found = logs.find((log) => (log.rank ?? 0) === rank);
  if (found) return found.name;
  const ranks = logs.map((log) => log.rank ?? 0);
  throw new AzureMLNotFoundError({ action, what: `the log of rank ${rank}`, message: `Run ${runId} has no log of rank ${rank} (its ranks: ${ranks.join(', ')})` });
}

export interface GetRunLogOptions extends Pick<CallOptions, 'signal'> {
  /** Bytes already read: only what comes after is downloaded (default 0, the whole log). */
  fromByte?: number;
  /** The log file (default the run's main log: `azureml-logs/70_driver_log.txt` of a v1 run, `user_logs/std_log.txt` of a v2 job). */
  file?: string;
  /** A distributed run: the log of the process of this rank (instead of `file`; default rank 0's). */
  rank?: number;
  /** Most bytes to read (default 8 MiB): read on from `nextByte` while it is below `totalBytes`. */
  maxBytes?: number;
}

export interface RunLog {
  runId: string;
  /** The log file's name. */
  name: string;
  /** The text from `fromByte` to `nextByte`: whole UTF-8 characters only. */
  log: string;
  fromByte: number;
  /** Where the next read starts (AZTK's current_bytes): a character cut by the end of this read is read whole next time. */
  nextByte: number;
  /** The log's size when it was read (0 while the run has written none). */
  totalBytes: number;
  /** The run's status when the log was read. */
  status: string;
  /** The run's error, when it Failed. */
  error?: ErrorResponse;
}

/** The bytes of a log file from `fromByte` on (empty while it does not exist yet). */
export async function readLogFrom(
  ctx: WorkflowContext,
  details: RunDetails,
  file: string,
  fromByte: number,
  action: string,
  signal?: AbortSignal,
  maxBytes = DEFAULT_LOG_READ_BYTES,
  waitSeconds?: number,
): Promise<{ data: Buffer; totalBytes: number; maxWaitSeconds?: number }> {
  const url = details.logFiles?.[file];
  if (!url) return { data: Buffer.alloc(0), totalBytes: 0 };
  try {
    const { data, totalSize, maxWaitSeconds } = await fetchFromByte(linksOf(ctx), url, fromByte, action, signal, maxBytes, waitSeconds);
    return { data, totalBytes: totalSize ?? fromByte + data.length, ...(maxWaitSeconds ? { maxWaitSeconds } : {}) };
  } catch (error) {
    if (error instanceof AzureMLServiceError && error.statusCode === 404) return { data: Buffer.alloc(0), totalBytes: 0 }; // not written yet
    throw error;
  }
}

/** How many bytes of `data` hold whole UTF-8 characters: a sequence cut at the end is left for the next read. */
export function completeUtf8Length(data: Buffer): number {
  for (let back = 1; back <= Math.min(4, data.length); back++) {
    const byte = data[data.length - back];
    if ((byte & 0xc0) === 0x80) continue; // a continuation byte: keep looking for the lead byte
    const length = byte >= 0xf0 ? 4 : byte >= 0xe0 ? 3 : byte >= 0xc0 ? 2 : 1;
    return length > back ? data.length - back : data.length;
  }
  return data.length;
}

export async function getRunLog(ctx: WorkflowContext, ref: RunRef, options: GetRunLogOptions = {}): Promise<RunLog> {
  const action = workflowAction('getRunLog');
  const fromByte = options.fromByte ?? 0;
  if (!Number.isSafeInteger(fromByte) || fromByte < 0) {
    throw new AzureMLValidationError({ action, problems: [{ path: 'fromByte', message: `must be a whole number of bytes, 0 or more (got ${JSON.stringify(fromByte)})` }] });
  }
  const maxBytes = options.maxBytes ?? DEFAULT_LOG_READ_BYTES;
  if (!Number.isSafeInteger(maxBytes) || maxBytes < 4) {
    throw new AzureMLValidationError({ action, problems: [{ path: 'maxBytes', message: `must be a whole number of bytes, 4 or more (got ${JSON.stringify(maxBytes)})` }] });
  }
  if (options.rank !== undefined && (!Number.isSafeInteger(options.rank) || options.rank < 0)) {
    throw new AzureMLValidationError({ action, problems: [{ path: 'rank', message: `must be a whole number, 0 or more (got ${JSON.stringify(options.rank)})` }] });
  }
  if (options.rank !== undefined && options.file !== undefined)
    throw new AzureMLValidationError({ action, problems: [{ path: 'rank', message: 'cannot be given with file: give one or the other' }] });
  const run = resolveRun(ref, ctx.defaults, action);
  const details = await ctx.client.Runs_GetDetails(run, { signal: options.signal });
  const file = options.rank === undefined ? mainLogOf(details, options.file) : rankLogOf(details, options.rank, run.runId, action);
  const status = String(details.status ?? '');
  const { data, totalBytes } = await readLogFrom(ctx, details, file, fromByte, action, options.signal, maxBytes);
  // A run that ended writes no more: what is cut at the end of the log stays cut, and is decoded as it is.
  const atEnd = fromByte + data.length >= totalBytes;
  const length = isTerminalStatus(status) && atEnd ? data.length : completeUtf8Length(data);
  const result: RunLog = {
    runId: run.runId,
    name: file,
    log: data.subarray(0, length).toString('utf8'),
    fromByte,
    nextByte: fromByte + length,
    totalBytes,
    status,
  };
  if (details.error) result.error = details.error;
  return result;
}
