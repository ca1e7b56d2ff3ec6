/**
 * The emulator against what a careless client, a broken proxy, a hostile script or a hostile web
 * page sends it: it answers 4xx, never dies, never writes outside its data folder, never leaks.
 */
import * as fs from 'fs';
import * as http from 'http';
import * as os from 'os';
import * as path from 'path';
import { AzureMLServiceError, create, runHistory, startEmulator, waitForRun, type Emulator } from '../src';
import { inside, nameProblem } from '../src/emulator/names';
import { runEnvironment } from '../src/emulator/runner';
import { setLongTimeout } from '../src/emulator/long-timeout';
import { makeZip, type RawEntry } from './helpers/make-zip';
import { rawRequest, type RawAnswer } from './helpers/raw-http';
import { withoutPermissionOverride } from './helpers/unprivileged';

const WS = { subscriptionId: '6a8bd9bb-1df3-4bca-9b24-27a7f3e5b9e7', resourceGroupName: 'rg', workspaceName: 'ws', experimentName: 'hardening' };
const BASE = `/execution/v1.0/subscriptions/${WS.subscriptionId}/resourceGroups/rg/providers/Microsoft.MachineLearningServices/workspaces/ws/experiments`;
const FAST = { initialIntervalMs: 30, maxIntervalMs: 150 };

let emulator: Emulator;
let port: number;
let account: { access_token: string; host: string };

beforeAll(async () => {
  emulator = await startEmulator({ maxConcurrentRuns: 4, killGraceMs: 300 });
  port = Number(new URL(emulator.url).port);
  account = { access_token: 'hardening-token', host: emulator.url };
});
afterAll(() => emulator.close());

const zip = (files: Record<string, string>): Buffer => makeZip(Object.entries(files).map(([name, data]): RawEntry => ({ name, data })));

/** A multipart body with the given parts, as form-data writes them. */
function multipart(boundary: string, parts: Array<{ name: string; filename?: string; data: Buffer | string }>, end = true): Buffer {
  const pieces = parts.map((p) =>
    Buffer.concat([
      // A part without a file name and without a type is a field, as curl -F 'name=<file' sends it.
      Buffer.from(
        `--${boundary}\r\nContent-Disposition: form-data; name="${p.name}"${p.filename ? `; filename="${p.filename}"\r\nContent-Type: application/octet-stream` : ''}\r\n\r\n`,
        'latin1',
      ),
      Buffer.from(p.data),
      Buffer.from('\r\n'),
    ]),
  );
  return Buffer.concat([...pieces, Buffer.from(end ? `--${boundary}--\r\n` : '')]);
}

const DEFINITION = JSON.stringify({ configuration: { script: 'hello.py' } });
const HELLO = zip({ 'hello.py': 'print("hi")' });

/** POSTs a body to startrun over a plain socket; `contentType` false sends none. */
function startRunRaw(body: Buffer, options: { contentType?: string; experiment?: string; length?: number; destroyAfterWrite?: boolean } = {}) {
  const type = options.contentType ?? 'multipart/form-data; boundary=XB';
  const head = `POST ${BASE}/${options.experiment ?? 'hardening'}/startrun HTTP/1.1\nHost: 127.0.0.1:${port}\nAuthorization: Bearer t\nContent-Type: ${type}\nContent-Length: ${options.length ?? body.length}\nConnection: close\n`;
  return rawRequest(port, head, body, { destroyAfterWrite: options.destroyAfterWrite });
}

function errorOf(answer: RawAnswer | 'closed'): { status: number; code?: string; message?: string; inner?: string } {
  if (answer === 'closed') throw new Error('the emulator closed the connection without an answer');
  const body = JSON.parse(answer.body) as { error: { code: string; message: string; innerError?: { code: string } } };
  return { status: answer.status, code: body.error.code, message: body.error.message, inner: body.error.innerError?.code };
}

/** The emulator still answers: what every attack must leave true. */
async function expectAlive(): Promise<void> {
  expect((await runHistory.create(account).Experiments_Create(WS)).name).toBe('hardening');
}

function uploadsLeft(): string[] {
  return fs.readdirSync(path.join(emulator.dataDir, 'uploads'));
}

