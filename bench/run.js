// `npm run bench`: this package against the generated DataFire integration and raw HTTP, each
// row a ratio measured in this same run. Everything runs on loopback and cleans up after itself.
// Prints the machine and the table, and writes bench/results.json.
const { execFileSync, spawnSync } = require('child_process');
const fs = require('fs');
const http = require('http');
const os = require('os');
const path = require('path');

const ROOT = path.resolve(__dirname, '..');
const pkg = require(ROOT);
const QUICK = process.env.BENCH_QUICK === '1';
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const pct = (xs, p) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor((p / 100) * xs.length))];
const WS = { subscriptionId: '6a8bd9bb-1df3-4bca-9b24-27a7f3e5b9e7', resourceGroupName: 'bench', workspaceName: 'bench', experimentName: 'bench' };
const CANCEL_PATH = `/execution/v1.0/subscriptions/${WS.subscriptionId}/resourceGroups/bench/providers/Microsoft.MachineLearningServices/workspaces/bench/experiments/bench/runId/r1/cancel`;

function generatedIntegration() {
  const datafire = require(require.resolve('datafire', { paths: [ROOT] }));
  return datafire.Integration.fromOpenAPI(JSON.parse(fs.readFileSync(path.join(ROOT, 'openapi.json'), 'utf8')), 'azure_machinelearningservices_execution');
}

function listen(handler) {
  return new Promise((resolve) => {
    const server = http.createServer(handler);
    server.keepAliveTimeout = 60000;
    server.listen(0, '127.0.0.1', () => resolve({ server, url: `http://127.0.0.1:${server.address().port}` }));
  });
}

/** Of a client's alternated runs: the median one by throughput, with the highest peak RSS of all and every throughput. */
function medianRun(list) {
  const middle = [...list].sort((a, b) => a.mbPerSecond - b.mbPerSecond)[Math.floor(list.length / 2)];
  return { ...middle, peakRssMb: Math.max(...list.map((r) => r.peakRssMb)), mbPerSecondRuns: list.map((r) => r.mbPerSecond) };
}

// 1. Cold start -----------------------------------------------------------------------------
function coldStart() {
  const runs = QUICK ? 5 : 11;
  const measure = (mode) => {
    const walls = [];
    const rss = [];
    for (let i = 0; i < runs; i++) {
      const started = process.hrtime.bigint();
      const out = execFileSync(process.execPath, [path.join(__dirname, 'cold-start-child.js'), mode, ROOT], { encoding: 'utf8' });
      walls.push(Number(process.hrtime.bigint() - started) / 1e6);
      rss.push(JSON.parse(out).maxRssKb / 1024);
    }
    return { wallMs: median(walls), rssMb: median(rss) };
  };
  const empty = measure('empty');
  const ours = measure('package');
  const generated = measure('generated');
  const added = (m) => m.wallMs - empty.wallMs;
  return {
    empty,
    package: ours,
    generated,
    addedMs: { package: added(ours), generated: added(generated) },
    ratio: added(ours) / added(generated),
    goal: "added time at most 1/5 of the generated integration's",
    met: added(ours) <= added(generated) / 5,
  };
}

/**
 * A loopback server in its own process that answers every request at once with `body`, so that
 * its work is not counted against (or in between) the callers measured here.
 */
function answeringServer(body) {
  const code = `
    const http = require('http');
    const body = ${JSON.stringify(body)};
    const s = http.createServer((req, res) => { req.resume(); req.on('end', () => { res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) }); res.end(body); }); });
    s.keepAliveTimeout = 60000;
    s.listen(0, '127.0.0.1', () => process.stdout.write(String(s.address().port) + '\\n'));`;
  const child = require('child_process').spawn(process.execPath, ['-e', code], { stdio: ['ignore', 'pipe', 'inherit'] });
  return new Promise((resolve, reject) => {
    child.once('error', reject);
    child.stdout.once('data', (chunk) => resolve({ url: `http://127.0.0.1:${String(chunk).trim()}`, close: () => child.kill() }));
  });
}

