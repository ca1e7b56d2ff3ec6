/**
 * Waits for a run to end, as AZTK's wait-until-done does: polls Runs_GetDetails with backoff,
 * follows the driver log from the last byte read (HTTP Range: no byte is downloaded twice), and
 * reports status changes. An AbortSignal stops the waiting, not the run.
 */
import { AzureMLAbortError, AzureMLRunFailedError, AzureMLTimeoutError } from '../errors';
import { DEFAULT_LOG_READ_BYTES } from '../http/limits';
import { sleepFor } from '../http/policies/retry';
import type { RunDetails } from '../spec/runhistory/types';
import { workflowAction, type WorkflowContext } from './context';
import { resolveRun, type RunRef } from './locator';
import { isTerminalStatus } from '../spec/run-status';
import { DRIVER_LOG, mainLogOf, processLogsOf, readLogFrom } from './run-log';
import { settleResults } from './results/settle';

export { DRIVER_LOG, AzureMLRunFailedError };

export interface WaitForRunOptions {
  /** Stops the waiting (the run goes on): the call rejects with an AbortError. */
  signal?: AbortSignal;
  /** Called with each new status. */
  onStatus?: (status: string, details: RunDetails) => void;
  /** Called with each new piece of the driver log; without it, the log is not downloaded. */
  onLog?: (text: string) => void;
  /** Where following the log starts (default 0: the whole log). */
  logFromByte?: number;
  /**
   * A distributed run: follow the log of every process, not only rank 0's, each line prefixed
   * `[rank N] ` and given whole (default false: rank 0's log alone, as it is written).
   */
  allProcesses?: boolean;
  /** First wait between polls (default 2000 ms); it grows by half each time up to maxIntervalMs. */
  initialIntervalMs?: number;
  /** Longest wait between polls (default 60000 ms). */
  maxIntervalMs?: number;
  /**
   * While following the log (onLog), the longest wait between polls (default 10000 ms): a log
   * that has gone quiet is still checked often, and new bytes bring the wait back to its start.
   */
  followMaxIntervalMs?: number;
  /** Stop waiting after this long (the run goes on): the call rejects with an AzureMLTimeoutError. Default: no limit. */
  timeoutMs?: number;
  /**
   * After the run ends, the longest wait for its metrics and artifacts to settle (Run History is
   * eventually consistent): they are counted until two counts in a row agree, the first poll
   * interval (at most 500 ms) apart. Default 5000 ms; 0 does not wait. A run that ended longer
   * ago than this is not waited for.
   */
  settleMs?: number;
  /** How to wait between polls (tests pass one that records the delays). */
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
  /** The clock the timeout is measured with, in ms (default Date.now). */
  now?: () => number;
}

