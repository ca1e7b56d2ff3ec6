/**
 * A run definition or job as readable JSON that folds: each object and array is a <details>
 * (keyboard and screen-reader friendly as it is), open for the first two levels.
 */
import { h } from './dom';

const OPEN_DEPTH = 2;

function scalar(value: unknown): HTMLElement {
  if (value === null) return h('span', { class: 'json-null' }, 'null');
  if (typeof value === 'string') return h('span', { class: 'json-string' }, JSON.stringify(value));
  if (typeof value === 'number') return h('span', { class: 'json-number' }, String(value));
  if (typeof value === 'boolean') return h('span', { class: 'json-boolean' }, String(value));
  return h('span', {}, String(value));
}

function node(key: string | undefined, value: unknown, depth: number): HTMLElement {
  const label = key === undefined ? [] : [h('span', { class: 'json-key' }, JSON.stringify(key)), ': '];
  if (value === null || typeof value !== 'object') return h('div', { class: 'json-line' }, ...label, scalar(value));
  const array = Array.isArray(value);
  const entries: Array<[string | undefined, unknown]> = array ? value.map((item) => [undefined, item]) : Object.entries(value as Record<string, unknown>);
  const [open, close] = array ? ['[', ']'] : ['{', '}'];
  if (!entries.length) return h('div', { class: 'json-line' }, ...label, `${open}${close}`);
  const count = `${entries.length} ${array ? (entries.length === 1 ? 'item' : 'items') : entries.length === 1 ? 'field' : 'fields'}`;
  return h(
    'details',
    { class: 'json-node', open: depth < OPEN_DEPTH },
    h('summary', {}, ...label, open, h('span', { class: 'json-count' }, ` ${count} `), close),
    h('div', { class: 'json-children' }, ...entries.map(([k, v]) => node(k, v, depth + 1))),
  );
}

export function jsonTree(value: unknown): HTMLElement {
  return h('div', { class: 'json-tree' }, node(undefined, value, 0));
}
