/**
 * ISO 8601 durations of days to seconds, as the services write them (`PT5M`, `P1DT2H`, `PT90S`):
 * job time limits, a cluster's idle time, Batch AI's maxWallClockTime. One parser for the client
 * and the emulator.
 */

/** `PT5M`, `P1DT2H`, `PT90S` -> seconds; undefined when it is not an ISO 8601 duration of days to seconds. */
export function isoDurationSeconds(text: unknown): number | undefined {
  if (typeof text !== 'string') return undefined;
  const m = /^P(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?(?:(\d+(?:\.\d+)?)S)?)?$/.exec(text);
  if (!m || text === 'P' || text.endsWith('T')) return undefined;
  const [, d, h, min, sec] = m;
  return Number(d ?? 0) * 86400 + Number(h ?? 0) * 3600 + Number(min ?? 0) * 60 + Number(sec ?? 0);
}
