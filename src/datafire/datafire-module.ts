/**
 * The one place that finds DataFire's module. A leaf: it imports nothing, so the token sources
 * (which tell DataFire's refresh callbacks) and the integration (which makes DataFire actions)
 * share it without importing each other.
 *
 * The project's copy (resolved from the working directory, where `datafire run` and `datafire
 * serve` start) comes before this package's own, because DataFire's Project checks `instanceof`
 * against its own Action class.
 */

export interface DataFireActionClass {
  new (opts: Record<string, unknown>): Record<string, unknown>;
  /** DataFire's registered OAuth refresh callbacks (Action.addOAuthRefreshCallback). */
  callOAuthRefreshCallbacks?: (account: Record<string, unknown>) => void;
}

export interface DataFireModule {
  Action: DataFireActionClass;
}

/**
 * DataFire's module. With `loadedOnly`, only a copy this process has already loaded: loading it
 * costs ~600 ms, and a copy not loaded has no callbacks registered anyway.
 */
export function resolveDataFire(options: { loadedOnly?: boolean } = {}): DataFireModule | undefined {
  for (const from of [process.cwd(), __dirname]) {
    let file: string;
    try {
      file = require.resolve('datafire', { paths: [from] });
    } catch {
      continue; // not installed there
    }
    if (options.loadedOnly) {
      const cached = require.cache[file];
      if (cached) return cached.exports as DataFireModule;
      continue;
    }

    return require(file) as DataFireModule;
  }
  return undefined;
}
