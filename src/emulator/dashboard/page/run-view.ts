/**
 * A run's page: its status and times (with Cancel, after a confirmation, while it has not
 * ended), its log live, its metrics as charts, its files, and its definition (v1) or job (v2) as
 * folding JSON. It refreshes itself until the run ends, then reads everything once more.
 */
import { ApiError, cancelRun, getDetails, getJob, getRun, isJob, runFiles, runMetrics, type Workspace } from './api';
import type { Run } from '../../../spec/runhistory/types';
import { fill, formatDuration, formatTime, h } from './dom';
import { FilesView, MAX_FILES } from './files-view';
import { jsonTree } from './json-tree';
import { LogView } from './log-view';
import { MetricsView } from './metrics-view';
import { isActive, statusBadge } from './status';
import type { View } from './view';

const EVERY_MS = 1500;

export interface RunAddress {
  workspace: Workspace;
  experimentName: string;
  runId: string;
}

function section(title: string, id: string, body: Node): HTMLElement {
  return h('section', { class: 'card', 'aria-labelledby': id }, h('h2', { id }, title), body);
}

export function runView(root: HTMLElement, address: RunAddress): View {
  const { workspace: w, experimentName, runId } = address;
  const controller = new AbortController();
  const signal = controller.signal;
  let timer: ReturnType<typeof setTimeout> | undefined;
  let busy = false;
  let again = false;
  let ended = false;
  let run: Run | undefined;
  let definitionShown = false;

  const title = h('h1', {}, runId);
  const badge = h('span');
  const cancelButton = h('button', { type: 'button', class: 'danger', hidden: true, onclick: () => confirmDialog.showModal() }, 'Cancel run');
  const facts = h('dl', { class: 'facts' });
  const problem = h('p', { class: 'problem', role: 'alert', hidden: true });
  const runError = h('div', { class: 'run-error', role: 'status', hidden: true });
  const logView = new LogView(() => kick());
  const metricsView = new MetricsView();
  const filesView = new FilesView();
  const definition = h('div', {}, h('p', { class: 'muted' }, 'Loading…'));
  const definitionTitle = h('h2', { id: 'definition-title' }, 'Definition');

  const keep = h('button', { type: 'button', class: 'secondary', value: 'keep', autofocus: true }, 'Keep running');
  const confirm = h('button', { type: 'button', class: 'danger', value: 'cancel' }, 'Cancel run');
  const confirmDialog = h(
    'dialog',
    { 'aria-labelledby': 'confirm-title', class: 'confirm' },
    h('h2', { id: 'confirm-title' }, 'Cancel this run?'),
    h('p', {}, `Run ${runId} is stopped: its processes get SIGTERM, then SIGKILL. This cannot be undone.`),
    h('div', { class: 'dialog-buttons' }, keep, confirm),
  );
  keep.addEventListener('click', () => confirmDialog.close());
  confirm.addEventListener('click', () => {
    confirmDialog.close();
    void cancel();
  });

  root.append(
    h(
      'nav',
      { class: 'crumbs', 'aria-label': 'Breadcrumb' },
      h('a', { href: '#/' }, 'Runs'),
      ' › ',
      h('a', { href: `#/?experiment=${encodeURIComponent(`${w.subscriptionId}/${w.resourceGroupName}/${w.workspaceName}/${experimentName.toLowerCase()}`)}` }, experimentName),
    ),
    h('div', { class: 'page-head' }, title, badge, cancelButton),
    problem,
    runError,
    h('section', { class: 'card', 'aria-label': 'Run' }, facts),
    section('Log', 'log-title', logView.element),
    section('Metrics', 'metrics-title', metricsView.element),
    section('Files', 'files-title', filesView.element),
    h('section', { class: 'card', 'aria-labelledby': 'definition-title' }, definitionTitle, definition),
    confirmDialog,
  );

  function showRun(value: Run): void {
    run = value;
    title.textContent = value.name || runId;
    document.title = `${value.name || runId} · Azure ML emulator`;
    fill(badge, statusBadge(value.status));
    cancelButton.hidden = !isActive(value.status) || value.status === 'CancelRequested';
    const fact = (term: string, detail: string) => [h('div', {}, h('dt', {}, term), h('dd', {}, detail))];
    fill(
      facts,
      ...fact('Run ID', runId),
      ...fact('Kind', isJob(value) ? 'v2 command job' : 'v1 run'),
      ...fact('Experiment', experimentName),
      ...fact('Compute', value.target ?? '—'),
      ...fact('Created', formatTime(value.createdUtc)),
      ...fact('Started', formatTime(value.startTimeUtc)),
      ...fact('Ended', formatTime(value.endTimeUtc)),
      ...fact('Duration', formatDuration(value.startTimeUtc, value.endTimeUtc)),
    );
    const message = value.error?.error?.message;
    runError.hidden = !message;
    runError.textContent = message ? `${value.error?.error?.code ?? 'Error'}: ${message}` : '';
  }

  async function showDefinition(value: Run, runDefinition: unknown): Promise<void> {
    if (definitionShown) return;
    definitionShown = true;
    if (isJob(value)) {
      definitionTitle.textContent = 'Job';
      fill(definition, jsonTree(await getJob(w, runId, signal)));
    } else {
      definitionTitle.textContent = 'Run definition';
      fill(definition, jsonTree(runDefinition ?? {}));
    }
  }

  /** When the metrics and the files are next read: reading them costs more as they grow, so never more than a fifth of the time. */
  const next = { metrics: 0, files: 0 };
  async function timed(which: keyof typeof next, read: () => Promise<void>, last: boolean): Promise<void> {
    if (!last && Date.now() < next[which]) return;
    const started = Date.now();
    await read();
    next[which] = Date.now() + (Date.now() - started) * 4;
  }

  async function tick(): Promise<void> {
    const value = await getRun(w, experimentName, runId, signal);
    showRun(value);
    const active = isActive(value.status);
    const details = await getDetails(w, experimentName, runId, signal);
    logView.setSources(Object.entries(details.logFiles ?? {}).map(([name, link]) => ({ name, link })));
    logView.setActive(active);
    await showDefinition(value, details.runDefinition);
    // Once the run has ended, both are read once more, whenever they were last read.
    await timed('metrics', async () => metricsView.update(await runMetrics(w, experimentName, runId, signal)), !active);
    await timed('files', async () => filesView.update(await runFiles(w, experimentName, runId, MAX_FILES + 1, signal), active, signal), !active);
    ended = !active;
  }

  /** Refreshes now (or right after the refresh under way), then every EVERY_MS until the run has ended. */
  async function kick(): Promise<void> {
    if (busy) {
      again = true;
      return;
    }
    busy = true;
    clearTimeout(timer);
    try {
      await tick();
      problem.hidden = true;
    } catch (error) {
      if (signal.aborted) return;
      problem.hidden = false;
      const missing = error instanceof ApiError && error.status === 404;
      problem.textContent = missing ? `Run ${runId} was not found in experiment ${experimentName}.` : `The run could not be read: ${(error as Error).message}`;
      // A run that is not there does not come back: asking again would only repeat the 404.
      if (missing) ended = true;
    } finally {
      busy = false;
    }
    if (signal.aborted) return;
    if (again) {
      again = false;
      void kick();
    } else if (!ended) timer = setTimeout(() => void kick(), EVERY_MS);
  }

  async function cancel(): Promise<void> {
    if (!run) return;
    cancelButton.disabled = true;
    try {
      await cancelRun(w, experimentName, run);
      await kick();
    } catch (error) {
      problem.hidden = false;
      problem.textContent = `The run could not be cancelled: ${(error as Error).message}`;
    } finally {
      cancelButton.disabled = false;
    }
  }

  void kick();
  return {
    dispose() {
      controller.abort();
      clearTimeout(timer);
      logView.dispose();
      metricsView.dispose();
    },
  };
}