// 2. Per-call overhead ----------------------------------------------------------------------
async function perCall() {
  const server = await answeringServer(JSON.stringify({ runId: 'r1' }));
  const url = server.url;
  const agent = new http.Agent({ keepAlive: true });
  const raw = () =>
    new Promise((resolve, reject) => {
      const req = http.request(
        `${url}${CANCEL_PATH}`,
        { method: 'POST', agent, headers: { authorization: 'Bearer t', 'content-length': 0, accept: 'application/json' } },
        (res) => {
          const chunks = [];
          res.on('data', (c) => chunks.push(c));
          res.on('end', () => resolve(JSON.parse(Buffer.concat(chunks).toString())));
        },
      );
      req.on('error', reject);
      req.end();
    });
  const ours = pkg.create({ access_token: 't', host: url });
  const generated = generatedIntegration().create({ access_token: 't', host: url });
  const input = { ...WS, runId: 'r1' };
  const callers = { raw, package: () => ours.Runs_CancelRunWithUri(input), generated: () => generated.Runs_CancelRunWithUri(input) };
  const sequential = QUICK ? 300 : 2000;
  const concurrentCalls = QUICK ? 1000 : 5000;
  const rounds = 3;
  const samples = Object.fromEntries(Object.keys(callers).map((name) => [name, { latencies: [], callsPerSecond: [], cpuMicrosPerCall: [] }]));
  for (const call of Object.values(callers)) for (let i = 0; i < 200; i++) await call(); // warm up: connections, lazy modules, compiled schemas
  // Rounds interleave the callers, so that a slow moment of the machine falls on all of them alike.
  for (let round = 0; round < rounds; round++) {
    for (const [name, call] of Object.entries(callers)) {
      for (let i = 0; i < sequential / rounds; i++) {
        const t = process.hrtime.bigint();
        await call();
        samples[name].latencies.push(Number(process.hrtime.bigint() - t) / 1e6);
      }
      let next = 0;
      const started = process.hrtime.bigint();
      const cpu = process.cpuUsage();
      await Promise.all(
        Array.from({ length: 64 }, async () => {
          while (next++ < concurrentCalls) await call();
        }),
      );
      samples[name].callsPerSecond.push(concurrentCalls / (Number(process.hrtime.bigint() - started) / 1e9));
      // This process's CPU per call: the client's own cost, whatever the server and the scheduler do.
      const used = process.cpuUsage(cpu);
      samples[name].cpuMicrosPerCall.push((used.user + used.system) / concurrentCalls);
    }
  }
  const result = {};
  for (const [name, { latencies, callsPerSecond, cpuMicrosPerCall }] of Object.entries(samples)) {
    result[name] = {
      p50Ms: pct(latencies, 50),
      p99Ms: pct(latencies, 99),
      callsPerSecond: median(callsPerSecond),
      callsPerSecondRounds: callsPerSecond,
      cpuMicrosPerCall: median(cpuMicrosPerCall),
    };
  }
  server.close();
  agent.destroy();
  result.p50VsRaw = result.package.p50Ms / result.raw.p50Ms;
  result.throughputVsGenerated = result.package.callsPerSecond / result.generated.callsPerSecond;
  result.cpuPerCallVsGenerated = result.package.cpuMicrosPerCall / result.generated.cpuMicrosPerCall;
  result.goal = "p50 within 1.3x of raw HTTP; throughput at least the generated integration's";
  result.met = result.p50VsRaw <= 1.3 && result.throughputVsGenerated >= 1;
  return result;
}

// 3. Upload -----------------------------------------------------------------------------------
function uploadChild(args) {
  const out = spawnSync(process.execPath, ['--max-old-space-size=4096', path.join(__dirname, 'upload-child.js'), ...args], { encoding: 'utf8', maxBuffer: 1 << 20 });
  if (out.status !== 0) throw new Error(`upload child failed: ${out.stderr}`);
  return JSON.parse(out.stdout);
}

function upload(dir) {
  const size = QUICK ? 128 * 1024 * 1024 : 1024 * 1024 * 1024;
  const file = path.join(dir, 'project.zip');
  const fd = fs.openSync(file, 'w');
  const chunk = Buffer.alloc(8 * 1024 * 1024, 7);
  chunk.write('PK\x03\x04', 0, 'latin1');
  for (let written = 0; written < size; written += chunk.length) fs.writeSync(fd, written === 0 ? chunk : chunk.fill(7), 0, chunk.length);
  fs.closeSync(fd);
  // Alternated three times, the median of each: one upload alone says more about the machine's
  // moment than about the code.
  const runs = { raw: [], package: [] };
  for (let i = 0; i < (QUICK ? 1 : 3); i++) {
    runs.raw.push(uploadChild(['raw', file]));
    runs.package.push(uploadChild(['package', file, ROOT]));
  }
  const raw = medianRun(runs.raw);
  const ours = medianRun(runs.package);
  const genSize = QUICK ? 64 * 1024 * 1024 : 256 * 1024 * 1024;
  fs.truncateSync(file, genSize);
  const generated = uploadChild(['generated', file, ROOT]);
  return {
    bytes: size,
    raw,
    package: ours,
    generatedAt: { bytes: genSize, ...generated },
    throughputVsRaw: ours.mbPerSecond / raw.mbPerSecond,
    goal: 'peak RSS under 150 MB and throughput at least 0.8x raw',
    met: ours.peakRssMb < 150 && ours.mbPerSecond / raw.mbPerSecond >= 0.8,
  };
}

