/**
 * What the CLI shows while it works, on stderr so that stdout keeps the result (a run id, the
 * log, JSON). On a terminal: one live line, redrawn in place, with the elapsed time and the upload
 * progress. Elsewhere (a pipe, a CI log): a plain line for each change, never a stream of redraws.
 */
import { formatBytes } from '../project/zip-project';

export interface ProgressStream {
  write(text: string): unknown;
  isTTY?: boolean;
  columns?: number;
}

export function formatDuration(ms: number): string {
  const seconds = Math.max(0, Math.floor(ms / 1000));
  if (seconds < 60) return `${(ms / 1000).toFixed(1)} s`;
  const h = Math.floor(seconds / 3600);
  const m = Math.floor((seconds % 3600) / 60);
  const s = String(seconds % 60).padStart(2, '0');
  return h ? `${h}:${String(m).padStart(2, '0')}:${s}` : `${m}:${s}`;
}

export class Progress {
  private line = '';
  private shown = false;
  private lastPlain = '';
  private ticker?: NodeJS.Timeout;
  private readonly started: number;

  constructor(
    private readonly stream: ProgressStream,
    private readonly now: () => number = Date.now,
  ) {
    this.started = now();
  }

  get live(): boolean {
    return !!this.stream.isTTY;
  }

  /** The current state, e.g. `Running`: redrawn with the elapsed time on a terminal, a line otherwise. */
  status(text: string): void {
    this.line = text;
    if (this.live) {
      this.draw();
      // The elapsed time moves even when nothing else does; unref: it never keeps the process alive.
      this.ticker ??= setInterval(() => this.draw(), 1000).unref();
    } else if (text !== this.lastPlain) {
      this.lastPlain = text;
      this.stream.write(`${text}\n`);
    }
  }

  /** Upload progress: live on a terminal; elsewhere only its end, once. */
  upload(sentBytes: number, totalBytes?: number): void {
    if (this.live) {
      const part = totalBytes ? ` ${Math.floor((sentBytes / totalBytes) * 100)}% (${formatBytes(sentBytes)} of ${formatBytes(totalBytes)})` : ` ${formatBytes(sentBytes)}`;
      this.status(`Uploading${part}`);
    } else if (totalBytes !== undefined && sentBytes === totalBytes) {
      this.status(`Uploaded ${formatBytes(totalBytes)}`);
    }
  }

  /** Writes other output (the log) without tearing the live line. */
  print(write: () => void): void {
    this.clear();
    write();
    if (this.live && this.line) this.draw();
  }

  /** A line that stays (e.g. `Started run ...`). */
  note(text: string): void {
    this.print(() => this.stream.write(`${text}\n`));
  }

  /** Removes the live line and stops the clock. */
  done(): void {
    if (this.ticker) clearInterval(this.ticker);
    this.ticker = undefined;
    this.clear();
    this.line = '';
  }

  elapsed(): string {
    return formatDuration(this.now() - this.started);
  }

  private draw(): void {
    const columns = this.stream.columns ?? 80;
    const text = `${this.line} · ${this.elapsed()}`;
    this.stream.write(`\r\x1b[2K${text.length > columns - 1 ? text.slice(0, columns - 1) : text}`);
    this.shown = true;
  }

  private clear(): void {
    if (!this.shown) return;
    this.stream.write('\r\x1b[2K');
    this.shown = false;
  }
}
