/**
 * Idle timers on a clock the test moves by hand (`createTransport({ idleTimers })`): a timeout
 * fires when the test says time has passed, never because the machine was slow.
 */
import type { IdleTimers } from '../../src';

export class ManualTimers {
  now = 0;
  /** Refreshes (and starts) so far: each is activity the transport saw. */
  activity = 0;
  private timers = new Set<{ due: number; ms: number; onIdle: () => void }>();
  private waiting: Array<{ after: number; resolve: () => void }> = [];

  readonly idleTimers: IdleTimers = (ms, onIdle) => {
    const timer = { due: this.now + ms, ms, onIdle };
    this.timers.add(timer);
    this.touch();
    return {
      refresh: () => {
        timer.due = this.now + timer.ms;
        this.touch();
      },
      clear: () => void this.timers.delete(timer),
    };
  };

  /** Resolves once the transport has seen activity after `after` (a value of `activity` read before acting). */
  activitySince(after: number): Promise<void> {
    if (this.activity > after) return Promise.resolve();
    return new Promise((resolve) => this.waiting.push({ after, resolve }));
  }

  /** Moves the clock: timers that fall due fire, in order. */
  advance(ms: number): void {
    this.now += ms;
    for (const timer of [...this.timers].sort((a, b) => a.due - b.due)) {
      if (timer.due > this.now) break;
      this.timers.delete(timer);
      timer.onIdle();
    }
  }

  private touch(): void {
    this.activity++;
    const ready = this.waiting.filter((w) => this.activity > w.after);
    this.waiting = this.waiting.filter((w) => this.activity <= w.after);
    for (const w of ready) w.resolve();
  }
}
