import { inspect } from 'util';

/** Fails when any secret shows in the value as a logger or a JSON serializer would see it. */
export function expectNoSecrets(value: unknown, secrets: string[]): void {
  const views = [
    inspect(value, { depth: Infinity, showHidden: true, getters: true }),
    JSON.stringify(value) ?? '',
    value instanceof Error ? `${value.message}\n${value.stack}` : '',
  ];
  for (const secret of secrets) {
    for (const view of views) expect(view.includes(secret) ? `leaked: ${secret}` : 'clean').toBe('clean');
  }
}
