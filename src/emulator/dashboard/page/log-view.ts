/**
 * A run's log, live: the tail first (never the whole file: a log may be 100 MB), earlier parts on
 * demand, and new lines as they are written, through the emulator's long poll on the log link
 * (a Range from the last byte read, answered as soon as the file grows or the run's status
 * changes). One choice picks the process (rank) and file among the run's logs.
 */
import { readRange, type RangeRead } from './api';
import { formatBytes, h } from './dom';

/** What the tail shows first, and each "earlier" step loads. */
const CHUNK = 256 * 1024;
/** The most one forward read takes; a writer further ahead than BEHIND_LIMIT is jumped to its tail. */
const FORWARD_MAX = 1024 * 1024;
const BEHIND_LIMIT = 4 * 1024 * 1024;
/** The most the page holds: past it, the view starts again from the tail. */
const SHOWN_LIMIT = 4 * 1024 * 1024;
const WAIT_SECONDS = 20;
const NEWLINE = 0x0a;

export interface LogSource {
  name: string;
  link: string;
}

/** `rank 1 · azureml-logs/70_driver_log_1.txt` for a process's log, the name for any other. */
function labelOf(name: string): string {
  const rank = /(?:driver_log|std_log_process)_(\d+)\.txt$/.exec(name);
  return rank ? `rank ${rank[1]} · ${name}` : name;
}

/**
 * The part of a read from its first whole line: a read that starts inside the file drops what
 * comes before its first newline (a newline is never inside a UTF-8 character, so what is left
 * decodes whole).
 */
function fromLineStart(read: RangeRead): { bytes: Uint8Array; start: number } {
  if (read.start === 0) return { bytes: read.bytes, start: 0 };
  const cut = read.bytes.indexOf(NEWLINE) + 1;
  return { bytes: read.bytes.subarray(cut), start: read.start + cut };
}

const sleep = (ms: number, signal: AbortSignal) =>
  new Promise<void>((resolve) => {
    const timer = setTimeout(resolve, ms);
    signal.addEventListener('abort', () => (clearTimeout(timer), resolve()), { once: true });
  });

export class LogView {
  readonly element: HTMLElement;
  private readonly select: HTMLSelectElement;
  private readonly pre: HTMLPreElement;
  private readonly earlier: HTMLButtonElement;
  private readonly info: HTMLElement;
  private sources: LogSource[] = [];
  private current?: LogSource;
  private follow?: AbortController;
  private active = true;
  /** The bytes shown: [start, end) of the file. */
  private start = 0;
  private end = 0;
  private total = 0;
  private decoder = new TextDecoder();

  /** `onIdle`: the long poll came back with nothing (the run's status may have changed): it reads the status. */
  constructor(private readonly onIdle: () => Promise<void>) {
    this.select = h('select', { id: 'log-file', 'aria-label': 'Log file', onchange: () => this.show(this.sources.find((s) => s.name === this.select.value)) });
    this.earlier = h('button', { type: 'button', class: 'secondary', hidden: true, onclick: () => void this.loadEarlier() }, 'Load earlier');
    this.info = h('span', { class: 'muted log-info', 'aria-live': 'polite' });
    this.pre = h('pre', { class: 'log', tabindex: 0, 'aria-label': 'Log', 'data-testid': 'log' });
    this.element = h(
      'div',
      { class: 'log-view' },
      h('div', { class: 'toolbar' }, h('label', { for: 'log-file' }, 'Process and file'), this.select, this.earlier, this.info),
      this.pre,
    );
    this.pre.textContent = 'No log yet: the run has not started.';
  }

  /** The run's logs (they appear when it starts); the first is shown until the user picks another. */
  setSources(sources: LogSource[]): void {
    const names = sources.map((s) => s.name).join('\n');
    if (names !== this.sources.map((s) => s.name).join('\n')) {
      this.select.replaceChildren(...sources.map((s) => h('option', { value: s.name }, labelOf(s.name))));
    }
    this.sources = sources;
    const keep = this.current && sources.find((s) => s.name === this.current!.name);
    if (keep) this.select.value = keep.name;
    else if (sources.length) this.show(sources[0]);
  }

  /** The run ended: the log is read to its end once more, then no longer followed. */
  setActive(active: boolean): void {
    this.active = active;
  }

  dispose(): void {
    this.follow?.abort();
  }

