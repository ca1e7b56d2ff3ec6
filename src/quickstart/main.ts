/**
 * `npm start`: the whole flow against the embedded emulator, no Azure account needed. Starts the
 * emulator, creates an experiment, zips examples/hello, submits it with Runs_StartRun through the
 * public client, follows the driver log, prints the final status; exits 0 when the run Completed.
 */
import * as path from 'path';
import { create } from '../index';
import { startEmulator } from '../emulator/emulator';
import { zipProject } from '../project/zip-project';
import { create as createRunHistory } from '../runhistory';
import { waitForRun } from '../workflow/wait-for-run';

export async function quickstart(out: (line: string) => void = console.log): Promise<string> {
  const started = Date.now();
  const emulator = await startEmulator();
  try {
    out(`Azure ML emulator listening at ${emulator.url}`);
    const account = { access_token: 'quickstart-token', host: emulator.url };
    const workspace = {
      subscriptionId: '00000000-0000-0000-0000-000000000000',
      resourceGroupName: 'quickstart-rg',
      workspaceName: 'quickstart-ws',
      experimentName: 'quickstart',
    };
    const experiment = await createRunHistory(account).Experiments_Create(workspace);
    out(`Experiment ${experiment.name} (${experiment.experimentId})`);

    const project = path.resolve(__dirname, '..', '..', 'examples', 'hello');
    const zip = await zipProject(project);
    try {
      out(`Zipped ${path.relative(process.cwd(), project) || project}: ${zip.files.join(', ')} (${zip.size} bytes)`);
      const { runId } = await create(account).Runs_StartRun({
        ...workspace,
        runDefinitionFile: { configuration: { script: 'hello.py', framework: 'Python', target: 'local' } },
        projectZipFile: { path: zip.path },
      });
      out(`Started run ${runId}`);
      const details = await waitForRun(
        account,
        { ...workspace, runId },
        {
          initialIntervalMs: 100,
          maxIntervalMs: 1000,
          onStatus: (status) => out(`Status: ${status}`),
          onLog: (text) => text.split('\n').filter(Boolean).forEach((line) => out(`  | ${line}`)),
        },
      );
      out(`Run ${runId} ${details.status} in ${((Date.now() - started) / 1000).toFixed(1)} s`);
      return String(details.status);
    } finally {
      zip.remove();
    }
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
