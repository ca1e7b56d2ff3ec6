// `npm run bench:faults`: 1,000 calls against the emulator with 10 % injected 503s and 2 %
// connection resets after the work was done (the answer lost). Every call must end with the
// right answer or a clear error, and no submission may make two runs. Prints the counts.
const { create, runHistory, startEmulator } = require('..');

const CALLS = Number(process.env.BENCH_FAULT_CALLS || 1000);
const CONCURRENCY = 16;
const WS = { subscriptionId: '6a8bd9bb-1df3-4bca-9b24-27a7f3e5b9e7', resourceGroupName: 'bench', workspaceName: 'bench', experimentName: 'faults' };

function zipOf(name, text) {
  // A stored zip with one file, enough for the emulator to accept the project.
  const zlib = require('zlib');
  const data = Buffer.from(text);
  const nameBuf = Buffer.from(name);
  const u16 = (n) => {
    const b = Buffer.alloc(2);
    b.writeUInt16LE(n);
    return b;
  };
  const u32 = (n) => {
    const b = Buffer.alloc(4);
    b.writeUInt32LE(n >>> 0);
    return b;
  };
  const common = Buffer.concat([u16(20), u16(0), u16(0), u16(0), u16(0x21), u32(zlib.crc32(data)), u32(data.length), u32(data.length), u16(nameBuf.length), u16(0)]);
  const local = Buffer.concat([u32(0x04034b50), common, nameBuf, data]);
  const central = Buffer.concat([u32(0x02014b50), u16(20), common, u16(0), u16(0), u16(0), u32(0), u32(0), nameBuf]);
  return Buffer.concat([local, central, u32(0x06054b50), u16(0), u16(0), u16(1), u16(1), u32(central.length), u32(local.length), u16(0)]);
}

async function main() {
  // Runs do not need to execute for this benchmark: one slot, and `exit` scripts that end at once.
  const emulator = await startEmulator({ maxConcurrentRuns: 1 });
  const account = { access_token: 'bench', host: emulator.url };
  const client = create(account, { retry: { retryDelayMs: 5, maxRetryDelayMs: 50 } });
  const project = zipOf('ok.py', 'pass\n');
  const first = await client.Runs_StartRun({ ...WS, runDefinitionFile: { configuration: { script: 'ok.py' } }, projectZipFile: project });
  const snapshotId = (await runHistory.create(account).Runs_GetDetails({ ...WS, runId: first.runId })).properties['ContentSnapshotId'];
  const startRuns = emulator.runCount();

  emulator.faults.set([
    { operation: '*', probability: 0.02, reset: 'after-processing' },
    { operation: '*', probability: 0.1 / 0.98, status: 503 },
  ]);
  const counts = { ok: 0, clearError: 0, wrongAnswer: 0, submissions: 0, cancels: 0 };
  const errors = {};
  const seenRunIds = new Set();
  const started = Date.now();
  let next = 0;
  async function worker() {
    while (next < CALLS) {
      const i = next++;
      try {
        if (i % 2 === 0) {
          counts.submissions++;
          // The client makes the run id, as it does unless told one: after a lost answer it may then
          // take the run as its own. (A run id of the caller's that already exists is a 409 to surface.)
          const result = await client.Runs_StartSnapshotRun({ ...WS, definition: { snapshotId, configuration: { script: 'ok.py' } } });
          if (typeof result.runId === 'string' && /^faults_\d{10}_[0-9a-f]{8}$/.test(result.runId) && !seenRunIds.has(result.runId)) {
            seenRunIds.add(result.runId);
            counts.ok++;
          } else counts.wrongAnswer++;
        } else {
          counts.cancels++;
          const result = await client.Runs_CancelRunWithUri({ ...WS, runId: first.runId });
          if (result.runId === first.runId) counts.ok++;
          else counts.wrongAnswer++;
        }
      } catch (error) {
        counts.clearError++;
        const key = `${error.name}: ${error.message.replace(/faults_\d{10}_[0-9a-f]{8}/g, 'RUN').slice(0, 160)}`;
        errors[key] = (errors[key] || 0) + 1;
      }
    }
  }
  await Promise.all(Array.from({ length: CONCURRENCY }, worker));
  const elapsed = Date.now() - started;
  emulator.faults.clear();
  const runsMade = emulator.runCount() - startRuns;
  const result = {
    calls: CALLS,
    elapsedMs: elapsed,
    ok: counts.ok,
    clearErrors: counts.clearError,
    wrongAnswers: counts.wrongAnswer,
    submissions: counts.submissions,
    runsMade,
    // Each submission has its own run id: more runs than submissions would be a doubled submission.
    duplicateRuns: Math.max(0, runsMade - counts.submissions),
    faultsInjected: emulator.faults.applied,
    errors,
  };
  await emulator.close();
  return result;
}

module.exports = { runFaultBench: main };

if (require.main === module) {
  main().then(
    (result) => {
      console.log(JSON.stringify(result, null, 2));
      const good = result.wrongAnswers === 0 && result.duplicateRuns === 0 && result.ok + result.clearErrors === result.calls;
      process.exit(good ? 0 : 1);
    },
    (error) => {
      console.error(error);
      process.exit(1);
    },
  );
}
