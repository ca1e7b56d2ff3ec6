/**
 * The built package as users load it: CommonJS and ESM entry points, what importing it loads,
 * and connection reuse. Each check runs in a fresh Node process on dist/ (built by `npm test`'s
 * pretest), without jest or nock in the way.
 */
import { execFile } from 'child_process';
import * as path from 'path';
import { promisify } from 'util';

const REPO = path.resolve(__dirname, '..');
const exec = promisify(execFile);

async function node(args: string[]): Promise<string> {
  const { stdout } = await exec(process.execPath, args, { cwd: REPO, timeout: 20000, env: { ...process.env, NODE_OPTIONS: '' } });
  return stdout.trim();
}

describe('the built package', () => {
  it('loads no dependency on require() nor on create(account): datafire, msal, form-data and ajv wait for first use', async () => {
    const out = await node([
      '-e',
      `const pkg = require(${JSON.stringify(REPO)});
       pkg.create({ access_token: 't', region: 'eastus' });
       pkg.getDetails(true);
       console.log(JSON.stringify(Object.keys(require.cache).filter((f) => f.includes('node_modules'))));`,
    ]);
    expect(JSON.parse(out)).toEqual([]);
  });

  it('is importable as ESM by name, with named exports and the integration as default', async () => {
    const out = await node([
      '--input-type=module',
      '-e',
      `import pkg, { id, create, actions, action, getDetails, AzureMLServiceError, AzureMLError } from 'azureml-execution';
       console.log(JSON.stringify([id, typeof create, Object.keys(actions), typeof action, typeof getDetails, new AzureMLServiceError({ action: 'a', statusCode: 500, body: '', headers: {} }) instanceof AzureMLError, pkg.id === id]));`,
    ]);
    expect(JSON.parse(out)).toEqual([
      'azure_machinelearningservices_execution',
      'function',
      ['Runs_StartLocalRun', 'Runs_StartRun', 'Runs_StartSnapshotRun', 'Runs_CancelRunWithUri', 'oauthCallback', 'oauthRefresh'],
      'function',
      'function',
      true,
      true,
    ]);
  });

  it('exports the workflow, the CLI pieces and the adapters by name from ESM too, loading none of them on import', async () => {
    const names = [
      'submitRun',
      'waitForRun',
      'cancelRun',
      'getRunLog',
      'listRuns',
      'zipProject',
      'zipProjectStream',
      'workflowAction',
      'toHandler',
      'startEmulator',
      'createTransport',
      'isAzureMLError',
      'AzureMLRunFailedError',
      'AzureMLProjectError',
    ];
    const out = await node([
      '--input-type=module',
      '-e',
      `import * as pkg from 'azureml-execution';
       import { createRequire } from 'module';
       const require = createRequire(import.meta.url);
       // workflow/locator is on the request path (workspace defaults); the rest waits for first use.
       const loaded = Object.keys(require.cache).filter((f) => /[\\/]dist[\\/](workflow|cli|serverless|project|emulator|config)[\\/]/.test(f) && !/locator\\.js$/.test(f));
       console.log(JSON.stringify([${JSON.stringify(names)}.map((n) => typeof pkg[n]), loaded]));`,
    ]);
    expect(JSON.parse(out)).toEqual([Array(names.length).fill('function'), []]);
  });

  it('has every CommonJS export as an ESM named export', async () => {
    const out = await node([
      '--input-type=module',
      '-e',
      `import * as esm from 'azureml-execution';
       import { createRequire } from 'module';
       const cjs = createRequire(import.meta.url)('azureml-execution');
       console.log(JSON.stringify(Object.keys(cjs).filter((name) => !(name in esm) || esm[name] !== cjs[name])));`,
    ]);
    expect(JSON.parse(out)).toEqual([]);
  });

  it('reuses one keep-alive connection for sequential calls', async () => {
    const out = await node([
      '-e',
      `const http = require('http');
       const ports = [];
       const server = http.createServer((req, res) => { ports.push(req.socket.remotePort + ' ' + req.headers.connection); res.setHeader('content-type', 'application/json'); res.end('{"runId":"r"}'); });
       server.listen(0, '127.0.0.1', async () => {
         const c = require(${JSON.stringify(REPO)}).create({ access_token: 't', host: 'http://127.0.0.1:' + server.address().port });
         const input = { subscriptionId: '6a8bd9bb-1df3-4bca-9b24-27a7f3e5b9e7', resourceGroupName: 'rg', workspaceName: 'ws', experimentName: 'e', runId: 'r' };
         for (let i = 0; i < 3; i++) await c.Runs_CancelRunWithUri(input);
         console.log(JSON.stringify(ports));
         process.exit(0);
       });`,
    ]);
    const ports = JSON.parse(out) as string[];
    expect(ports).toHaveLength(3);
    expect(new Set(ports).size).toBe(1);
    expect(ports[0]).toMatch(/^\d+ keep-alive$/);
  });
});