// 3b. v2 code upload --------------------------------------------------------------------------
// A 100 MB project (ten 8 MiB files, four of 5 MiB and 200 small ones) uploaded by submitJob to
// the emulator's blob endpoint, against the same files PUT raw to the same endpoint; then the
// same project again, which must upload nothing. The emulator runs in its own process.
async function codeUpload(dir) {
  const project = fs.mkdtempSync(path.join(dir, 'code-'));
  const big = QUICK ? 2 : 10;
  for (let i = 0; i < big; i++) fs.writeFileSync(path.join(project, `shard-${i}.bin`), require('crypto').randomBytes(8 * 1024 * 1024));
  for (let i = 0; i < 4; i++) fs.writeFileSync(path.join(project, `part-${i}.bin`), require('crypto').randomBytes(5 * 1000 * 1000));
  fs.mkdirSync(path.join(project, 'src'));
  for (let i = 0; i < 200; i++) fs.writeFileSync(path.join(project, 'src', `m${i}.py`), `# module ${i}\n${'x = 1\n'.repeat(500)}`);
  const emulator = await childEmulator(path.join(dir, 'code-emulator'));
  try {
    const child = (args) => {
      const out = spawnSync(process.execPath, [path.join(__dirname, 'code-upload-child.js'), ...args], { encoding: 'utf8', maxBuffer: 1 << 20 });
      if (out.status !== 0) throw new Error(`code upload child failed: ${out.stderr}`);
      return JSON.parse(out.stdout);
    };
    const runs = { raw: [], package: [] };
    for (let i = 0; i < (QUICK ? 1 : 3); i++) {
      runs.raw.push(child(['raw', project, ROOT, emulator.url, `raw-${i}`]));
      // A new content each time (one byte of a small file), so that each submit uploads it all.
      fs.writeFileSync(path.join(project, 'src', 'stamp.py'), `# ${i}\n`);
      runs.package.push(child(['submit', project, ROOT, emulator.url]));
    }
    const again = child(['submit', project, ROOT, emulator.url]);
    const raw = medianRun(runs.raw);
    const ours = medianRun(runs.package);
    return {
      bytes: ours.bytes,
      raw,
      package: ours,
      again,
      throughputVsRaw: ours.mbPerSecond / raw.mbPerSecond,
      goal: 'first submit at least 0.8x raw PUT throughput with peak RSS under 150 MB; a second submit of the unchanged project uploads 0 bytes',
      met: ours.mbPerSecond / raw.mbPerSecond >= 0.8 && ours.peakRssMb < 150 && again.bytes === 0 && again.reused === true,
    };
  } finally {
    emulator.close();
  }
}

/** An emulator in its own process (its work is not counted in the client's time or memory). */
function childEmulator(dataDir) {
  const code = `
    const { startEmulator } = require(${JSON.stringify(path.join(ROOT, 'dist', 'emulator', 'emulator.js'))});
    startEmulator({ dataDir: ${JSON.stringify(dataDir)} }).then((e) => process.stdout.write(e.url + '\\n'));`;
  const child = require('child_process').spawn(process.execPath, ['-e', code], { stdio: ['ignore', 'pipe', 'inherit'] });
  return new Promise((resolve, reject) => {
    child.once('error', reject);
    child.stdout.once('data', (chunk) => resolve({ url: String(chunk).trim(), close: () => child.kill() }));
  });
}

// 3c. Checks of a definition, call after call ---------------------------------------------------
// What every Runs_StartRun/StartSnapshotRun and v2 job body goes through before it is sent: the
// schema must be compiled once, not per call (it was, until 2026-11-26: 22 ms and 0.1 MB a call).
async function definitionCheck() {
  const { validateInput } = require(path.join(ROOT, 'dist', 'http', 'validate-input.js'));
  const { executionSpec } = require(path.join(ROOT, 'dist', 'spec', 'execution', 'spec.js'));
  const { v2Spec } = require(path.join(ROOT, 'dist', 'spec', 'arm', 'spec.js'));
  const snapshot = executionSpec.operations.find((o) => o.operationId === 'Runs_StartSnapshotRun');
  const job = v2Spec.operations.find((o) => o.operationId === 'Jobs_CreateOrUpdate');
  const v1Input = () => ({
    ...WS,
    runId: 'r1',
    definition: { configuration: { script: 'train.py', arguments: ['--lr', '0.1'], maxRunDurationSeconds: null, environment: { environmentVariables: { A: '1' } } } },
  });
  const v2Input = () => ({
    subscriptionId: WS.subscriptionId,
    resourceGroupName: 'bench',
    workspaceName: 'bench',
    id: 'job-1',
    'api-version': '2024-10-01',
    body: {
      properties: {
        jobType: 'Command',
        command: 'python train.py ${{inputs.lr}}',
        environmentId: 'azureml:e:1',
        inputs: { lr: { jobInputType: 'literal', value: '0.1' } },
        displayName: null,
      },
    },
  });
  const calls = QUICK ? 2000 : 10000;
  const measure = async (spec, op, input) => {
    for (let i = 0; i < 100; i++) await validateInput(spec, op, input(), 'bench');
    global.gc?.();
    const heapBefore = process.memoryUsage().heapUsed;
    const started = process.hrtime.bigint();
    for (let i = 0; i < calls; i++) await validateInput(spec, op, input(), 'bench');
    const microsPerCall = Number(process.hrtime.bigint() - started) / 1e3 / calls;
    global.gc?.();
    return { microsPerCall, heapGrowthMb: (process.memoryUsage().heapUsed - heapBefore) / 2 ** 20 };
  };
  const v1 = await measure(executionSpec, snapshot, v1Input);
  const v2 = await measure(v2Spec, job, v2Input);
  return {
    calls,
    v1,
    v2,
    goal: 'under 200 µs a check, heap flat (under 5 MB over all calls)',
    met: v1.microsPerCall < 200 && v2.microsPerCall < 200 && v1.heapGrowthMb < 5 && v2.heapGrowthMb < 5,
  };
}