describe('project zips that pass the size checks but cannot be a folder', () => {
  const cases: Array<[string, RawEntry[], string]> = [
    [
      'a file, then a file under it',
      [
        { name: 'hello.py', data: 'x' },
        { name: 'a', data: '1' },
        { name: 'a/b', data: '2' },
      ],
      'project.zip entry "a/b" lies inside "a", which is a file',
    ],
    [
      'a file, then a folder of the same name',
      [{ name: 'hello.py', data: 'x' }, { name: 'a', data: '1' }, { name: 'a/' }],
      'project.zip entry "a/" appears twice, or as both a file and a folder',
    ],
    ['a folder, then a file of the same name', [{ name: 'hello.py', data: 'x' }, { name: 'a/' }, { name: 'a', data: '1' }], 'project.zip entry "a" is both a file and a folder'],
    [
      'an entry with an empty name',
      [
        { name: 'hello.py', data: 'x' },
        { name: '', data: '1' },
      ],
      'project.zip entry "" has an empty name',
    ],
    [
      'the same file twice',
      [
        { name: 'hello.py', data: 'x' },
        { name: 'hello.py', data: 'y' },
      ],
      'project.zip entry "hello.py" appears twice, or as both a file and a folder',
    ],
    [
      'a . segment',
      [
        { name: 'hello.py', data: 'x' },
        { name: './a', data: '1' },
      ],
      'project.zip entry "./a" has an empty or . path segment',
    ],
    [
      'an empty segment',
      [
        { name: 'hello.py', data: 'x' },
        { name: 'a//b', data: '1' },
      ],
      'project.zip entry "a//b" has an empty or . path segment',
    ],
    [
      'a name too long for the disk',
      [
        { name: 'hello.py', data: 'x' },
        { name: `${'n'.repeat(300)}.py`, data: '1' },
      ],
      `project.zip entry "${'n'.repeat(300)}.py" has a path segment longer than 255 bytes`,
    ],
  ];
  it.each(cases)('%s: a 400 InvalidProject, and the emulator lives on', async (_name, entries, message) => {
    const error = (await create(account)
      .Runs_StartRun({ ...WS, runDefinitionFile: DEFINITION, projectZipFile: makeZip(entries) })
      .catch((e: unknown) => e)) as AzureMLServiceError;
    expect(error).toBeInstanceOf(AzureMLServiceError);
    expect([error.statusCode, error.serviceMessage, error.innerErrorCodes]).toEqual([400, message, ['InvalidProject']]);
    await expectAlive();
    expect(uploadsLeft()).toEqual([]);
  });
});

