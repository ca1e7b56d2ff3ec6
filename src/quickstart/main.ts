/**
 * `npm start`: the whole flow against the embedded emulator, no Azure account needed. Starts the
 * emulator, and with the public client's submitRun creates the experiment, zips examples/hello and
 * uploads it with Runs_StartRun; follows the driver log, prints the final status; exits 0 when the run Completed.
 */
import * as path from 'path';
import { create } from '../index';
import { startEmulator } from '../emulator/emulator';

export async function quickstart(out: (line: string) => void = console.log): Promise<string> {
  const started = Date.now();
  const emulator = await startEmulator();
  try {
    out(`Azure ML emulator listening at ${emulator.url}`);
    const client = create(
      { access_token: 'quickstart-token', host: emulator.url },
      { workspace: { subscriptionId: '00000000-0000-0000-0000-000000000000', resourceGroupName: 'quickstart-rg', workspaceName: 'quickstart-ws', experimentName: 'quickstart' } },
    );
    const project = path.resolve(__dirname, '..', '..', 'examples', 'hello');
    // Creates the experiment, zips the folder, uploads it with Runs_StartRun.
    const run = await client.submitRun(
      { project, script: 'hello.py', target: 'local' },
      { onZipped: ({ files, bytes }) => out(`Zipped ${path.relative(process.cwd(), project) || project}: ${files.join(', ')} (${bytes} bytes)`) },
    );
    out(`Started run ${run.runId} in experiment ${run.experimentName}`);
    const details = await client.waitForRun(run.runId, {
      initialIntervalMs: 100,
      maxIntervalMs: 1000,
      onStatus: (status) => out(`Status: ${status}`),
      onLog: (text) =>
        text
          .split('\n')
          .filter(Boolean)
          .forEach((line) => out(`  | ${line}`)),
    });
    out(`Run ${run.runId} ${details.status} in ${((Date.now() - started) / 1000).toFixed(1)} s`);
    return String(details.status);
  } finally {
    await emulator.close();
  }
}

if (require.main === module) {
  quickstart().then(
    (status) => process.exit(status === 'Completed' ? 0 : 1),
    (error: Error) => {
      console.error(error.message);
      process.exit(1);
    },
  );
}
