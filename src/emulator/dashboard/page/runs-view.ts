/**
 * The runs list: every v1 run and v2 job of every workspace, newest first, with its status (word
 * and colour), experiment, compute, start and duration; filters by experiment and status (kept in
 * the URL); it refreshes itself while runs change.
 */
import type { ListedRun } from './api';
import { formatDuration, formatTime, h } from './dom';
import { poll } from './poller';
import { loadRuns, runHref, workspaceKey, type RunsData } from './runs-data';
import { isActive, statusBadge } from './status';
import type { View } from './view';

const EVERY_MS = 1500;
/** The status filter's choices besides each status seen: every run not yet ended. */
const ACTIVE = 'active';

const keyOf = (run: ListedRun) => `${workspaceKey(run.workspace)}/${run.runId}`;
const experimentKey = (run: { workspace: ListedRun['workspace']; experimentName: string }) => `${workspaceKey(run.workspace)}/${run.experimentName.toLowerCase()}`;

export function runsView(root: HTMLElement, query: URLSearchParams): View {
  let data: RunsData = { workspaces: [], runs: [] };
  const filters = { experiment: query.get('experiment') ?? '', status: query.get('status') ?? '' };
  const rows = new Map<string, HTMLTableRowElement>();

  const experimentSelect = h('select', { id: 'filter-experiment', onchange: () => setFilter('experiment', experimentSelect.value) });
  const statusSelect = h('select', { id: 'filter-status', onchange: () => setFilter('status', statusSelect.value) });
  const tbody = h('tbody');
  const empty = h('p', { class: 'empty muted', hidden: true });
  const problem = h('p', { class: 'problem', role: 'alert', hidden: true });
  const count = h('span', { class: 'muted', 'aria-live': 'polite' });
  root.append(
    h('div', { class: 'page-head' }, h('h1', {}, 'Runs'), count),
    h('div', { class: 'filters' }, h('label', { for: 'filter-experiment' }, 'Experiment'), experimentSelect, h('label', { for: 'filter-status' }, 'Status'), statusSelect),
    problem,
    h(
      'div',
      { class: 'table-wrap' },
      h(
        'table',
        { class: 'runs', 'data-testid': 'runs' },
        h('thead', {}, h('tr', {}, ...['Status', 'Name', 'Experiment', 'Compute', 'Started', 'Duration'].map((title) => h('th', { scope: 'col' }, title)))),
        tbody,
      ),
    ),
    empty,
  );

  function setFilter(name: 'experiment' | 'status', value: string): void {
    filters[name] = value;
    const params = new URLSearchParams();
    if (filters.experiment) params.set('experiment', filters.experiment);
    if (filters.status) params.set('status', filters.status);
    history.replaceState(null, '', `#/${params.size ? `?${params}` : ''}`);
    render();
  }

  function options(select: HTMLSelectElement, choices: Array<[string, string]>, value: string): void {
    const wanted = choices.map(([v, label]) => `${v}\n${label}`).join('\n');
    if (select.dataset.choices !== wanted) {
      select.replaceChildren(...choices.map(([v, label]) => h('option', { value: v }, label)));
      select.dataset.choices = wanted;
    }
    select.value = choices.some(([v]) => v === value) ? value : '';
  }

  function cells(run: ListedRun): Array<Node | string> {
    const name = run.name || run.runId;
    return [
      statusBadge(run.status),
      h('a', { href: runHref(run), class: 'run-link' }, name),
      run.experimentName,
      run.target ?? '—',
      formatTime(run.startTimeUtc ?? undefined),
      formatDuration(run.startTimeUtc ?? undefined, run.endTimeUtc ?? undefined),
    ];
  }

  function rowOf(run: ListedRun): HTMLTableRowElement {
    const key = keyOf(run);
    let row = rows.get(key);
    const content = cells(run);
    if (!row) {
      row = h('tr', { 'data-run-id': run.runId }, ...content.map((c, i) => (i === 1 ? h('th', { scope: 'row' }, c) : h('td', {}, c))));
      rows.set(key, row);
      return row;
    }
    // Updated in place: a focused link keeps its focus while the list refreshes.
    row.cells[0].replaceChildren(content[0]);
    const link = row.cells[1].querySelector('a');
    if (link && link.textContent !== (run.name || run.runId)) link.textContent = run.name || run.runId;
    for (let i = 2; i < content.length; i++) if (row.cells[i].textContent !== content[i]) row.cells[i].textContent = content[i] as string;
    return row;
  }

  function render(): void {
    const many = data.workspaces.length > 1;
    const experiments = data.workspaces.flatMap((w) =>
      w.experiments.map((e) => [experimentKey({ workspace: w, experimentName: e.name }), many ? `${w.workspaceName} / ${e.name}` : e.name] as [string, string]),
    );
    options(experimentSelect, [['', 'All experiments'], ...experiments.sort((a, b) => a[1].localeCompare(b[1]))], filters.experiment);
    const statuses = [...new Set(data.runs.map((r) => r.status ?? 'Unknown'))].sort();
    options(statusSelect, [['', 'All statuses'], [ACTIVE, 'Not ended'], ...statuses.map((s) => [s, s] as [string, string])], filters.status);
    const shown = data.runs.filter(
      (run) =>
        (!filters.experiment || experimentKey(run) === filters.experiment) &&
        (!filters.status || (filters.status === ACTIVE ? isActive(run.status) : (run.status ?? 'Unknown') === filters.status)),
    );
    const wanted = shown.map(rowOf);
    const current = [...tbody.rows];
    if (wanted.length !== current.length || wanted.some((row, i) => row !== current[i])) tbody.replaceChildren(...wanted);
    const live = new Set(data.runs.map(keyOf));
    for (const key of [...rows.keys()]) if (!live.has(key)) rows.delete(key);
    count.textContent = `${shown.length} of ${data.runs.length} runs`;
    empty.hidden = shown.length > 0;
    empty.textContent = data.runs.length
      ? 'No run matches these filters.'
      : 'No runs yet. Submit one (npm start runs the quickstart against this emulator, or azureml-exec submit) and it shows here.';
  }

  const stop = poll(
    async (signal) => {
      data = await loadRuns(signal);
      render();
    },
    EVERY_MS,
    (error) => {
      problem.hidden = !error;
      problem.textContent = error ? `The runs could not be read: ${error.message}` : '';
    },
  );
  return { dispose: stop };
}
