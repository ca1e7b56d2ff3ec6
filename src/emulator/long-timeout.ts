/**
 * setTimeout for any delay: Node's own fires at once (with a warning) past 2^31 - 1 ms, about
 * 24.8 days, and a run's time limit may be longer. Waits in steps that fit.
 */
const MAX_STEP_MS = 2 ** 31 - 1;

export interface LongTimeout {
  clear(): void;
}

export function setLongTimeout(callback: () => void, ms: number, now: () => number = Date.now): LongTimeout {
  const due = now() + ms;
  let timer: NodeJS.Timeout;
  const arm = () => {
    const left = due - now();
    timer = left > MAX_STEP_MS ? setTimeout(arm, MAX_STEP_MS) : setTimeout(callback, Math.max(0, left));
    timer.unref?.();
  };
  arm();
  return { clear: () => clearTimeout(timer) };
}
