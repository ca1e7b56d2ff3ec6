/**
 * A run's metrics, as Run History keeps them: RunMetric records (a name, a type, cells of values),
 * one per post, appended to `metrics.jsonl` in the run's folder. Appending keeps a post cheap
 * however many came before (state.json is rewritten on every change: metrics would make that
 * quadratic), and the file survives a restart. Metrics from MLflow are the same records: a
 * scalar with its step, `cells: [{ <key>: value, step }]`.
 */
import { randomUUID } from 'crypto';
import * as fs from 'fs';
import { HttpError } from './http-util';
import { inside } from './names';
import { PRIVATE_FILE, type RunRecord, type Store } from './store';

export interface StoredMetric {
  runId: string;
  metricId: string;
  dataContainerId: string;
  metricType: string;
  createdUtc: string;
  name: string;
  description?: string;
  label?: string;
  numCells: number;
  cells: Array<Record<string, unknown>>;
  schema?: { numProperties?: number; properties?: Array<{ propertyId?: string; name?: string; type?: string }> };
}

/** Metric records one run keeps (each a post, or one MLflow value). */
export const MAX_METRICS_PER_RUN = 100_000;
const CACHED_RUNS = 16;

export class MetricsStore {
  /** The records of recently used runs, most recent last. */
  private readonly cache = new Map<string, StoredMetric[]>();

  constructor(private readonly store: Store) {}

  private file(run: RunRecord): string {
    return inside(this.store.runDir(run), 'metrics.jsonl');
  }

  list(run: RunRecord): StoredMetric[] {
    const cached = this.cache.get(run.dir);
    if (cached) {
      this.cache.delete(run.dir);
      this.cache.set(run.dir, cached);
      return cached;
    }
    const records: StoredMetric[] = [];
    let text = '';
    try {
      text = fs.readFileSync(this.file(run), 'utf8');
    } catch {
      // no metrics yet
    }
    for (const line of text.split('\n')) {
      if (!line) continue;
      try {
        records.push(JSON.parse(line) as StoredMetric);
      } catch {
        // a line cut by a crash mid-write: the records before it stand
      }
    }
    this.cache.set(run.dir, records);
    if (this.cache.size > CACHED_RUNS) this.cache.delete(this.cache.keys().next().value!);
    return records;
  }

  /** Appends the records (all or none), refusing what would pass the run's limit. */
  append(run: RunRecord, metrics: StoredMetric[]): void {
    const records = this.list(run);
    if (records.length + metrics.length > MAX_METRICS_PER_RUN) {
      throw new HttpError(400, 'UserError', `Run ${run.runId} has ${records.length} metric records; the emulator keeps at most ${MAX_METRICS_PER_RUN} per run`, {
        innerCode: 'TooManyMetrics',
      });
    }
    // O_NOFOLLOW: the run's folder is next to the script's; a link planted there is refused, not followed.
    const fd = fs.openSync(this.file(run), fs.constants.O_WRONLY | fs.constants.O_APPEND | fs.constants.O_CREAT | fs.constants.O_NOFOLLOW, PRIVATE_FILE);
    try {
      fs.writeSync(fd, metrics.map((m) => `${JSON.stringify(m)}\n`).join(''));
    } finally {
      fs.closeSync(fd);
    }
    records.push(...metrics);
  }
}

/** The record of a metric as a client posts it (RunMetrics_Post's Metric), checked. */
export function metricFromPost(run: RunRecord, given: Record<string, unknown>, field: string, now: string): StoredMetric {
  const name = given.name;
  if (typeof name !== 'string' || !name) throw new HttpError(400, 'ValidationError', `${field}.name is required: the metric's name`, { target: `${field}.name` });
  const cells = (given.cells ?? []) as Array<Record<string, unknown>>;
  if (cells.some((cell) => !cell || typeof cell !== 'object' || Array.isArray(cell))) {
    throw new HttpError(400, 'ValidationError', `${field}.cells must be a list of objects, one per value ({ "${name}": 0.5 })`, { target: `${field}.cells` });
  }
  const metric: StoredMetric = {
    runId: run.runId,
    metricId: typeof given.metricId === 'string' && given.metricId ? given.metricId : randomUUID(),
    dataContainerId: `dcid.${run.runId}`,
    metricType: typeof given.metricType === 'string' && given.metricType ? given.metricType : 'azureml.v1.scalar',
    createdUtc: typeof given.createdUtc === 'string' && !Number.isNaN(Date.parse(given.createdUtc)) ? new Date(given.createdUtc).toISOString() : now,
    name,
    numCells: cells.length,
    cells,
  };
  if (typeof given.description === 'string') metric.description = given.description;
  if (typeof given.label === 'string') metric.label = given.label;
  if (given.schema && typeof given.schema === 'object') metric.schema = given.schema as StoredMetric['schema'];
  return metric;
}

/** An MLflow value (log-metric, log-batch) as a record: a scalar with its step. */
export function metricFromMlflow(run: RunRecord, key: string, value: number, timestampMs: number, step: number): StoredMetric {
  // JSON has no NaN or infinities: kept as MLflow writes them, "NaN", "Infinity", "-Infinity".
  const stored = Number.isFinite(value) ? value : String(value);
  return {
    runId: run.runId,
    metricId: randomUUID(),
    dataContainerId: `dcid.${run.runId}`,
    metricType: 'azureml.v1.scalar',
    createdUtc: new Date(timestampMs).toISOString(),
    name: key,
    numCells: 1,
    cells: [{ [key]: stored, step }],
    schema: {
      numProperties: 2,
      properties: [
        { propertyId: key, name: key, type: 'float' },
        { propertyId: 'step', name: 'step', type: 'int' },
      ],
    },
  };
}

/** The points of a metric in order: each cell one point, its step the cell's `step` or its place. */
export function metricPoints(records: StoredMetric[], name: string): Array<{ value: unknown; step: number; timestamp: number }> {
  const points: Array<{ value: unknown; step: number; timestamp: number }> = [];
  for (const record of records) {
    if (record.name !== name) continue;
    for (const cell of record.cells) {
      const keys = Object.keys(cell);
      const scalar = name in cell && keys.every((k) => k === name || k === 'step');
      const step = typeof cell.step === 'number' && scalar ? cell.step : points.length;
      points.push({ value: scalar ? cell[name] : cell, step, timestamp: Date.parse(record.createdUtc) });
    }
  }
  return points;
}
