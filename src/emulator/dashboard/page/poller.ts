/**
 * Calls `tick` again `everyMs` after each one ends (never two at once), slower while the tab is
 * hidden, until stopped. `report` hears how each tick ended (an error, or undefined): a failed
 * tick is shown, and the polling goes on.
 */
export function poll(tick: (signal: AbortSignal) => Promise<void>, everyMs: number, report: (error: Error | undefined) => void): () => void {
  const controller = new AbortController();
  let timer: ReturnType<typeof setTimeout> | undefined;
  const run = async () => {
    try {
      await tick(controller.signal);
      report(undefined);
    } catch (error) {
      if (!controller.signal.aborted) report(error as Error);
    }
    if (!controller.signal.aborted) timer = setTimeout(run, document.hidden ? everyMs * 4 : everyMs);
  };
  void run();
  return () => {
    controller.abort();
    clearTimeout(timer);
  };
}