describe('multipart bodies that are cut, malformed or unexpected', () => {
  it('answers 400 naming an unknown part, without reading the rest of the body', async () => {
    // 64 MB would follow the part's header: the answer must come before it is sent.
    const body = Buffer.concat([
      multipart('XB', [{ name: 'runDefinitionFile', filename: 'd.json', data: DEFINITION }], false),
      Buffer.from(`--XB\r\nContent-Disposition: form-data; name="surprise"; filename="s"\r\n\r\n${'x'.repeat(4096)}`),
    ]);
    const declared = body.length + 64 * 1024 * 1024;
    const answer = await startRunRaw(body, { length: declared });
    expect(errorOf(answer)).toMatchObject({ status: 400, code: 'ValidationError', message: 'Unknown part "surprise": startrun takes runDefinitionFile and projectZipFile' });
    await expectAlive();
  });

  it('answers 400 naming a part given twice', async () => {
    const body = multipart('XB', [
      { name: 'runDefinitionFile', filename: 'd.json', data: DEFINITION },
      { name: 'projectZipFile', filename: 'p.zip', data: HELLO },
      { name: 'projectZipFile', filename: 'p.zip', data: HELLO },
    ]);
    expect(errorOf(await startRunRaw(body))).toMatchObject({ status: 400, message: 'The part projectZipFile appears more than once' });
    await expectAlive();
    expect(uploadsLeft()).toEqual([]);
  });

  it('answers 400 to a multipart type without a boundary, and to a body cut before its end', async () => {
    expect(errorOf(await startRunRaw(Buffer.from('x'), { contentType: 'multipart/form-data' }))).toMatchObject({
      status: 400,
      message: 'The multipart body cannot be read: Multipart: Boundary not found',
    });
    const whole = multipart('XB', [
      { name: 'runDefinitionFile', filename: 'd.json', data: DEFINITION },
      { name: 'projectZipFile', filename: 'p.zip', data: HELLO },
    ]);
    const cut = whole.subarray(0, whole.length - 20);
    // Content-Length says what was sent: the body ends cleanly, the form does not.
    expect(errorOf(await startRunRaw(cut))).toMatchObject({ status: 400, message: 'The multipart body cannot be read: Unexpected end of form' });
    await expectAlive();
    expect(uploadsLeft()).toEqual([]);
  });

  it('takes the definition as a field part (curl -F name=<file), and refuses the zip as one', async () => {
    const ok = multipart('XB', [
      { name: 'runDefinitionFile', data: DEFINITION },
      { name: 'projectZipFile', filename: 'p.zip', data: HELLO },
    ]);
    const answer = await startRunRaw(ok);
    expect(answer !== 'closed' && answer.status).toBe(200);
    const bad = multipart('XB', [
      { name: 'runDefinitionFile', filename: 'd.json', data: DEFINITION },
      { name: 'projectZipFile', data: 'PK' },
    ]);
    expect(errorOf(await startRunRaw(bad))).toMatchObject({ status: 400, message: 'projectZipFile must be a file part (with a filename)' });
  });

  it.each(['runDefinitionFile', 'projectZipFile', 'unknown'])('lives on when the client leaves in the middle of the %s part', async (name) => {
    const head = Buffer.from(`--XB\r\nContent-Disposition: form-data; name="${name}"; filename="f"\r\n\r\n${'x'.repeat(5000)}`);
    const answer = await startRunRaw(head, { length: head.length + 1_000_000, destroyAfterWrite: true });
    expect(answer === 'closed' || answer.status === 400).toBe(true);
    await expectAlive();
    // The half-written upload is removed once the emulator sees the client gone.
    for (let i = 0; i < 100 && uploadsLeft().length; i++) await new Promise((r) => setTimeout(r, 20));
    expect(uploadsLeft()).toEqual([]);
  });

  it('answers 400, not 500, to malformed percent-encoding in a path', async () => {
    const answer = await rawRequest(
      port,
      `POST ${BASE}/bad%E0%A4%A/runId/r1/cancel HTTP/1.1\nHost: 127.0.0.1:${port}\nAuthorization: Bearer t\nContent-Length: 0\nConnection: close\n`,
    );
    expect(errorOf(answer)).toMatchObject({ status: 400, message: 'experimentName is not valid percent-encoding: "bad%E0%A4%A"' });
    const file = await rawRequest(port, `GET /emulator/v1.0/runs/x/files/%ZZ HTTP/1.1\nHost: 127.0.0.1:${port}\nConnection: close\n`);
    expect(errorOf(file).status).toBe(400);
  });
});

describe('names that reach files', () => {
  it.each([
    ['a..b', 'experimentName must not contain ..'],
    ['a%2Fb', 'experimentName must not contain / or \\'],
    ['a%5Cb', 'experimentName must not contain / or \\'],
    ['a%00b', 'experimentName must not contain control characters'],
    ['a.b', 'experimentName must start with a letter or digit and contain only letters, digits, _ and - (^[a-zA-Z0-9][\\w-]{0,255}$)'],
    ['x'.repeat(257), 'experimentName must be at most 256 characters (got 257)'],
  ])('refuses experimentName %s with a 400 before reading the body', async (name, message) => {
    const body = multipart('XB', [
      { name: 'runDefinitionFile', filename: 'd.json', data: DEFINITION },
      { name: 'projectZipFile', filename: 'p.zip', data: HELLO },
    ]);
    expect(errorOf(await startRunRaw(body, { experiment: name }))).toMatchObject({ status: 400, code: 'ValidationError', message, inner: 'InvalidName' });
  });

  it('refuses a snapshot id or parent run id that is not a name', async () => {
    const answer = await rawRequest(
      port,
      `POST ${BASE}/hardening/snapshotrun HTTP/1.1\nHost: 127.0.0.1:${port}\nAuthorization: Bearer t\nContent-Type: application/json\nContent-Length: 67\nConnection: close\n`,
      JSON.stringify({ snapshotId: '../../state', configuration: { script: 'a.py' } }).padEnd(67),
    );
    expect(errorOf(answer)).toMatchObject({ status: 400, message: 'definition.snapshotId must be a UUID (e.g. 00000000-0000-0000-0000-000000000000) (got "../../state")' });
    const parent = (await create(account)
      .Runs_StartRun({ ...WS, runDefinitionFile: JSON.stringify({ parentRunId: '../x', configuration: { script: 'hello.py' } }), projectZipFile: HELLO })
      .catch((e: unknown) => e)) as AzureMLServiceError;
    expect(parent.serviceMessage).toBe('runDefinitionFile.parentRunId must not contain / or \\');
  });

  it('runs a 256-character run id (the swagger allows it) in a folder named by a hash', async () => {
    const runId = `r${'x'.repeat(255)}`;
    await create(account).Runs_StartRun({ ...WS, runId, runDefinitionFile: DEFINITION, projectZipFile: HELLO });
    expect((await waitForRun(account, { ...WS, runId }, FAST)).status).toBe('Completed');
    const dirs = fs.readdirSync(path.join(emulator.dataDir, 'runs'));
    expect(dirs.every((d) => /^[0-9a-f]{32}$/.test(d))).toBe(true);
  });

  it('keeps every path it builds inside the data folder', () => {
    expect(inside('/data', 'runs', 'abc')).toBe('/data/runs/abc');
    expect(() => inside('/data', 'runs', '../../etc/passwd')).toThrow('refused a path outside the data folder: runs/../../etc/passwd');
    expect(() => inside('/data', '/etc')).toThrow('refused a path outside the data folder');
    expect(nameProblem('ok_Name-1')).toBeUndefined();
  });
});

