/**
 * How Run History's metric records read as series: both ways a run logs land there, azureml-core's
 * run.log (a scalar per post; its step is its place in the sequence) and MLflow (a scalar with its
 * step, `{ <name>: value, step }`). A table row (log_row) is a point whose value is the row. Shared
 * by the client (getMetrics) and the emulator's dashboard, so both read them the same way.
 */
import type { RunMetric } from './runhistory/types';

export interface MetricPoint {
  /** The value logged: a number for scalars (or "NaN"/"Infinity"), the row for a table metric. */
  value: unknown;
  step: number;
  /** When it was logged (ISO date). */
  time: string;
}

/** Metric name -> points, in step order. */
export type RunMetrics = Record<string, MetricPoint[]>;

/** The points of the records, by metric name, each list in step order (ties keep their logged order). */
export function pointsByName(records: Iterable<RunMetric>): RunMetrics {
  const out: RunMetrics = {};
  for (const record of records) {
    const name = record.name;
    if (typeof name !== 'string') continue;
    const list = (out[name] ??= []);
    for (const cell of record.cells ?? []) {
      const keys = Object.keys(cell);
      const scalar = name in cell && keys.every((k) => k === name || k === 'step');
      list.push({
        value: scalar ? cell[name] : cell,
        step: scalar && typeof cell.step === 'number' ? cell.step : list.length,
        time: record.createdUtc ?? '',
      });
    }
  }
  for (const list of Object.values(out)) {
    const order = list.map((point, i) => ({ point, i }));
    order.sort((a, b) => a.point.step - b.point.step || a.i - b.i);
    list.splice(0, list.length, ...order.map((o) => o.point));
  }
  return out;
}
