/**
 * A run's metrics: one line chart per numeric metric logged more than once (value by step;
 * hovering shows the point in the chart's legend) drawn by uPlot, and a table of each metric's
 * last value (where a metric logged once, or a table row, is read). Records read as
 * series the way the client reads them (spec/metric-points).
 */
import uPlot from 'uplot';
import { pointsByName, type MetricPoint } from '../../../spec/metric-points';
import type { RunMetric } from '../../../spec/runhistory/types';
import { h } from './dom';

interface Chart {
  plot: uPlot;
  holder: HTMLElement;
  series: [number[], number[]];
}

const CHART_HEIGHT = 200;
/** Charts drawn at most (a run may log thousands of names): the table lists every metric. */
export const MAX_CHARTS = 48;

/** A scalar's value as a number ("NaN" and "Infinity" are how Run History writes those); a row is not one. */
function numeric(point: MetricPoint): number | undefined {
  if (typeof point.value === 'number') return point.value;
  if (point.value === 'NaN' || point.value === 'Infinity' || point.value === '-Infinity') return Number(point.value);
  return undefined;
}

function shown(value: unknown): string {
  if (typeof value === 'number') return Number.isInteger(value) ? String(value) : value.toPrecision(6).replace(/\.?0+$/, '');
  return typeof value === 'string' ? value : JSON.stringify(value);
}

const cssVar = (name: string) => getComputedStyle(document.documentElement).getPropertyValue(name).trim();

export class MetricsView {
  readonly element: HTMLElement;
  private readonly grid: HTMLElement;
  private readonly table: HTMLTableSectionElement;
  private readonly empty: HTMLElement;
  private readonly capped: HTMLElement;
  private readonly charts = new Map<string, Chart>();
  private readonly resize = new ResizeObserver(() => this.fit());
  private readonly scheme = matchMedia('(prefers-color-scheme: dark)');
  private readonly rethemed = () => this.redrawAll();

  constructor() {
    this.grid = h('div', { class: 'charts' });
    this.table = h('tbody');
    this.empty = h('p', { class: 'muted' }, 'No metrics logged yet.');
    this.capped = h('p', { class: 'muted', hidden: true }, `Charts of the first ${MAX_CHARTS} metrics; the table lists them all.`);
    const table = h(
      'table',
      { class: 'metric-table' },
      h('caption', {}, 'Last values'),
      h(
        'thead',
        {},
        h('tr', {}, h('th', { scope: 'col' }, 'Metric'), h('th', { scope: 'col' }, 'Last value'), h('th', { scope: 'col' }, 'Step'), h('th', { scope: 'col' }, 'Points')),
      ),
      this.table,
    );
    this.element = h('div', { class: 'metrics-view' }, this.empty, this.grid, this.capped, table);
    this.resize.observe(this.grid);
    this.scheme.addEventListener('change', this.rethemed);
  }

  update(records: RunMetric[]): void {
    const byName = pointsByName(records);
    const names = Object.keys(byName).sort();
    this.empty.hidden = names.length > 0;
    this.table.replaceChildren(
      ...names.map((name) => {
        const points = byName[name];
        const last = points[points.length - 1];
        return h(
          'tr',
          { 'data-metric': name },
          h('th', { scope: 'row' }, name),
          h('td', {}, last ? shown(last.value) : '—'),
          h('td', {}, last ? String(last.step) : '—'),
          h('td', {}, String(points.length)),
        );
      }),
    );
    let charted = 0;
    for (const name of names) {
      const points = byName[name].map((p) => [p.step, numeric(p)] as const).filter((p): p is readonly [number, number] => p[1] !== undefined);
      // One value is a number, not a line: the table shows it.
      if (points.length < 2) continue;
      if (!this.charts.has(name) && charted >= MAX_CHARTS) {
        this.capped.hidden = false;
        continue;
      }
      charted++;
      const series: [number[], number[]] = [points.map((p) => p[0]), points.map((p) => p[1])];
      const chart = this.charts.get(name);
      if (!chart) this.draw(name, series);
      else if (chart.series[0].length !== series[0].length || chart.series[1].some((v, i) => v !== series[1][i])) {
        chart.series = series;
        chart.plot.setData(series);
        chart.holder.dataset.points = String(series[0].length);
      }
    }
  }

  dispose(): void {
    this.resize.disconnect();
    this.scheme.removeEventListener('change', this.rethemed);
    for (const chart of this.charts.values()) chart.plot.destroy();
    this.charts.clear();
  }

  /** A chart fills its cell of the grid (the grid's columns come from the stylesheet). */
  private static widthOf(holder: HTMLElement): number {
    return Math.max(200, Math.floor(holder.clientWidth));
  }

  private draw(name: string, series: [number[], number[]], holder?: HTMLElement): void {
    const target = holder ?? h('figure', { class: 'chart', 'data-metric': name });
    target.dataset.points = String(series[0].length);
    if (!holder) {
      const names = [...this.charts.keys(), name].sort();
      const next = names[names.indexOf(name) + 1];
      this.grid.insertBefore(target, next ? (this.charts.get(next)?.holder ?? null) : null);
    }
    const axis = { stroke: cssVar('--muted'), grid: { stroke: cssVar('--grid'), width: 1 }, ticks: { stroke: cssVar('--grid'), width: 1 } };
    const plot = new uPlot(
      {
        title: name,
        width: MetricsView.widthOf(target),
        height: CHART_HEIGHT,
        scales: { x: { time: false } },
        axes: [{ ...axis, label: 'step' }, axis],
        series: [{ label: 'step' }, { label: name, stroke: cssVar('--accent'), width: 2, points: { show: series[0].length <= 50, size: 5 } }],
        cursor: { points: { size: 8 } },
      },
      series,
      target,
    );
    this.charts.set(name, { plot, holder: target, series });
  }

  private fit(): void {
    for (const chart of this.charts.values()) {
      const width = MetricsView.widthOf(chart.holder);
      if (chart.plot.width !== width) chart.plot.setSize({ width, height: CHART_HEIGHT });
    }
  }

  /** The theme changed: charts take the new colours. */
  private redrawAll(): void {
    for (const [name, chart] of [...this.charts]) {
      chart.plot.destroy();
      this.draw(name, chart.series, chart.holder);
    }
  }
}