describe('output files a script controls', () => {
  it('refuses links, link folders, FIFOs and folders with 4xx, quickly, and serves regular files', async () => {
    const script = [
      'import os',
      'os.makedirs("outputs", exist_ok=True)',
      'open("outputs/model.txt", "w").write("weights")',
      'os.symlink("/etc/passwd", "outputs/passwd")',
      'os.symlink("/etc", "outputs/etc")',
      'os.mkfifo("outputs/pipe")',
      'os.makedirs("outputs/folder.txt")',
    ].join('\n');
    const { runId } = await create(account).Runs_StartRun({
      ...WS,
      runDefinitionFile: JSON.stringify({ configuration: { script: 'out.py' } }),
      projectZipFile: zip({ 'out.py': script }),
    });
    const details = await waitForRun(account, { ...WS, runId }, FAST);
    expect(details.status).toBe('Completed');
    // Only the regular file is listed.
    const outputs = (details as { outputFiles?: Record<string, string> }).outputFiles!;
    expect(Object.keys(outputs)).toEqual(['outputs/model.txt']);
    const link = (file: string) => outputs['outputs/model.txt'].replace('outputs/model.txt', file);
    const get = async (file: string) => {
      const res = await fetch(link(file));
      return [res.status, ((await res.json()) as { error: { message: string } }).error.message];
    };
    expect(await (await fetch(outputs['outputs/model.txt'])).text()).toBe('weights');
    expect(await get('outputs/passwd')).toEqual([403, `work/outputs/passwd of run ${runId} is a link: links are not served`]);
    expect(await get('outputs/etc/passwd')).toEqual([403, `work/outputs/etc/passwd of run ${runId} lies behind a link: links are not served`]);
    expect(await get('outputs/pipe')).toEqual([403, `work/outputs/pipe of run ${runId} is not a regular file`]);
    expect(await get('outputs/folder.txt')).toEqual([403, `work/outputs/folder.txt of run ${runId} is not a regular file`]);
    expect(await get('outputs%2F..%2F..%2F..%2Fstate.json')).toEqual([404, `No file work/outputs/../../../state.json in run ${runId}`]);
    await expectAlive();
  });
});

