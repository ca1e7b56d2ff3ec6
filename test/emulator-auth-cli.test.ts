/**
 * The emulator's sign-in (token endpoint, strict bearer checks), its command line, and the
 * quickstart that `npm start` runs.
 */
import { spawn } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { AzureMLServiceError, runHistory, startEmulator, type Emulator } from '../src';
import { quickstart } from '../src/quickstart/main';
import { makeZip } from './helpers/make-zip';

const WS = { subscriptionId: '6a8bd9bb-1df3-4bca-9b24-27a7f3e5b9e7', resourceGroupName: 'rg', workspaceName: 'ws', experimentName: 'auth' };

async function token(emulator: Emulator, form: Record<string, string>) {
  const res = await fetch(`${emulator.url}/my-tenant/oauth2/v2.0/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams(form).toString(),
  });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

describe('strict auth', () => {
  let emulator: Emulator;
  /** The emulator's clock: moved by the test, so that expiry needs no waiting. */
  let clock = Date.UTC(2026, 10, 25);
  beforeAll(async () => {
    emulator = await startEmulator({ strictAuth: true, tokenLifetimeSeconds: 1, clients: [{ clientId: 'app', clientSecret: 's3cret' }], now: () => clock });
  });
  afterAll(() => emulator.close());

  it('issues tokens for client credentials, and accepts only those, until they expire', async () => {
    const granted = await token(emulator, { grant_type: 'client_credentials', client_id: 'app', client_secret: 's3cret', scope: 'https://management.azure.com/.default' });
    expect(granted.status).toBe(200);
    expect(granted.body).toMatchObject({ token_type: 'Bearer', expires_in: 1, scope: 'https://management.azure.com/.default' });
    expect(granted.body.refresh_token).toBeUndefined();
    const good = runHistory.create({ access_token: String(granted.body.access_token), host: emulator.url });
    expect((await good.Experiments_Create(WS)).name).toBe('auth');

    const forged = (await runHistory
      .create({ access_token: 'not-issued', host: emulator.url })
      .Experiments_Get(WS)
      .catch((e: unknown) => e)) as AzureMLServiceError;
    expect(forged.statusCode).toBe(401);
    expect(forged.responseHeaders['www-authenticate']).toBe('Bearer error="invalid_token"');
    expect(forged.serviceMessage).toBe('The bearer token was not issued by this emulator.');

    clock += 999;
    expect((await good.Experiments_Get(WS)).name).toBe('auth');
    clock += 1;
    const expired = (await good.Experiments_Get(WS).catch((e: unknown) => e)) as AzureMLServiceError;
    expect(expired.statusCode).toBe(401);
    expect(expired.serviceMessage).toBe('The bearer token has expired.');
    expect(expired.innerErrorCodes).toEqual(['TokenExpired']);
  });

  it('exchanges authorization codes and refresh tokens, refusing unknown refresh tokens as Azure AD does', async () => {
    const code = await token(emulator, { grant_type: 'authorization_code', code: 'abc', client_id: 'app', client_secret: 's3cret', redirect_uri: 'http://localhost/cb' });
    expect(code.status).toBe(200);
    expect(typeof code.body.refresh_token).toBe('string');
    const refreshed = await token(emulator, { grant_type: 'refresh_token', refresh_token: String(code.body.refresh_token), client_id: 'app' });
    expect(refreshed.status).toBe(200);
    // A refresh token is used once: the answer carries the next one.
    const reused = await token(emulator, { grant_type: 'refresh_token', refresh_token: String(code.body.refresh_token), client_id: 'app' });
    expect(reused).toEqual({
      status: 400,
      body: expect.objectContaining({
        error: 'invalid_grant',
        error_description: 'AADSTS70008: The provided authorization code or refresh token has expired due to inactivity.',
        error_codes: [70008],
      }),
    });
    expect(emulator.tokenRequests).toMatchObject({ authorization_code: 1, refresh_token: 2 });
  });

  it('refuses client credentials without a secret, and unknown grants', async () => {
    expect((await token(emulator, { grant_type: 'client_credentials', client_id: 'app' })).body.error).toBe('invalid_client');
    expect((await token(emulator, { grant_type: 'password' })).body.error).toBe('unsupported_grant_type');
  });
});

describe('azureml-emulator (the command)', () => {
  it('--strict-auth prints an account whose credentials it accepts (the secret from the file it names), and refuses any other token', async () => {
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'azureml-strict-'));
    const child = spawn(process.execPath, [path.join(__dirname, '..', 'dist', 'emulator', 'cli.js'), '--port', '0', '--data-dir', dataDir, '--strict-auth'], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    try {
      const line = await new Promise<string>((resolve, reject) => {
        let err = '';
        child.stderr.on('data', (chunk: Buffer) => {
          err += chunk.toString();
          if (err.includes('Ctrl-C stops it.')) resolve(err);
        });
        child.once('exit', (code) => reject(new Error(`exited with ${code}: ${err}`)));
      });
      const printed =
        /account \{ host: '([^']+)', management_host: '[^']+', authority_host: '([^']+)', tenant_id: '([^']+)', client_id: '([^']+)', client_secret: <"client_secret" in ([^>]+)> \}/.exec(
          line,
        );
      expect(printed).not.toBeNull();
      const [, host, authorityHost, tenantId, clientId, file] = printed!;
      const secret = JSON.parse(fs.readFileSync(file, 'utf8')).client_secret as string;
      expect(fs.statSync(file).mode & 0o777).toBe(0o600);
      expect(line).not.toContain(secret);
      const account = { host, authority_host: authorityHost, tenant_id: tenantId, client_id: clientId, client_secret: secret };
      expect((await runHistory.create(account).Experiments_Create(WS)).name).toBe('auth');
      const refused = (await runHistory
        .create({ host, access_token: 'any' })
        .Experiments_Get(WS)
        .catch((e: unknown) => e)) as AzureMLServiceError;
      expect(refused.statusCode).toBe(401);
    } finally {
      child.kill('SIGINT');
      await new Promise((resolve) => child.once('exit', resolve));
      fs.rmSync(dataDir, { recursive: true, force: true });
    }
  });

  it('prints its URL on the first line, says the dashboard is at its root, serves, and stops cleanly on Ctrl-C', async () => {
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'azureml-cli-'));
    try {
      const child = spawn(process.execPath, [path.join(__dirname, '..', 'dist', 'emulator', 'cli.js'), '--port', '0', '--data-dir', dataDir], {
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      const startup = new Promise<string>((resolve) => {
        let err = '';
        child.stderr.on('data', (chunk: Buffer) => {
          err += chunk.toString();
          if (err.includes('\n')) resolve(err.split('\n')[0]);
        });
      });
      const url = await new Promise<string>((resolve, reject) => {
        let out = '';
        child.stdout.on('data', (chunk: Buffer) => {
          out += chunk.toString();
          if (out.includes('\n')) resolve(out.split('\n')[0]);
        });
        child.once('exit', (code) => reject(new Error(`exited with ${code}`)));
      });
      expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
      expect(await startup).toBe(
        `Azure ML emulator: dashboard at ${url}/ (open it in a browser); data in ${fs.realpathSync(dataDir)}; account { host: '${url}', management_host: '${url}', access_token: 'any' }. Ctrl-C stops it.`,
      );
      const page = await fetch(`${url}/`);
      expect(page.status).toBe(200);
      expect(await page.text()).toContain('<title>Azure ML emulator</title>');
      expect((await runHistory.create({ access_token: 't', host: url }).Experiments_Create(WS)).name).toBe('auth');
      const exit = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
      child.kill('SIGINT');
      expect(await exit).toBe(0);
      expect(JSON.parse(fs.readFileSync(path.join(dataDir, 'state.json'), 'utf8')).experiments).toBeDefined();
    } finally {
      fs.rmSync(dataDir, { recursive: true, force: true });
    }
  });
});

describe('the quickstart (npm start)', () => {
  it('submits examples/hello to the embedded emulator, follows its log, trains examples/metrics and shows its results, then runs hello on v2', async () => {
    const lines: string[] = [];
    expect(await quickstart((line) => lines.push(line))).toBe('Completed');
    expect(lines[0]).toMatch(/^Azure ML emulator listening at http:\/\/127\.0\.0\.1:\d+$/);
    expect(lines).toContain('  | Hello!');
    expect(lines.filter((l) => l.startsWith('Status: '))).toEqual(expect.arrayContaining(['Status: Completed']));
    expect(lines).toContainEqual(expect.stringMatching(/^Run quickstart_\d+_[0-9a-f]{8} Completed in \d+\.\d s$/));
    const metricLines = lines.filter((l) => l.startsWith('  metric '));
    expect(metricLines.map((l) => l.replace(/: .*/, ''))).toEqual(['  metric loss', '  metric accuracy', '  metric final_weight', '  metric final_bias', '  metric final_loss']);
    expect(metricLines[0]).toMatch(/^ {2}metric loss: \d+\.\d{4} \(5 points\)$/);
    const outputs = lines.filter((l) => l.startsWith('  output '));
    expect(outputs.map((l) => l.split(' ')[3])).toEqual(['outputs/model.json', 'outputs/reports/summary.txt']);
    const modelFile = /-> (.*) \(\d+ bytes\)$/.exec(outputs[0])![1];
    expect(Object.keys(JSON.parse(fs.readFileSync(modelFile, 'utf8')) as object)).toEqual(['weight', 'bias']);
    expect(lines).toContainEqual(expect.stringMatching(/^Run quickstart_\d+_[0-9a-f]{8} Completed$/));
    // Part three: the first flow on v2, its code uploaded once.
    const v2 = lines.filter((l) => l.startsWith('v2: '));
    expect(v2[0]).toMatch(/^v2: uploaded 1 file as code hello:[0-9a-f]{12}; started job quickstart_\d+_[0-9a-f]{8} \(python hello\.py\)$/);
    expect(v2[1]).toMatch(/^v2: job quickstart_\d+_[0-9a-f]{8} Completed; submitted again unchanged: 0 bytes uploaded \(code reused\)$/);
    expect(lines.filter((l) => l === '  | Hello!')).toHaveLength(2);
  });
});

describe('examples/tour.js (the README tour of every action)', () => {
  it('runs every action against the emulator', async () => {
    const { execFile } = await import('child_process');
    const stdout = await new Promise<string>((resolve, reject) =>
      execFile(process.execPath, [path.join(__dirname, '..', 'examples', 'tour.js')], { timeout: 30000 }, (error, out, err) =>
        error ? reject(new Error(`${error.message}\n${err}`)) : resolve(out),
      ),
    );
    const lines = stdout.trim().split('\n');
    expect(lines.map((l) => l.split(':')[0])).toEqual([
      'Experiments_Get',
      'Runs_StartRun',
      'Runs_Get',
      'driver log',
      'Runs_StartSnapshotRun',
      'Runs_CancelRunWithUri',
      'Runs_GetByQuery',
      'Runs_GetChild',
      'RunMetrics_GetByQuery',
      'RunMetrics_Get',
      'RunArtifacts_BatchCreateEmptyArtifacts',
      'RunArtifacts_ListInContainer',
      'RunArtifacts_ListInPath',
      'RunArtifacts_GetById',
      'RunArtifacts_GetContentInformation',
      'RunArtifacts_GetSasUri',
      'RunArtifacts_ListSasByPrefix',
      'Runs_StartLocalRun',
    ]);
    expect(lines).toContain('Runs_Get: Completed');
    expect(lines).toContain('RunMetrics_GetByQuery: loss=0.5, loss=0.25, accuracy=0.9');
    expect(lines).toContain('RunArtifacts_ListInContainer: azureml-logs/70_driver_log.txt, notes/readme.txt');
    expect(lines).toContain('RunArtifacts_GetContentInformation: "made by the tour"');
    expect(lines).toContain('RunArtifacts_GetSasUri: true');
    expect(lines).toContain('driver log: "Hello!\\n"');
  });
});

describe("the README's action examples", () => {
  it('run word for word, in order, against the emulator, in a folder holding project.zip', async () => {
    const readme = fs.readFileSync(path.join(__dirname, '..', 'README.md'), 'utf8');
    const section = readme.slice(readme.indexOf('\n## Actions\n'), readme.indexOf('\n### The DataFire forms\n'));
    const blocks = [...section.matchAll(/```js\n([\s\S]*?)```/g)].map((m) => m[1]);
    expect(blocks.length).toBe(6);
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'azureml-readme-'));
    const emulator = await startEmulator();
    try {
      fs.mkdirSync(path.join(dir, 'node_modules'));
      fs.symlinkSync(path.join(__dirname, '..'), path.join(dir, 'node_modules', 'azureml-execution'), 'dir');
      fs.writeFileSync(path.join(dir, 'project.zip'), makeZip([{ name: 'hello.py', data: 'print("hello from the readme")\n' }]));
      fs.writeFileSync(path.join(dir, 'example.cjs'), blocks.join('\n'));
      const { execFile } = await import('child_process');
      const { stdout, stderr } = await new Promise<{ stdout: string; stderr: string }>((resolve, reject) =>
        execFile(process.execPath, ['example.cjs'], { cwd: dir, timeout: 30000, env: { PATH: process.env.PATH, AZUREML_HOST: emulator.url } }, (error, out, err) =>
          error ? reject(new Error(`${error.message}\n${err}`)) : resolve({ stdout: out, stderr: err }),
        ),
      );
      expect(stderr).toBe(
        'Action azure_machinelearningservices_execution/Runs_StartRun was given invalid input: runDefinitionFile.configuration.Scirpt is not a known field (did you mean script?)\n',
      );
      const printed = stdout.trim().split('\n').sort();
      // Sorted: the run id the client made (seconds since 1970, today) sorts after the README's fixed one.
      expect(printed).toEqual([
        "{ runId: 'my-experiment_1700000000_0a1b2c3d' }",
        "{ runId: 'my-experiment_1700000000_0a1b2c3d' }",
        expect.stringMatching(/^\{ runId: 'my-experiment_\d{10}_[0-9a-f]{8}' \}$/),
      ]);
      const zip = fs.readFileSync(path.join(dir, 'local-run.zip'));
      expect(zip.subarray(0, 4).toString('latin1')).toBe('PK\x03\x04');
      expect(emulator.runCount()).toBe(2);
    } finally {
      await emulator.close();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
