/**
 * Calls `tick` again `everyMs` after each one ends (never two at once), slower while the tab is
 * hidden or while a tick is slow (an emulator with many runs: at most a fifth of the time is
 * spent asking), until stopped. `report` hears how each tick ended (an error, or undefined): a failed
 * tick is shown, and the polling goes on.
 */
export function poll(tick: (signal: AbortSignal) => Promise<void>, everyMs: number, report: (error: Error | undefined) => void): () => void {
  const controller = new AbortController();
  let timer: ReturnType<typeof setTimeout> | undefined;
  const run = async () => {
    const started = Date.now();
    try {
      await tick(controller.signal);
      report(undefined);
    } catch (error) {
      if (!controller.signal.aborted) report(error as Error);
    }
    const wait = Math.max(everyMs, (Date.now() - started) * 4);
    if (!controller.signal.aborted) timer = setTimeout(run, document.hidden ? wait * 4 : wait);
  };
  void run();
  return () => {
    controller.abort();
    clearTimeout(timer);
  };
}
