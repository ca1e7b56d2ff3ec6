/**
 * `npm start`: the whole flow against the embedded emulator, no Azure account needed. Starts the
 * emulator, and with the public client's submitRun creates the experiment, zips examples/hello and
 * uploads it with Runs_StartRun; follows the driver log, prints the final status. Then, what comes
 * out of a run: examples/metrics trains, logs metrics (Run History and MLflow) and writes outputs;
 * the quickstart prints each metric's last value and downloads the outputs. Then the first flow on
 * the v2 jobs API, changed only by `api: 'v2'` and an environment: the folder uploaded as code,
 * the job followed, and submitted again without uploading anything. Exits 0 when all Completed.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { create } from '../index';
import { startEmulator } from '../emulator/emulator';
import type { SubmittedJob } from '../workflow/v2/submit-job';

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
    if (details.status !== 'Completed') return String(details.status);

    // Part two: what comes out of a run.
    const trained = await client.submitRun({ project: path.resolve(__dirname, '..', '..', 'examples', 'metrics'), script: 'train.py', arguments: ['5'] });
    out(`Started run ${trained.runId}: examples/metrics/train.py, 5 epochs`);
    const end = await client.waitForRun(trained.runId, { initialIntervalMs: 100, maxIntervalMs: 1000 });
    const metrics = await client.getMetrics(trained.runId);
    for (const [name, points] of Object.entries(metrics)) {
      const last = points[points.length - 1];
      out(`  metric ${name}: ${typeof last.value === 'number' ? last.value.toFixed(4) : JSON.stringify(last.value)} (${points.length} point${points.length === 1 ? '' : 's'})`);
    }
    const to = fs.mkdtempSync(path.join(os.tmpdir(), 'azureml-quickstart-'));
    const downloaded = await client.downloadOutputs(trained.runId, { to });
    for (const file of downloaded.files) out(`  output ${file.path} -> ${file.file} (${file.bytes} bytes)`);
    out(`Run ${trained.runId} ${end.status}`);
    if (end.status !== 'Completed') return String(end.status);

    // Part three: the first flow on the v2 jobs API. What changes: api: 'v2' and an environment.
    const jobs = create(
      { access_token: 'quickstart-token', host: emulator.url, management_host: emulator.url },
      {
        api: 'v2',
        workspace: { subscriptionId: '00000000-0000-0000-0000-000000000000', resourceGroupName: 'quickstart-rg', workspaceName: 'quickstart-ws', experimentName: 'quickstart' },
      },
    );
    const job = (await jobs.submitRun({ project, script: 'hello.py', environmentId: 'azureml:quickstart-python:1' } as never)) as unknown as SubmittedJob;
    out(
      `v2: uploaded ${job.code!.files} file${job.code!.files === 1 ? '' : 's'} as code ${job.code!.name}:${job.code!.version.slice(0, 12)}; started job ${job.runId} (${job.job.command})`,
    );
    const jobEnd = await jobs.waitForRun(job, {
      initialIntervalMs: 100,
      maxIntervalMs: 1000,
      onLog: (text) =>
        text
          .split('\n')
          .filter(Boolean)
          .forEach((line) => out(`  | ${line}`)),
    });
    const again = (await jobs.submitRun({ project, script: 'hello.py', environmentId: 'azureml:quickstart-python:1' } as never)) as unknown as SubmittedJob;
    out(`v2: job ${job.runId} ${jobEnd.status}; submitted again unchanged: ${again.code!.uploadedBytes} bytes uploaded (code reused)`);
    await jobs.waitForRun(again, { initialIntervalMs: 100, maxIntervalMs: 1000 });
    return String(jobEnd.status);
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