// 4. Tokens -----------------------------------------------------------------------------------
async function tokens() {
  const calls = QUICK ? 2000 : 10000;
  let tokenRequests = 0;
  const valid = new Set();
  const { server, url } = await listen((req, res) => {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
      if (req.url.includes('/oauth2/')) {
        tokenRequests++;
        const token = `tok_${tokenRequests}`;
        valid.add(token);
        res.writeHead(200, { 'content-type': 'application/json' });
        return res.end(JSON.stringify({ token_type: 'Bearer', access_token: token, refresh_token: `rt_${tokenRequests}`, expires_in: 3600 }));
      }
      const ok = valid.has((req.headers.authorization || '').replace('Bearer ', ''));
      res.writeHead(ok ? 200 : 401, { 'content-type': 'application/json' });
      res.end(ok ? '{"runId":"r1"}' : '{"error":{"code":"UserError","message":"expired"}}');
    });
  });
  const input = { ...WS, runId: 'r1' };
  const sp = pkg.create({ client_id: 'app', client_secret: 'secret', tenant_id: 't', authority_host: url, host: url });
  for (let i = 0; i < calls; i += 100) await Promise.all(Array.from({ length: 100 }, () => sp.Runs_CancelRunWithUri(input)));
  const servicePrincipalTokenRequests = tokenRequests;

  const concurrent401 = async (client) => {
    valid.clear();
    const before = tokenRequests;
    await Promise.all(Array.from({ length: 20 }, () => client.Runs_CancelRunWithUri(input).catch(() => undefined)));
    return tokenRequests - before;
  };
  const refreshAccount = () => ({ access_token: 'stale', refresh_token: 'rt', client_id: 'app', client_secret: 'secret', refresh_url: `${url}/t/oauth2/v2.0/token`, host: url });
  const oursRefreshes = await concurrent401(pkg.create(refreshAccount()));
  const generatedRefreshes = await concurrent401(generatedIntegration().create(refreshAccount()));
  server.close();
  return {
    servicePrincipal: { calls, tokenRequests: servicePrincipalTokenRequests },
    concurrent401: { calls: 20, package: oursRefreshes, generated: generatedRefreshes },
    goal: '1 token request for all calls; 1 refresh for 20 concurrent 401s',
    met: servicePrincipalTokenRequests === 1 && oursRefreshes === 1,
  };
}

// 5. Log follow -------------------------------------------------------------------------------
async function logFollow() {
  const total = QUICK ? 20 * 1024 * 1024 : 100 * 1024 * 1024;
  const step = 1024 * 1024;
  const line = Buffer.from('x'.repeat(1023) + '\n');
  const log = Buffer.alloc(total);
  for (let i = 0; i < total; i += line.length) line.copy(log, i);
  let written = 0;
  let served = 0;
  const timer = setInterval(() => {
    written = Math.min(total, written + step);
  }, 5);
  const { server, url } = await listen((req, res) => {
    // What waitForRun asks after the end, to let results settle: this run has none.
    if (req.url.includes('metrics:query') || req.url.includes('/artifacts/')) {
      res.writeHead(200, { 'content-type': 'application/json' });
      return res.end('{"value":[]}');
    }
    if (req.url.includes('/details')) {
      const done = written >= total;
      res.writeHead(200, { 'content-type': 'application/json' });
      return res.end(JSON.stringify({ runId: 'r1', status: done ? 'Completed' : 'Running', logFiles: { 'azureml-logs/70_driver_log.txt': `${url}/log?sig=x` } }));
    }
    const size = written;
    const match = /bytes=(\d+)-/.exec(req.headers.range || '');
    const start = match ? Number(match[1]) : 0;
    if (start >= size) {
      res.writeHead(416, { 'content-range': `bytes */${size}` });
      return res.end();
    }
    const slice = log.subarray(start, size);
    served += slice.length;
    res.writeHead(match ? 206 : 200, { 'content-length': slice.length, ...(match ? { 'content-range': `bytes ${start}-${size - 1}/${size}` } : {}) });
    res.end(slice);
  });
  const { waitForRun } = require(ROOT);
  let received = 0;
  await waitForRun({ access_token: 't', host: url }, { ...WS, runId: 'r1' }, { initialIntervalMs: 5, maxIntervalMs: 20, onLog: (text) => (received += Buffer.byteLength(text)) });
  clearInterval(timer);
  server.close();
  return { logBytes: total, downloadedBytes: served, receivedBytes: received, ratio: served / total, goal: 'at most 1.05', met: served / total <= 1.05 && received === total };
}

/** A loopback server of bench/<script> serving `file`, in its own process (so its memory is not the client's). */
async function childServer(script, file) {
  const { spawn } = require('child_process');
  const server = spawn(process.execPath, [path.join(__dirname, script), file], { stdio: ['ignore', 'pipe', 'inherit'] });
  const port = await new Promise((resolve) => server.stdout.once('data', (chunk) => resolve(String(chunk).trim())));
  return { server, url: `http://127.0.0.1:${port}` };
}

