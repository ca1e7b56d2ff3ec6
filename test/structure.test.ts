/**
 * The house rules of the source tree, checked on the files themselves: which folder may import
 * which, that errors are recognized across copies of the package, and that every client keeps
 * one pipeline per API it speaks.
 */
import * as fs from 'fs';
import * as path from 'path';

const SRC = path.join(__dirname, '..', 'src');

/** Every relative import of every source file, as [importing file, imported file], both relative to src/. */
function importGraph(): Array<[string, string]> {
  const edges: Array<[string, string]> = [];
  const walk = (dir: string): void => {
    for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
      const full = path.join(dir, entry.name);
      if (entry.isDirectory()) walk(full);
      else if (/\.m?ts$/.test(entry.name)) {
        const text = fs.readFileSync(full, 'utf8');
        const pattern = /(?:from\s+|require\(|import\()'(\.{1,2}\/[^']+)'/g;
        for (let m = pattern.exec(text); m; m = pattern.exec(text)) {
          edges.push([path.relative(SRC, full), path.relative(SRC, path.resolve(path.dirname(full), m[1]))]);
        }
      }
    }
  };
  walk(SRC);
  return edges;
}

const top = (file: string): string => file.split(path.sep)[0].replace(/\.m?ts$/, '');

describe('the import rules', () => {
  const edges = importGraph();

  it('reads the graph (a rule over no edges would hold vacuously)', () => {
    expect(edges.length).toBeGreaterThan(200);
    expect(edges).toContainEqual(['client/client-core.ts', 'http/standard-pipeline']);
  });

  it('http/ imports nothing from datafire/, client/, workflow/ or the entry points', () => {
    const bad = edges.filter(([from, to]) => top(from) === 'http' && !['http', 'spec', 'errors', 'account', 'auth'].includes(top(to)));
    expect(bad).toEqual([]);
  });

  it("the dashboard page (browser code) imports only itself and spec/, and the emulator's server never imports it", () => {
    const page = path.join('emulator', 'dashboard', 'page') + path.sep;
    const fromPage = edges.filter(([from]) => from.startsWith(page));
    expect(fromPage.length).toBeGreaterThan(10);
    expect(fromPage.filter(([, to]) => !to.startsWith(page) && top(to) !== 'spec')).toEqual([]);
    expect(edges.filter(([from, to]) => !from.startsWith(page) && to.startsWith(page))).toEqual([]);
  });

  it('generated files import only from spec/', () => {
    const generated = edges.filter(([from]) => /^spec\/(execution|runhistory)\//.test(from));
    expect(generated.length).toBeGreaterThan(0);
    expect(generated.filter(([, to]) => top(to) !== 'spec')).toEqual([]);
  });

  it('spec/ imports only the leaves it names (account fields, call options) besides itself', () => {
    const bad = edges.filter(([from, to]) => top(from) === 'spec' && top(to) !== 'spec' && !['account/account', 'http/call-options'].includes(to));
    expect(bad).toEqual([]);
  });

  it('the emulator imports nothing from the client side but spec/', () => {
    const bad = edges.filter(([from, to]) => top(from) === 'emulator' && !['emulator', 'spec'].includes(top(to)));
    expect(bad).toEqual([]);
  });

  it('the leaves import nothing', () => {
    for (const leaf of ['http/call-options.ts', 'datafire/datafire-module.ts', 'spec/is-object.ts', 'spec/run-status.ts']) {
      expect([leaf, edges.filter(([from]) => from === leaf)]).toEqual([leaf, []]);
    }
  });

  it('has no import cycle (type imports included)', () => {
    const next = new Map<string, string[]>();
    const norm = (f: string) => f.replace(/\.m?ts$/, '');
    for (const [from, to] of edges) next.set(norm(from), [...(next.get(norm(from)) ?? []), norm(to)]);
    const state = new Map<string, 'open' | 'done'>();
    const cycles: string[] = [];
    const visit = (node: string, trail: string[]): void => {
      if (state.get(node) === 'done') return;
      if (state.get(node) === 'open') {
        cycles.push([...trail.slice(trail.indexOf(node)), node].join(' -> '));
        return;
      }
      state.set(node, 'open');
      for (const to of next.get(node) ?? []) visit(to, [...trail, node]);
      state.set(node, 'done');
    };
    for (const node of next.keys()) visit(node, []);
    expect(cycles).toEqual([]);
  });

  it('the generator is not in src/ (and so not in dist/)', () => {
    expect(fs.existsSync(path.join(SRC, 'spec', 'generator'))).toBe(false);
    expect(fs.existsSync(path.join(__dirname, '..', 'scripts', 'generator', 'main.ts'))).toBe(true);
  });
});

describe('isAzureMLError', () => {
  type ErrorsModule = typeof import('../src/errors');
  const load = (): ErrorsModule => {
    let loaded: ErrorsModule | undefined;
    jest.isolateModules(() => {
      loaded = require('../src/errors') as ErrorsModule;
    });
    return loaded!;
  };

  it('recognizes an error of another copy of the package, by class and by instanceof', () => {
    const a = load();
    const b = load();
    expect(a.AzureMLServiceError).not.toBe(b.AzureMLServiceError);
    const error = new a.AzureMLServiceError({ action: 'x/Op', statusCode: 404, body: '', headers: {} });
    expect(b.isAzureMLError(error)).toBe(true);
    expect(b.isAzureMLError(error, 'AzureMLServiceError')).toBe(true);
    expect(b.isAzureMLError(error, 'AzureMLValidationError')).toBe(false);
    expect(error instanceof b.AzureMLServiceError).toBe(true);
    expect(error instanceof b.AzureMLError).toBe(true);
    expect(error instanceof b.AzureMLValidationError).toBe(false);
    expect(error instanceof Error).toBe(true);
  });

  it('knows subclasses, the AbortError among them', () => {
    const { AzureMLAbortError, isAzureMLError } = load();
    const error = new AzureMLAbortError({ action: 'x/Op' });
    expect(error.name).toBe('AbortError');
    expect(isAzureMLError(error, 'AzureMLAbortError')).toBe(true);
    expect(isAzureMLError(error, 'AzureMLError')).toBe(true);
    expect(isAzureMLError(error, 'AzureMLTimeoutError')).toBe(false);
  });

  it('is false for look-alikes: a plain Error, an object with the same name and fields, null', () => {
    const { isAzureMLError, AzureMLServiceError } = load();
    const fake = Object.assign(new Error('Action x failed'), { name: 'AzureMLServiceError', statusCode: 404, action: 'x' });
    expect(isAzureMLError(fake)).toBe(false);
    expect(fake instanceof AzureMLServiceError).toBe(false);
    expect(isAzureMLError({ name: 'AzureMLError' })).toBe(false);
    expect(isAzureMLError(null)).toBe(false);
    expect(isAzureMLError('AzureMLError')).toBe(false);
  });

  it('leaves the brand out of JSON and of the fields a logger lists', () => {
    const { AzureMLTimeoutError } = load();
    const error = new AzureMLTimeoutError({ action: 'x/Op', deadlineMs: 5 });
    expect(JSON.parse(JSON.stringify(error))).toEqual({
      name: 'AzureMLTimeoutError',
      message: 'Action x/Op did not finish within its deadline of 5 ms',
      action: 'x/Op',
      deadlineMs: 5,
    });
    expect(Object.keys(error)).toEqual(['action', 'name', 'deadlineMs']);
    expect(Object.getOwnPropertySymbols(error).map((symbol) => Object.getOwnPropertyDescriptor(error, symbol)!.enumerable)).toEqual([false]);
  });

  it('takes one init object in every constructor', () => {
    const errors = load();
    const constructors = Object.entries(errors).filter(([name, value]) => /^AzureML\w*Error$/.test(name) && typeof value === 'function') as Array<
      [string, new (...args: never[]) => unknown]
    >;
    expect(constructors.length).toBe(14);
    for (const [name, ctor] of constructors) expect([name, ctor.length]).toEqual([name, 1]);
  });
});

describe('ClientCore pipelines', () => {
  it('builds one pipeline per integration, each with the token source chosen for that integration', async () => {
    const tokens = require('../src/auth/token-source-for-account') as typeof import('../src/auth/token-source-for-account');
    const spy = jest.spyOn(tokens, 'tokenSourceForAccount');
    const { startRecordingServer } = await import('./helpers/recording-server');
    const server = await startRecordingServer();
    try {
      const { create } = await import('../src');
      const client = create({ access_token: 'pipeline-token', host: server.url }, { retry: { maxRetries: 0 } });
      const where = { subscriptionId: '6a8bd9bb-1df3-4bca-9b24-27a7f3e5b9e7', resourceGroupName: 'rg', workspaceName: 'ws', experimentName: 'e' };
      server.reply({ status: 200, body: { runId: 'r1', status: 'Running' } });
      await client.Runs_Get({ ...where, runId: 'r1' });
      await client.Runs_CancelRunWithUri({ ...where, runId: 'r1' });
      await client.Runs_Get({ ...where, runId: 'r1' });
      await client.Runs_CancelRunWithUri({ ...where, runId: 'r1' });
      expect(spy.mock.calls.map((call) => call[1])).toEqual(['azure_machinelearningservices_runhistory', 'azure_machinelearningservices_execution']);
      expect(server.requests.map((r) => r.headers.authorization)).toEqual(Array(4).fill('Bearer pipeline-token'));
    } finally {
      spy.mockRestore();
      await server.close();
    }
  });
});

describe("the emulator's table of handlers", () => {
  it('has a handler for every operation of the specs it serves, and none for an operation that does not exist', () => {
    const { executionHandlers } = require('../src/emulator/handlers/execution') as typeof import('../src/emulator/handlers/execution');
    const { historyHandlers } = require('../src/emulator/handlers/history') as typeof import('../src/emulator/handlers/history');
    const { executionSpec } = require('../src/spec/execution/spec') as typeof import('../src/spec/execution/spec');
    const { runHistorySpec } = require('../src/spec/runhistory/spec') as typeof import('../src/spec/runhistory/spec');
    expect(Object.keys(executionHandlers).sort()).toEqual(executionSpec.operations.map((op) => op.operationId).sort());
    const { artifactHandlers } = require('../src/emulator/handlers/artifacts') as typeof import('../src/emulator/handlers/artifacts');
    const { metricHandlers } = require('../src/emulator/handlers/metrics') as typeof import('../src/emulator/handlers/metrics');
    // Run History's operations are split by concern: runs, artifacts, metrics; together, each once.
    const history = [historyHandlers, artifactHandlers, metricHandlers].flatMap((table) => Object.keys(table));
    expect(history.sort()).toEqual(runHistorySpec.operations.map((op) => op.operationId).sort());
  });
});
