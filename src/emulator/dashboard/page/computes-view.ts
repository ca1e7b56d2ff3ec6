/**
 * The compute clusters of every workspace (Compute_List): state, nodes (now, the scale, and what
 * they do), and the runs queued and running on each.
 */
import type { ComputeResource } from '../../../spec/arm/types';
import { listComputes, type ListedRun, type Workspace } from './api';
import { h } from './dom';
import { poll } from './poller';
import { loadRuns, runHref, workspaceKey } from './runs-data';
import { statusBadge } from './status';
import type { View } from './view';

const EVERY_MS = 2000;
const WAITING = new Set(['NotStarted', 'Queued', 'Preparing', 'Provisioning', 'Starting']);

interface AmlProperties {
  vmSize?: string;
  vmPriority?: string;
  scaleSettings?: { minNodeCount?: number; maxNodeCount?: number; nodeIdleTimeBeforeScaleDown?: string };
  allocationState?: string;
  currentNodeCount?: number | null;
  targetNodeCount?: number | null;
  nodeStateCounts?: Record<string, number | undefined> | null;
}

function runList(runs: ListedRun[], label: string): HTMLElement {
  if (!runs.length) return h('p', { class: 'muted' }, `${label}: none`);
  return h(
    'div',
    {},
    h('p', {}, `${label}: ${runs.length}`),
    h('ul', { class: 'run-list' }, ...runs.map((run) => h('li', {}, statusBadge(run.status), ' ', h('a', { href: runHref(run) }, run.name || run.runId)))),
  );
}

function card(w: Workspace, compute: ComputeResource, runs: ListedRun[], many: boolean): HTMLElement {
  const outer = compute.properties ?? {};
  const props = ((outer as { properties?: AmlProperties }).properties ?? {}) as AmlProperties;
  const name = compute.name ?? '?';
  const mine = runs.filter((run) => workspaceKey(run.workspace) === workspaceKey(w) && (run.target ?? '').toLowerCase() === name.toLowerCase());
  const counts = Object.entries(props.nodeStateCounts ?? {})
    .filter(([, n]) => (n ?? 0) > 0)
    .map(([state, n]) => `${n} ${state.replace(/NodeCount$/, '')}`)
    .join(', ');
  const state = (outer as { provisioningState?: string }).provisioningState ?? 'Unknown';
  const group = state === 'Succeeded' ? 'done' : state === 'Failed' ? 'failed' : 'waiting';
  const fact = (term: string, detail: Node | string) => [h('div', {}, h('dt', {}, term), h('dd', {}, detail))];
  return h(
    'section',
    { class: 'card compute', 'data-compute': name, 'aria-label': `Compute ${name}` },
    h('h2', {}, name, many ? h('span', { class: 'muted' }, ` · ${w.workspaceName}`) : null),
    h(
      'dl',
      { class: 'facts' },
      ...fact('State', h('span', { class: `status status-${group}` }, h('span', { class: 'status-dot', 'aria-hidden': 'true' }), state)),
      ...fact('Allocation', props.allocationState ?? '—'),
      ...fact('Nodes', `${props.currentNodeCount ?? 0} now (${props.scaleSettings?.minNodeCount ?? 0}–${props.scaleSettings?.maxNodeCount ?? '?'})${counts ? `: ${counts}` : ''}`),
      ...fact('VM size', `${props.vmSize ?? '—'}${props.vmPriority ? ` · ${props.vmPriority}` : ''}`),
    ),
    runList(
      mine.filter((run) => WAITING.has(run.status ?? '')),
      'Queued',
    ),
    runList(
      mine.filter((run) => run.status === 'Running' || run.status === 'Finalizing' || run.status === 'CancelRequested'),
      'Running',
    ),
  );
}

export function computesView(root: HTMLElement): View {
  const list = h('div', { class: 'computes' });
  const problem = h('p', { class: 'problem', role: 'alert', hidden: true });
  root.append(h('div', { class: 'page-head' }, h('h1', {}, 'Computes')), problem, list);
  const stop = poll(
    async (signal) => {
      const { workspaces, runs } = await loadRuns(signal);
      const withComputes = workspaces.filter((w) => w.computes > 0);
      const computes = await Promise.all(withComputes.map(async (w) => ({ w, computes: await listComputes(w, signal) })));
      const cards = computes.flatMap(({ w, computes }) => computes.map((c) => card(w, c, runs, withComputes.length > 1)));
      list.replaceChildren(...(cards.length ? cards : [h('p', { class: 'muted' }, 'No compute clusters. Create one with azureml-exec compute create NAME --max-nodes 2.')]));
    },
    EVERY_MS,
    (error) => {
      problem.hidden = !error;
      problem.textContent = error ? `The computes could not be read: ${error.message}` : '';
    },
  );
  return { dispose: stop };
}