  private show(source: LogSource | undefined): void {
    this.follow?.abort();
    this.current = source;
    if (!source) return;
    this.select.value = source.name;
    const controller = new AbortController();
    this.follow = controller;
    void this.run(source, controller.signal).catch((error: unknown) => {
      if (!controller.signal.aborted) this.info.textContent = `The log could not be read: ${(error as Error).message}`;
    });
  }

  /** Shows the file's tail: from its last CHUNK bytes, whole lines only. */
  private async showTail(source: LogSource, signal: AbortSignal): Promise<void> {
    let read: RangeRead | undefined;
    while (!signal.aborted) {
      try {
        read = await readRange(source.link, `bytes=-${CHUNK}`, { signal });
        break;
      } catch (error) {
        // Not written yet: a run's log appears when its process starts.
        if ((error as { status?: number }).status !== 404 || !this.active) throw error;
        await sleep(500, signal);
      }
    }
    if (!read) return;
    this.decoder = new TextDecoder();
    const { bytes, start } = fromLineStart(read);
    this.start = start;
    this.end = read.start + read.bytes.length;
    this.total = read.total;
    this.pre.replaceChildren(document.createTextNode(this.decoder.decode(bytes, { stream: true })));
    this.pre.scrollTop = this.pre.scrollHeight;
    this.updateInfo();
  }

  /**
   * Follows the file from what is shown. Each read asks again for the last byte it has (so the
   * answer is never an error a browser would log) and waits, with `since`, for more.
   */
  private async run(source: LogSource, signal: AbortSignal): Promise<void> {
    await this.showTail(source, signal);
    while (!signal.aborted) {
      const wasActive = this.active;
      const asked = Date.now();
      const from = Math.max(0, this.end - 1);
      const range = this.end > 0 ? `bytes=${from}-${from + FORWARD_MAX}` : undefined;
      const read = await readRange(source.link, range, { waitSeconds: wasActive ? WAIT_SECONDS : undefined, since: this.end, signal });
      if (signal.aborted) return;
      // Shorter than what is shown, or not from where it was: the file was replaced. Start again.
      if (read.status === 416 || read.total < this.end || (this.end > 0 && read.start !== from)) {
        await this.showTail(source, signal);
        continue;
      }
      const fresh = read.bytes.subarray(this.end - read.start);
      this.total = read.total;
      if (!fresh.length) {
        this.updateInfo();
        if (!wasActive) return; // read to the end after the run ended
        await this.onIdle();
        // An answer at once with nothing new: the run is ending; its status is on its way.
        if (Date.now() - asked < 250) await sleep(250, signal);
        continue;
      }
      if (read.total - this.end > BEHIND_LIMIT || this.end - this.start + fresh.length > SHOWN_LIMIT) {
        await this.showTail(source, signal);
        continue;
      }
      this.appendBytes(fresh);
      this.end += fresh.length;
      this.updateInfo();
    }
  }

  private appendBytes(bytes: Uint8Array): void {
    const atBottom = this.pre.scrollTop + this.pre.clientHeight >= this.pre.scrollHeight - 8;
    this.pre.appendChild(document.createTextNode(this.decoder.decode(bytes, { stream: true })));
    if (atBottom) this.pre.scrollTop = this.pre.scrollHeight;
  }

  /** Loads the CHUNK before what is shown, from a line start, and keeps the view where it was. */
  private async loadEarlier(): Promise<void> {
    const source = this.current;
    if (!source || this.start === 0) return;
    this.earlier.disabled = true;
    try {
      const from = Math.max(0, this.start - CHUNK);
      const read = await readRange(source.link, `bytes=${from}-${this.start - 1}`);
      const { bytes, start } = fromLineStart(read);
      const height = this.pre.scrollHeight;
      this.pre.insertBefore(document.createTextNode(new TextDecoder().decode(bytes)), this.pre.firstChild);
      this.pre.scrollTop += this.pre.scrollHeight - height;
      this.start = start;
      this.updateInfo();
    } finally {
      this.earlier.disabled = false;
    }
  }

  private updateInfo(): void {
    this.earlier.hidden = this.start === 0;
    this.info.textContent = this.start === 0 ? `${formatBytes(this.total)}` : `last ${formatBytes(this.end - this.start)} of ${formatBytes(this.total)}`;
  }
}