// 6. Log print -------------------------------------------------------------------------------
// `azureml-exec logs` of a large completed log, to /dev/null, against a raw http.get piped to
// stdout: the same bytes from the same server process, each client in its own process.
async function logPrint(dir) {
  const size = QUICK ? 100 * 1024 * 1024 : 600 * 1024 * 1024;
  const file = path.join(dir, 'driver.txt');
  const block = Buffer.alloc(1024 * 1024, 'x');
  for (let i = 99; i < block.length; i += 100) block[i] = 10;
  const fd = fs.openSync(file, 'w');
  for (let written = 0; written < size; written += block.length) fs.writeSync(fd, block);
  fs.closeSync(fd);
  const { server, url } = await childServer('log-print-server.js', file);
  const env = {
    ...process.env,
    AZUREML_HOST: url,
    AZUREML_ACCESS_TOKEN: 't',
    AZUREML_SUBSCRIPTION_ID: WS.subscriptionId,
    AZUREML_RESOURCE_GROUP: WS.resourceGroupName,
    AZUREML_WORKSPACE: WS.workspaceName,
    AZUREML_EXPERIMENT: WS.experimentName,
  };
  const reporter = path.join(__dirname, 'rss-reporter.js');
  const measure = (args) => {
    const started = process.hrtime.bigint();
    const out = spawnSync(process.execPath, ['--require', reporter, ...args], { env, stdio: ['ignore', 'ignore', 'pipe'], encoding: 'utf8' });
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    if (out.status !== 0) throw new Error(`log print failed: ${out.stderr}`);
    return { seconds, mbPerSecond: size / 1e6 / seconds, peakRssMb: Number(/maxRSS=(\d+)/.exec(out.stderr)[1]) / 1024 };
  };
  const runs = { raw: [], package: [] };
  try {
    for (let i = 0; i < (QUICK ? 1 : 3); i++) {
      runs.raw.push(measure(['-e', `require('http').get(${JSON.stringify(`${url}/log`)}, (res) => res.pipe(process.stdout))`]));
      runs.package.push(measure([path.join(ROOT, 'dist', 'cli', 'main.js'), 'logs', 'r1']));
    }
  } finally {
    server.kill();
    fs.rmSync(file, { force: true });
  }
  const raw = medianRun(runs.raw);
  const ours = medianRun(runs.package);
  return {
    bytes: size,
    raw,
    package: ours,
    throughputVsRaw: ours.mbPerSecond / raw.mbPerSecond,
    // The throughput is reported, not a goal: the raw baseline reads one answer and never decodes
    // it, where `logs` reads 2 MiB ranges (each with the run's details) and prints text.
    goal: 'peak RSS under 150 MB',
    met: ours.peakRssMb < 150,
  };
}

// 7. Download ---------------------------------------------------------------------------------
// downloadOutputs of a 1 GiB artifact against a raw http.get piped to a file: the same bytes from
// the same server process, each client in its own process, alternated three times.
async function download(dir) {
  const size = QUICK ? 128 * 1024 * 1024 : 1024 * 1024 * 1024;
  const file = path.join(dir, 'artifact.bin');
  const fd = fs.openSync(file, 'w');
  const chunk = Buffer.alloc(8 * 1024 * 1024, 9);
  for (let written = 0; written < size; written += chunk.length) fs.writeSync(fd, chunk);
  fs.closeSync(fd);
  const { server, url } = await childServer('artifact-server.js', file);
  const child = (mode) => {
    const to = fs.mkdtempSync(path.join(dir, `${mode}-`));
    try {
      const out = spawnSync(process.execPath, [path.join(__dirname, 'download-child.js'), mode, url, to, ROOT], { encoding: 'utf8', maxBuffer: 1 << 20 });
      if (out.status !== 0) throw new Error(`download child failed: ${out.stderr}`);
      const result = JSON.parse(out.stdout);
      if (result.bytes !== size) throw new Error(`${mode} downloaded ${result.bytes} of ${size} bytes`);
      return result;
    } finally {
      fs.rmSync(to, { recursive: true, force: true });
    }
  };
  const runs = { raw: [], package: [] };
  try {
    for (let i = 0; i < (QUICK ? 1 : 3); i++) {
      runs.raw.push(child('raw'));
      runs.package.push(child('package'));
    }
  } finally {
    server.kill();
    fs.rmSync(file, { force: true });
  }
  const raw = medianRun(runs.raw);
  const ours = medianRun(runs.package);
  return {
    bytes: size,
    raw,
    package: ours,
    throughputVsRaw: ours.mbPerSecond / raw.mbPerSecond,
    goal: 'peak RSS under 150 MB and throughput at least 0.8x a raw streamed GET',
    met: ours.peakRssMb < 150 && ours.mbPerSecond / raw.mbPerSecond >= 0.8,
  };
}

/** An onLog that pushes, for each whole line (a time stamp in seconds), how long ago it was stamped. */
function stampLags(lags) {
  let pending = '';
  return (text) => {
    const lines = (pending + text).split('\n');
    pending = lines.pop();
    for (const line of lines) lags.push(Date.now() - Number(line) * 1000);
  };
}

// 8. Follow lag -------------------------------------------------------------------------------
// A script on the emulator prints its clock every 0.5 s for 20 s; waitForRun({ onLog }) follows
// it. Each line's lag is when it arrived minus when it was printed (one machine, one clock).
async function followLag(dir) {
  const seconds = QUICK ? 5 : 20;
  const project = fs.mkdtempSync(path.join(dir, 'lag-'));
  fs.writeFileSync(path.join(project, 'tick.py'), `import time\nfor i in range(${seconds * 2}):\n    print("%.3f" % time.time(), flush=True)\n    time.sleep(0.5)\n`);
  const emulator = await pkg.startEmulator();
  try {
    const client = pkg.create({ access_token: 't', host: emulator.url }, { workspace: WS });
    const run = await client.submitRun({ project, script: 'tick.py' });
    const lags = [];
    await client.waitForRun(run.runId, { onLog: stampLags(lags) });
    lags.sort((a, b) => a - b);
    const median = lags[Math.floor(lags.length / 2)];
    const worst = lags[lags.length - 1];
    return {
      lines: lags.length,
      medianMs: median,
      worstMs: worst,
      goal: 'median at most 500 ms, worst at most 1000 ms',
      met: lags.length === seconds * 2 && median <= 500 && worst <= 1000,
    };
  } finally {
    await emulator.close();
  }
}