export async function waitForRun(ctx: WorkflowContext, ref: RunRef, options: WaitForRunOptions = {}): Promise<RunDetails> {
  const action = workflowAction('waitForRun');
  const run = resolveRun(ref, ctx.defaults, action);
  const initial = options.initialIntervalMs ?? 2000;
  const { signal, onLog, onStatus } = options;
  // Every process's log is polled (no single log to hold a read on): at most 2 s apart by default.
  const followMax = options.followMaxIntervalMs ?? (options.allProcesses ? 2000 : 10000);
  const max = onLog ? Math.min(options.maxIntervalMs ?? 60000, Math.max(initial, followMax)) : (options.maxIntervalMs ?? 60000);
  const sleep = options.sleep ?? sleepFor;
  const now = options.now ?? Date.now;
  const deadline = options.timeoutMs !== undefined ? now() + options.timeoutMs : undefined;
  const decoder = new TextDecoder('utf-8');
  let interval = initial;
  let status: string | undefined;
  let logOffset = options.logFromByte ?? 0;
  const ranks = options.allProcesses && onLog ? new RankLogs(ctx, action, onLog, signal) : undefined;

  try {
    for (;;) {
      if (signal?.aborted) throw signal.reason;
      const details = await ctx.client.Runs_GetDetails(run, { signal });
      const ended = isTerminalStatus(details.status);
      const changed = details.status !== status;
      if (changed) {
        status = details.status;
        interval = initial;
      }
      // A run is Running before it prints, and prints before it ends: the log read in this poll
      // goes after a new running status, and before the status the run ended in.
      if (changed && !ended) onStatus?.(String(status), details);
      let grew = false;
      let waitOffer: number | undefined;
      const emit = (data: Buffer) => {
        logOffset += data.length;
        // stream: a multi-byte character split across reads is completed by the next one.
        const text = decoder.decode(data, { stream: true });
        if (text) onLog!(text);
        if (data.length) grew = true;
      };
      if (onLog && ranks) {
        if (await ranks.read(details, ended)) grew = true;
      } else if (onLog) {
        // In bounded pieces until caught up: a log that grew by a gigabyte is never held whole.
        for (;;) {
          const read = await readLogFrom(ctx, details, mainLogOf(details), logOffset, action, signal, DEFAULT_LOG_READ_BYTES);
          emit(read.data);
          waitOffer = read.maxWaitSeconds;
          if (read.data.length < DEFAULT_LOG_READ_BYTES || logOffset >= read.totalBytes) break;
        }
      }
      if (changed && ended) onStatus?.(String(status), details);
      if (ended) {
        await settleResults(ctx, run, action, {
          settleMs: options.settleMs ?? 5000,
          intervalMs: Math.min(initial, 500),
          endedAt: details.endTimeUtc ? Date.parse(details.endTimeUtc) : undefined,
          sleep,
          now,
          signal,
        });
        if (details.status === 'Failed') throw new AzureMLRunFailedError({ details });
        return details;
      }
      // The last wait is cut to the deadline, so that the status at the deadline is seen before giving up.
      const left = deadline === undefined ? Infinity : deadline - now();
      if (left <= 0) throw new AzureMLTimeoutError({ action, deadlineMs: options.timeoutMs! });
      if (onLog && waitOffer) {
        // The link offers to hold a read until the log grows (the emulator does, and answers when
        // the run's status changes too): no polling, and a line shows as soon as it is written.
        // While bytes keep coming the log is read on, with the status polled at least every second,
        // and at once when the log grows while the run was not seen Running (it is Running now).
        const since = now();
        for (;;) {
          const seconds = Math.max(1, Math.min(waitOffer, Math.floor(Math.min(left, max) / 1000)));
          const read = await readLogFrom(ctx, details, mainLogOf(details), logOffset, action, signal, DEFAULT_LOG_READ_BYTES, seconds);
          emit(read.data);
          if (!read.data.length || status !== 'Running' || now() - since >= Math.min(max, 1000) || (deadline !== undefined && now() >= deadline)) break;
        }
        interval = initial;
        continue;
      }
      // New bytes: the run is talking, so look again soon.
      if (grew) interval = initial;
      await sleep(Math.min(interval, left), signal);
      interval = Math.min(max, Math.ceil(interval * 1.5));
    }
  } catch (error) {
    // Whether it came during a poll, a log read or the wait between them: the waiting was aborted.
    if (signal?.aborted) throw new AzureMLAbortError({ action, reason: signal.reason });
    throw error;
  }
}

/**
 * The logs of every process of a run, followed together: each read in bounded pieces from where
 * it was left, its lines given whole with `[rank N] ` before each (a line still being written
 * waits for its end, or for the run's end).
 */
class RankLogs {
  private readonly state = new Map<string, { offset: number; decoder: InstanceType<typeof TextDecoder>; partial: string }>();

  constructor(
    private readonly ctx: WorkflowContext,
    private readonly action: string,
    private readonly onLog: (text: string) => void,
    private readonly signal?: AbortSignal,
  ) {}

  /** Reads what every log has added; true when any grew. */
  async read(details: RunDetails, ended: boolean): Promise<boolean> {
    let grew = false;
    for (const { name, rank } of processLogsOf(details)) {
      let log = this.state.get(name);
      if (!log) this.state.set(name, (log = { offset: 0, decoder: new TextDecoder('utf-8'), partial: '' }));
      for (;;) {
        const read = await readLogFrom(this.ctx, details, name, log.offset, this.action, this.signal, DEFAULT_LOG_READ_BYTES);
        log.offset += read.data.length;
        if (read.data.length) grew = true;
        const text = log.partial + log.decoder.decode(read.data, { stream: true });
        const cut = text.lastIndexOf('\n') + 1;
        log.partial = text.slice(cut);
        if (cut) this.give(text.slice(0, cut), rank);
        // A line that never ends (a progress bar, a binary dump) is not held past 64 KiB: what has
        // come of it goes as a line of its own, and the rest follows under the prefix again.
        if (log.partial.length > MAX_HELD_LINE) {
          this.give(`${log.partial}\n`, rank);
          log.partial = '';
        }
        if (read.data.length < DEFAULT_LOG_READ_BYTES || log.offset >= read.totalBytes) break;
      }
      // The run has ended: a last line without its newline is given as it is.
      if (ended && log.partial) {
        this.give(`${log.partial}\n`, rank);
        log.partial = '';
      }
    }
    return grew;
  }

  /** Gives whole lines, `[rank N] ` before each: lines of several processes never run into each other. */
  private give(text: string, rank: number | undefined): void {
    this.onLog(rank === undefined ? text : text.replace(/[^\n]*\n/g, (line) => `[rank ${rank}] ${line}`));
  }
}

/** The longest unfinished line held back per process log (64 KiB of text). */
const MAX_HELD_LINE = 64 * 1024;