describe("a run's environment", () => {
  const secrets = { AZURE_CLIENT_SECRET: 'emulator-shell-secret-value-1', AZUREML_ACCESS_TOKEN: 'emulator-shell-token-value-2' };
  beforeAll(() => Object.assign(process.env, secrets));
  afterAll(() => {
    for (const name of Object.keys(secrets)) delete process.env[name];
  });

  it('is what the definition gives, plus PATH, HOME, LANG and the service variables: never the emulator', async () => {
    const script = 'import os, json\nprint(json.dumps(dict(os.environ)))';
    const { runId } = await create(account).Runs_StartRun({
      ...WS,
      runDefinitionFile: JSON.stringify({ configuration: { script: 'env.py', environment: { environmentVariables: { GIVEN: 'yes' } } } }),
      projectZipFile: zip({ 'env.py': script }),
    });
    let log = '';
    await waitForRun(account, { ...WS, runId }, { ...FAST, onLog: (t) => (log += t) });
    const env = JSON.parse(log) as Record<string, string>;
    expect(env.GIVEN).toBe('yes');
    expect(env.AZUREML_RUN_ID).toBe(runId);
    expect(env.AZURE_CLIENT_SECRET).toBeUndefined();
    expect(env.AZUREML_ACCESS_TOKEN).toBeUndefined();
    expect(log).not.toContain(secrets.AZURE_CLIENT_SECRET);
    expect(log).not.toContain(secrets.AZUREML_ACCESS_TOKEN);
  });

  it('is built from an allow-list', () => {
    const run = { runId: 'r1', experimentName: 'e' } as Parameters<typeof runEnvironment>[0];
    const env = runEnvironment(run, { GIVEN: 'yes', AZUREML_RUN_ID: 'forged' });
    const expected: Record<string, string> = { GIVEN: 'yes', PYTHONUNBUFFERED: '1', AZUREML_RUN_ID: 'r1', AZUREML_EXPERIMENT_NAME: 'e' };
    for (const name of ['PATH', 'HOME', 'LANG']) if (process.env[name] !== undefined) expected[name] = process.env[name]!;
    expect(env).toEqual(expected);
  });
});

describe('definitions the service accepts', () => {
  it('runs with maxRunDurationSeconds at the int32 limit (past setTimeout range) and with null', async () => {
    for (const maxRunDurationSeconds of [2147483647, null]) {
      const body = multipart('XB', [
        { name: 'runDefinitionFile', filename: 'd.json', data: JSON.stringify({ configuration: { script: 'hello.py', maxRunDurationSeconds, arguments: null } }) },
        { name: 'projectZipFile', filename: 'p.zip', data: HELLO },
      ]);
      const started = await startRunRaw(body);
      expect(started !== 'closed' && started.status).toBe(200);
      const runId = (JSON.parse((started as RawAnswer).body) as { runId: string }).runId;
      expect((await waitForRun(account, { ...WS, runId }, FAST)).status).toBe('Completed');
    }
  });

  it('waits past 2^31 ms in steps instead of firing at once', () => {
    jest.useFakeTimers();
    try {
      let fired = false;
      const t0 = Date.now();
      setLongTimeout(
        () => (fired = true),
        3 * 2 ** 31,
        () => Date.now(),
      );
      // Node's own setTimeout would fire at once (1 ms) for this delay.
      jest.advanceTimersByTime(2 ** 31);
      jest.advanceTimersByTime(2 ** 31);
      expect([fired, Date.now() - t0]).toEqual([false, 2 ** 32]);
      jest.advanceTimersByTime(2 ** 31);
      expect(fired).toBe(true);
    } finally {
      jest.useRealTimers();
    }
  });
});

/** Descriptors of this process open on files of the data folder. */
function openInDataDir(): string[] {
  const dir = '/proc/self/fd';
  return fs
    .readdirSync(dir)
    .map((fd) => {
      try {
        return fs.readlinkSync(path.join(dir, fd));
      } catch {
        return '';
      }
    })
    .filter((target) => target.startsWith(emulator.dataDir));
}

describe('file descriptors', () => {
  it('closes every descriptor of a run whose process could not start', async () => {
    const before = openInDataDir();
    const runs = [
      { script: 'hello.py', arguments: ['nul\u0000byte'] },
      { script: 'hello.py', environment: { python: { userManagedDependencies: true, interpreterPath: '/no/such/python' } } },
    ];
    const messages: string[] = [];
    for (const configuration of runs) {
      const { runId } = await create(account).Runs_StartRun({ ...WS, runDefinitionFile: JSON.stringify({ configuration }), projectZipFile: HELLO });
      const error = (await waitForRun(account, { ...WS, runId }, FAST).catch((e: unknown) => e)) as Error;
      messages.push(error.message.replace(runId, 'RUN'));
    }
    expect(messages[0]).toMatch(/^Run RUN failed: UserError: Could not start python3: /);
    expect(messages[1]).toBe('Run RUN failed: UserError: Could not start /no/such/python: spawn /no/such/python ENOENT');
    expect(openInDataDir()).toEqual(before);
  });
});