// 3c'. The dashboard's live log --------------------------------------------------------------
// The same script as followLag (a stamped line every 0.5 s), watched in the dashboard in headless
// Chromium: the lag from the stamp to the line in the page, against the client's follow of the
// same run (waitForRun onLog), measured in the same run. Needs Debian's chromium.
/* global window, document, MutationObserver -- the functions given to page.* run in the browser */
async function dashboardLag(dir) {
  const seconds = QUICK ? 5 : 20;
  const executablePath =
    process.env.CHROMIUM_PATH ??
    (process.env.PATH ?? '')
      .split(path.delimiter)
      .map((d) => path.join(d, 'chromium'))
      .find((p) => fs.existsSync(p));
  if (!executablePath) return { skipped: 'no chromium on the PATH (apt-get install -y chromium)', met: false };
  const { chromium } = require('playwright-core');
  const project = fs.mkdtempSync(path.join(dir, 'dash-'));
  fs.writeFileSync(path.join(project, 'tick.py'), `import time\nfor i in range(${seconds * 2}):\n    print("%.3f" % time.time(), flush=True)\n    time.sleep(0.5)\n`);
  const emulator = await pkg.startEmulator();
  const browser = await chromium.launch({ executablePath });
  try {
    const client = pkg.create({ access_token: 't', host: emulator.url }, { workspace: WS });
    const run = await client.submitRun({ project, script: 'tick.py' });
    const page = await browser.newPage();
    // Each stamped line, and the wall clock when it showed in the page (same machine, same clock).
    await page.addInitScript(() => {
      window.__lags = [];
      let seen = 0;
      new MutationObserver(() => {
        const lines = (document.querySelector('pre.log')?.textContent ?? '').split('\n').filter((l) => /^\d+\.\d{3}$/.test(l));
        for (; seen < lines.length; seen++) window.__lags.push(Date.now() - Number(lines[seen]) * 1000);
      }).observe(document, { subtree: true, childList: true, characterData: true });
    });
    const link = `#/runs/${[WS.subscriptionId, WS.resourceGroupName, WS.workspaceName, WS.experimentName, run.runId].map(encodeURIComponent).join('/')}`;
    await page.goto(`${emulator.url}/${link}`);
    const clientLagList = [];
    await client.waitForRun(run.runId, { onLog: stampLags(clientLagList) });
    await page.waitForFunction((n) => window.__lags.length >= n, seconds * 2, { timeout: 10000 });
    // The first line may already be in the file when the page opens: its lag is the page's load, not the follow.
    const lags = (await page.evaluate(() => window.__lags)).slice(1).sort((a, b) => a - b);
    const clientLags = clientLagList.slice(1).sort((a, b) => a - b);
    const median = (list) => list[Math.floor(list.length / 2)];
    return {
      lines: lags.length + 1,
      medianMs: median(lags),
      worstMs: lags[lags.length - 1],
      clientMedianMs: median(clientLags),
      clientWorstMs: clientLags[clientLags.length - 1],
      goal: 'a printed line in the page within 2 s (worst), median at most 500 ms',
      met: lags.length === seconds * 2 - 1 && median(lags) <= 500 && lags[lags.length - 1] <= 2000,
    };
  } finally {
    await browser.close();
    await emulator.close();
  }
}

// 3d. Starting a distributed run --------------------------------------------------------------
// From the submit call to the moment the last process of the run has started (its first line,
// stamped by the script), for a 2-node x 2-process PyTorch run and a 1-process run, alternately.
async function distributedStart(dir) {
  const rounds = QUICK ? 3 : 7;
  const project = fs.mkdtempSync(path.join(dir, 'dist-'));
  fs.writeFileSync(path.join(project, 'stamp.py'), 'import time\nprint("%.6f" % time.time(), flush=True)\n');
  const emulator = await pkg.startEmulator();
  const ranks = [0, 1, 2, 3];
  try {
    const client = pkg.create({ access_token: 't', host: emulator.url }, { workspace: WS });
    const startOf = async (distributed) => {
      const definition = distributed
        ? { configuration: { script: 'stamp.py', framework: 'PyTorch', communicator: 'Gloo', nodeCount: 2, mpi: { processCountPerNode: 2 } } }
        : { configuration: { script: 'stamp.py' } };
      const submitted = Date.now() / 1000;
      const run = await client.submitRun({ project, definition });
      await client.waitForRun(run.runId, { initialIntervalMs: 20, maxIntervalMs: 50, settleMs: 0 });
      const files = distributed ? ranks.map((r) => `azureml-logs/70_driver_log_${r}.txt`) : ['azureml-logs/70_driver_log.txt'];
      const stamps = await Promise.all(files.map(async (file) => Number((await client.getRunLog(run.runId, { file })).log.trim())));
      return (Math.max(...stamps) - submitted) * 1000;
    };
    await startOf(false); // warm: the first run pays for loading the runner's modules
    const single = [];
    const distributed = [];
    for (let i = 0; i < rounds; i++) {
      single.push(await startOf(false));
      distributed.push(await startOf(true));
    }
    const median = (list) => [...list].sort((a, b) => a - b)[Math.floor(list.length / 2)];
    const addedMs = median(distributed) - median(single);
    return { rounds, singleMs: median(single), distributedMs: median(distributed), addedMs, goal: '2 nodes x 2 processes start < 1000 ms after 1 process', met: addedMs < 1000 };
  } finally {
    await emulator.close();
  }
}

