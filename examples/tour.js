// A tour of every action against the embedded emulator: `node examples/tour.js` (after npm ci).
// Against Azure, drop startEmulator() and use { access_token, region } as the account.
const fs = require('fs');
const os = require('os');
const path = require('path');
const azureml = require('..');

async function main() {
  const emulator = await azureml.startEmulator();
  try {
    const account = { access_token: 'any-token', host: emulator.url }; // the emulator accepts any bearer token
    const workspace = {
      subscriptionId: '00000000-0000-0000-0000-000000000000',
      resourceGroupName: 'my-rg',
      workspaceName: 'my-ws',
      experimentName: 'tour',
    };
    const execution = azureml.create(account);
    const history = azureml.runHistory.create(account);

    // Run History: create the experiment (idempotent) and read it back.
    await history.Experiments_Create(workspace);
    console.log('Experiments_Get:', (await history.Experiments_Get(workspace)).name);

    // Runs_StartRun: a definition and a project zip, here a zip made by python3 from examples/hello.
    const zipPath = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'tour-')), 'project.zip');
    require('child_process').execFileSync('python3', [
      '-c',
      `import zipfile; z = zipfile.ZipFile(${JSON.stringify(zipPath)}, 'w'); z.write(${JSON.stringify(path.join(__dirname, 'hello', 'hello.py'))}, 'hello.py'); z.close()`,
    ]);
    const { runId } = await execution.Runs_StartRun({
      ...workspace,
      runId: `tour_${Date.now()}`,
      runDefinitionFile: { configuration: { script: 'hello.py', framework: 'Python', target: 'local' } },
      projectZipFile: { path: zipPath },
    });
    console.log('Runs_StartRun:', runId);

    // Runs_Get / Runs_GetDetails: poll until the run ends, then read its driver log.
    let details;
    do {
      await new Promise((resolve) => setTimeout(resolve, 100));
      details = await history.Runs_GetDetails({ ...workspace, runId });
    } while (!['Completed', 'Failed', 'Canceled'].includes(details.status));
    console.log('Runs_Get:', (await history.Runs_Get({ ...workspace, runId })).status);
    const log = await fetch(details.logFiles['azureml-logs/70_driver_log.txt']);
    console.log('driver log:', JSON.stringify(await log.text()));

    // Runs_StartSnapshotRun: the same project again, by the snapshot the first run kept.
    const snapshotId = details.properties['ContentSnapshotId'];
    const again = await execution.Runs_StartSnapshotRun({ ...workspace, definition: { snapshotId, configuration: { script: 'hello.py' } } });
    console.log('Runs_StartSnapshotRun:', again.runId);

    // Runs_CancelRunWithUri: cancel it (or, if it already ended, the answer is the same).
    console.log('Runs_CancelRunWithUri:', (await execution.Runs_CancelRunWithUri({ ...workspace, runId: again.runId })).runId);

    // Runs_GetByQuery and Runs_GetChild.
    const page = await history.Runs_GetByQuery({ ...workspace, queryParams: { orderBy: 'RunNumber asc', top: 10 } });
    console.log('Runs_GetByQuery:', page.value.map((r) => r.runId).join(', '));
    console.log('Runs_GetChild:', (await history.Runs_GetChild({ ...workspace, runId })).value.length, 'children');

    // Runs_StartLocalRun: a zip with the project, definition.json and azureml_local_run.py.
    const localZip = await execution.Runs_StartLocalRun({ ...workspace, definition: { snapshotId, configuration: { script: 'hello.py' } } });
    console.log('Runs_StartLocalRun:', localZip.length, 'bytes of zip');
    fs.rmSync(path.dirname(zipPath), { recursive: true, force: true });
  } finally {
    await emulator.close();
  }
}

main().catch((error) => {
  console.error(error.message);
  process.exit(1);
});