describe('requests that reach it by another path or another name', () => {
  it('routes //execution/... like /execution/... (the generated integration sends it for a host ending in /)', async () => {
    const { runId } = await create(account).Runs_StartRun({ ...WS, runDefinitionFile: DEFINITION, projectZipFile: HELLO });
    const answer = await rawRequest(
      port,
      `POST /${BASE}/hardening/runId/${runId}/cancel HTTP/1.1\nHost: 127.0.0.1:${port}\nAuthorization: Bearer t\nContent-Length: 0\nConnection: close\n`,
    );
    expect(answer !== 'closed' && [answer.status, JSON.parse(answer.body)]).toEqual([200, { runId }]);
  });

  it.each(['evil.example:PORT', 'evil.example', '127.0.0.1:1', 'localhost.evil.example:PORT', ''])('answers 403 to Host %p (DNS rebinding)', async (host) => {
    const answer = await rawRequest(
      port,
      `GET ${BASE.replace('/execution/', '/history/')}/hardening HTTP/1.1\nHost: ${host.replace('PORT', String(port))}\nAuthorization: Bearer t\nConnection: close\n`,
    );
    const error = errorOf(answer);
    expect(host === '' ? error.status === 400 || error.status === 403 : error.status === 403).toBe(true);
  });

  it('answers Host 127.0.0.1:port and localhost:port', async () => {
    for (const host of [`127.0.0.1:${port}`, `LOCALHOST:${port}`]) {
      const answer = await rawRequest(
        port,
        `POST /token-probe/oauth2/v2.0/token HTTP/1.1\nHost: ${host}\nContent-Type: application/x-www-form-urlencoded\nContent-Length: 0\nConnection: close\n`,
      );
      expect(answer !== 'closed' && answer.status).toBe(400); // the token endpoint's own answer: unsupported_grant_type
    }
  });

  it('answers [::1]:port when bound to ::1', async () => {
    const v6 = await startEmulator({ host: '::1' });
    try {
      const v6port = Number(new URL(v6.url).port);
      expect(v6.url).toBe(`http://[::1]:${v6port}`);
      const ok = await rawRequest(v6port, `POST /t/oauth2/v2.0/token HTTP/1.1\nHost: [::1]:${v6port}\nContent-Length: 0\nConnection: close\n`, '', { host: '::1' });
      expect(ok !== 'closed' && ok.status).toBe(400);
      const bad = await rawRequest(v6port, `POST /t/oauth2/v2.0/token HTTP/1.1\nHost: 127.0.0.1:${v6port}\nContent-Length: 0\nConnection: close\n`, '', { host: '::1' });
      expect(bad !== 'closed' && bad.status).toBe(403);
    } finally {
      await v6.close();
    }
  });
});

describe('serving beyond loopback', () => {
  it('refuses a non-loopback address without allowRemote, and allowRemote without strict auth', async () => {
    await expect(startEmulator({ host: '0.0.0.0' })).rejects.toThrow(
      '0.0.0.0 is not a loopback address: anyone who can reach it could run code on this machine (allow it with allowRemote / --allow-remote)',
    );
    await expect(startEmulator({ host: '0.0.0.0', allowRemote: true })).rejects.toThrow(
      'serving on 0.0.0.0 needs strict auth (strictAuth / --strict-auth): without it anyone who can reach it could run code on this machine',
    );
  });

  it('with allowRemote and strict auth, issues tokens only to its own client, from a private credentials file', async () => {
    const remote = await startEmulator({ host: '0.0.0.0', allowRemote: true, strictAuth: true });
    try {
      const file = remote.credentials!.file!;
      expect(file).toBe(path.join(remote.dataDir, 'client-credentials.json'));
      expect(fs.statSync(file).mode & 0o777).toBe(0o600);
      const saved = JSON.parse(fs.readFileSync(file, 'utf8')) as { client_id: string; client_secret: string };
      expect(remote.credentials!.clientIds).toEqual([saved.client_id]);
      const remotePort = Number(new URL(remote.url).port);
      const token = (form: Record<string, string>) =>
        new Promise<{ status: number; body: Record<string, unknown> }>((resolve, reject) => {
          const data = new URLSearchParams(form).toString();
          const req = http.request(
            {
              host: '127.0.0.1',
              port: remotePort,
              method: 'POST',
              path: '/t/oauth2/v2.0/token',
              headers: { 'content-type': 'application/x-www-form-urlencoded', host: 'my-box.example:1' },
            },
            (res) => {
              let text = '';
              res.on('data', (c: Buffer) => (text += c));
              res.on('end', () => resolve({ status: res.statusCode!, body: JSON.parse(text) as Record<string, unknown> }));
            },
          );
          req.on('error', reject);
          req.end(data);
        });
      const anyone = await token({ grant_type: 'client_credentials', client_id: 'attacker', client_secret: 'guess' });
      expect([anyone.status, anyone.body.error]).toEqual([401, 'invalid_client']);
      const wrongSecret = await token({ grant_type: 'client_credentials', client_id: saved.client_id, client_secret: 'guess' });
      expect([wrongSecret.status, wrongSecret.body.error]).toEqual([401, 'invalid_client']);
      const code = await token({ grant_type: 'authorization_code', code: 'any', client_id: 'attacker', client_secret: 'guess' });
      expect([code.status, code.body.error]).toEqual([401, 'invalid_client']);
      const owner = await token({ grant_type: 'client_credentials', client_id: saved.client_id, client_secret: saved.client_secret });
      expect(owner.status).toBe(200);
      expect(typeof owner.body.access_token).toBe('string');
    } finally {
      await remote.close();
    }
  });
});