async function main() {
  // BENCH_ONLY=logPrint (or another measure's name) runs one measure and prints its JSON.
  if (process.env.BENCH_ONLY) {
    const only = { coldStart, perCall, definitionCheck, upload, codeUpload, tokens, logFollow, logPrint, download, followLag, dashboardLag, distributedStart }[
      process.env.BENCH_ONLY
    ];
    if (!only)
      throw new Error(
        `BENCH_ONLY must be one of coldStart, perCall, definitionCheck, upload, codeUpload, tokens, logFollow, logPrint, download, followLag, dashboardLag, distributedStart (got ${process.env.BENCH_ONLY})`,
      );
    const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'azureml-bench-'));
    try {
      return console.log(JSON.stringify(await only(scratch), null, 2));
    } finally {
      fs.rmSync(scratch, { recursive: true, force: true });
    }
  }
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'azureml-bench-'));
  const machine = {
    cpus: os.cpus().length,
    cpuModel: os.cpus()[0]?.model,
    node: process.version,
    platform: `${process.platform} ${process.arch}`,
    memoryGb: Math.round(os.totalmem() / 2 ** 30),
    date: new Date().toISOString(),
  };
  const results = { machine };
  try {
    console.log(`Machine: ${machine.cpus} CPUs (${machine.cpuModel}), ${machine.memoryGb} GiB, Node ${machine.node}, ${machine.platform}`);
    results.coldStart = coldStart();
    results.perCall = await perCall();
    results.definitionCheck = await definitionCheck();
    results.upload = upload(dir);
    results.codeUpload = await codeUpload(dir);
    results.tokens = await tokens();
    results.logFollow = await logFollow();
    results.logPrint = await logPrint(dir);
    results.download = await download(dir);
    results.followLag = await followLag(dir);
    results.dashboardLag = await dashboardLag(dir);
    results.distributedStart = await distributedStart(dir);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
  const f = (n, d = 1) => Number(n).toFixed(d);
  const c = results.coldStart;
  const p = results.perCall;
  const u = results.upload;
  const cu = results.codeUpload;
  const dc = results.definitionCheck;
  const t = results.tokens;
  const l = results.logFollow;
  const lp = results.logPrint;
  const d = results.download;
  const fl = results.followLag;
  const dl = results.dashboardLag;
  const ds = results.distributedStart;
  const rows = [
    [
      'Cold start (require + create), median wall / peak RSS',
      `${f(c.package.wallMs)} ms / ${f(c.package.rssMb)} MB`,
      `generated ${f(c.generated.wallMs)} ms / ${f(c.generated.rssMb)} MB; empty node ${f(c.empty.wallMs)} ms / ${f(c.empty.rssMb)} MB`,
      `added ${f(c.addedMs.package)} vs ${f(c.addedMs.generated)} ms = ${f(c.ratio, 3)}x`,
      c.met,
    ],
    [
      'Per call, sequential p50 / p99',
      `${f(p.package.p50Ms, 3)} / ${f(p.package.p99Ms, 3)} ms`,
      `raw ${f(p.raw.p50Ms, 3)} / ${f(p.raw.p99Ms, 3)} ms; generated ${f(p.generated.p50Ms, 3)} / ${f(p.generated.p99Ms, 3)} ms`,
      `p50 ${f(p.p50VsRaw, 2)}x raw`,
      p.p50VsRaw <= 1.3,
    ],
    [
      'Per call, 64 concurrent (median of 3 rounds)',
      `${f(p.package.callsPerSecond, 0)} calls/s, ${f(p.package.cpuMicrosPerCall, 0)} µs CPU per call`,
      `raw ${f(p.raw.callsPerSecond, 0)} calls/s, ${f(p.raw.cpuMicrosPerCall, 0)} µs; generated ${f(p.generated.callsPerSecond, 0)} calls/s, ${f(p.generated.cpuMicrosPerCall, 0)} µs`,
      `${f(p.throughputVsGenerated, 2)}x generated (CPU per call ${f(p.cpuPerCallVsGenerated, 2)}x)`,
      p.throughputVsGenerated >= 1,
    ],
    [
      `Upload ${f(u.bytes / 2 ** 20, 0)} MiB from {path} (median of ${u.raw.mbPerSecondRuns.length})`,
      `${f(u.package.mbPerSecond, 0)} MB/s, peak RSS ${f(u.package.peakRssMb)} MB`,
      `raw stream ${f(u.raw.mbPerSecond, 0)} MB/s, ${f(u.raw.peakRssMb)} MB; generated at ${f(u.generatedAt.bytes / 2 ** 20, 0)} MiB: ${f(u.generatedAt.mbPerSecond, 0)} MB/s, ${f(u.generatedAt.peakRssMb)} MB`,
      `${f(u.throughputVsRaw, 2)}x raw`,
      u.met,
    ],
    [
      `Checks of a definition before sending, ${dc.calls} calls`,
      `v1 run definition ${f(dc.v1.microsPerCall, 0)} µs, v2 command job ${f(dc.v2.microsPerCall, 0)} µs a check`,
      `heap growth ${f(dc.v1.heapGrowthMb, 1)} / ${f(dc.v2.heapGrowthMb, 1)} MB; before the fix: 22,000 µs and +0.1 MB a check`,
      '',
      dc.met,
    ],
    [
      `v2 code upload: submitJob of a ${f(cu.bytes / 1e6, 0)} MB project (median of ${cu.raw.mbPerSecondRuns.length})`,
      `upload ${f(cu.package.mbPerSecond, 0)} MB/s (whole submit ${f(cu.package.submitSeconds, 2)} s), peak RSS ${f(cu.package.peakRssMb)} MB; again unchanged: ${cu.again.bytes} bytes, ${f(cu.again.submitSeconds * 1000, 0)} ms`,
      `raw PUTs to the same blob endpoint ${f(cu.raw.mbPerSecond, 0)} MB/s, ${f(cu.raw.peakRssMb)} MB`,
      `${f(cu.throughputVsRaw, 2)}x raw`,
      cu.met,
    ],
    [
      'Tokens: service principal calls',
      `${t.servicePrincipal.tokenRequests} token request(s) for ${t.servicePrincipal.calls} calls`,
      '',
      '',
      t.servicePrincipal.tokenRequests === 1,
    ],
    ['Tokens: 20 concurrent 401s', `${t.concurrent401.package} refresh(es)`, `generated: ${t.concurrent401.generated} refreshes`, '', t.concurrent401.package === 1],
    [`Log follow: ${f(l.logBytes / 2 ** 20, 0)} MB log in 1 MB steps`, `${l.downloadedBytes} bytes downloaded`, '', `${f(l.ratio, 4)}x the log`, l.met],
    [
      `Log print: \`azureml-exec logs\` of ${f(lp.bytes / 2 ** 20, 0)} MiB (median of ${QUICK ? 1 : 3})`,
      `${f(lp.package.mbPerSecond, 0)} MB/s, peak RSS ${f(lp.package.peakRssMb)} MB`,
      `raw http.get ${f(lp.raw.mbPerSecond, 0)} MB/s, ${f(lp.raw.peakRssMb)} MB`,
      `${f(lp.throughputVsRaw, 2)}x raw`,
      lp.met,
    ],
    [
      `Download ${f(d.bytes / 2 ** 20, 0)} MiB with downloadOutputs (median of ${d.raw.mbPerSecondRuns.length})`,
      `${f(d.package.mbPerSecond, 0)} MB/s, peak RSS ${f(d.package.peakRssMb)} MB`,
      `raw streamed GET ${f(d.raw.mbPerSecond, 0)} MB/s, ${f(d.raw.peakRssMb)} MB`,
      `${f(d.throughputVsRaw, 2)}x raw`,
      d.met,
    ],
    [
      `Follow lag: a line every 0.5 s for ${fl.lines / 2} s, emulator`,
      `median ${fl.medianMs} ms, worst ${fl.worstMs} ms`,
      'before: median 4.3 s, worst 14.5 s (polling that backed off to 60 s)',
      '',
      fl.met,
    ],
    dl.skipped
      ? ['Dashboard lag', dl.skipped, '', '', false]
      : [
          `Dashboard lag: a line every 0.5 s for ${dl.lines / 2} s, shown in the page (headless Chromium)`,
          `median ${dl.medianMs} ms, worst ${dl.worstMs} ms`,
          `the client's follow of the same run: median ${dl.clientMedianMs} ms, worst ${dl.clientWorstMs} ms`,
          '',
          dl.met,
        ],
    [
      `Distributed start: submit to the last process started, 2 nodes x 2 processes (median of ${ds.rounds})`,
      `${f(ds.distributedMs, 0)} ms`,
      `1 process ${f(ds.singleMs, 0)} ms`,
      `+${f(ds.addedMs, 0)} ms`,
      ds.met,
    ],
  ];
  console.log('\n| measure | this package | baseline | ratio | goal met |\n| --- | --- | --- | --- | --- |');
  for (const row of rows) console.log(`| ${row[0]} | ${row[1]} | ${row[2]} | ${row[3]} | ${row[4] ? 'yes' : 'NO'} |`);
  fs.writeFileSync(path.join(__dirname, 'results.json'), JSON.stringify(results, null, 2));
  console.log('\nWritten to bench/results.json');
  if (process.env.BENCH_FAULTS !== '0') {
    const faults = await require('./faults').runFaultBench();
    results.faults = faults;
    fs.writeFileSync(path.join(__dirname, 'results.json'), JSON.stringify(results, null, 2));
    console.log(
      `\nFaults: ${faults.calls} calls, ${faults.ok} right answers, ${faults.clearErrors} clear errors, ${faults.wrongAnswers} wrong answers, ${faults.duplicateRuns} duplicate runs; injected ${JSON.stringify(faults.faultsInjected)}`,
    );
  }
}

main().then(
  () => process.exit(0),
  (error) => {
    console.error(error);
    process.exit(1);
  },
);