describe('the data folder', () => {
  it('is 0700 (an existing one is tightened) and the files in it are 0600', async () => {
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'azureml-perm-'));
    fs.chmodSync(dataDir, 0o755);
    const own = await startEmulator({ dataDir });
    try {
      const acct = { access_token: 't', host: own.url };
      const { runId } = await create(acct).Runs_StartRun({ ...WS, runDefinitionFile: DEFINITION, projectZipFile: HELLO });
      await waitForRun(acct, { ...WS, runId }, FAST);
      const mode = (p: string) => fs.statSync(path.join(dataDir, p)).mode & 0o777;
      expect(mode('.')).toBe(0o700);
      for (const dir of ['runs', 'snapshots', 'uploads']) expect([dir, mode(dir)]).toEqual([dir, 0o700]);
      expect(mode('state.json')).toBe(0o600);
      const [snapshot] = fs.readdirSync(path.join(dataDir, 'snapshots'));
      expect(mode(`snapshots/${snapshot}`)).toBe(0o600);
      const [runDir] = fs.readdirSync(path.join(dataDir, 'runs'));
      expect(mode(`runs/${runDir}`)).toBe(0o700);
      expect(mode(`runs/${runDir}/azureml-logs/70_driver_log.txt`)).toBe(0o600);
      expect(mode(`runs/${runDir}/work/hello.py`)).toBe(0o600);
    } finally {
      await own.close();
      fs.rmSync(dataDir, { recursive: true, force: true });
    }
  });
});

describe('an output file its own script made unreadable', () => {
  // Root reads any file: the emulator (and so its script) runs without root's permission override.
  it('is refused with a 403, and the emulator lives on', async () => {
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'azureml-unreadable-'));
    const { spawn } = await import('child_process');
    const [command, args] = withoutPermissionOverride(process.execPath, [path.join(__dirname, '..', 'dist', 'emulator', 'cli.js'), '--port', '0', '--data-dir', dataDir]);
    const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    try {
      const url = await new Promise<string>((resolve, reject) => {
        let out = '';
        child.stdout!.on('data', (chunk: Buffer) => {
          out += chunk.toString();
          if (out.includes('\n')) resolve(out.split('\n')[0]);
        });
        child.once('exit', (code) => reject(new Error(`the emulator exited with ${code}`)));
      });
      const acct = { access_token: 't', host: url };
      const script =
        "const fs = require('fs');\nfs.mkdirSync('outputs');\nfs.writeFileSync('outputs/secret.txt', 'x');\nfs.chmodSync('outputs/secret.txt', 0);\nfs.writeFileSync('outputs/ok.txt', 'ok');";
      const { runId } = await create(acct).Runs_StartRun({
        ...WS,
        runDefinitionFile: JSON.stringify({ configuration: { script: 'lock.js' } }),
        projectZipFile: zip({ 'lock.js': script }),
      });
      const details = await waitForRun(acct, { ...WS, runId }, FAST);
      const outputs = (details as { outputFiles?: Record<string, string> }).outputFiles!;
      const res = await fetch(outputs['outputs/secret.txt']);
      expect([res.status, ((await res.json()) as { error: { message: string } }).error.message]).toEqual([403, `work/outputs/secret.txt of run ${runId} is not readable`]);
      expect(await (await fetch(outputs['outputs/ok.txt'])).text()).toBe('ok');
    } finally {
      child.kill('SIGKILL');
      fs.rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
