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

    // Metrics: post one and a batch to the run (as a script does with its run token), then read them.
    const metric = (name, value) => ({ name, metricType: 'azureml.v1.scalar', cells: [{ [name]: value }] });
    await history.RunMetrics_Post({ ...workspace, runId, metricDto: metric('loss', 0.5) });
    await history.RunMetrics_BatchPost({ ...workspace, runId, batchMetricDto: { values: [metric('loss', 0.25), metric('accuracy', 0.9)] } });
    const metrics = await history.RunMetrics_GetByQuery({ ...workspace, queryParams: { filter: `RunId eq '${runId}'` } });
    console.log('RunMetrics_GetByQuery:', metrics.value.map((m) => `${m.name}=${m.cells[0][m.name]}`).join(', '));
    console.log('RunMetrics_Get:', (await history.RunMetrics_Get({ ...workspace, metricId: metrics.value[0].metricId })).name);

    // Artifacts: the driver log is one; make an empty one, upload its content through its link, and list.
    const made = await history.RunArtifacts_BatchCreateEmptyArtifacts({ ...workspace, runId, artifactPaths: { paths: [{ path: 'notes/readme.txt' }] } });
    const upload = made.artifactContentInformation['notes/readme.txt'].contentUri;
    await fetch(upload, { method: 'PUT', headers: { 'x-ms-blob-type': 'BlockBlob' }, body: 'made by the tour' });
    console.log('RunArtifacts_BatchCreateEmptyArtifacts:', Object.keys(made.artifacts).join(', '));
    console.log('RunArtifacts_ListInContainer:', (await history.RunArtifacts_ListInContainer({ ...workspace, runId })).value.map((a) => a.path).join(', '));
    console.log('RunArtifacts_ListInPath:', (await history.RunArtifacts_ListInPath({ ...workspace, runId, path: 'notes' })).value.length, 'in notes/');
    console.log('RunArtifacts_GetById:', (await history.RunArtifacts_GetById({ ...workspace, runId, path: 'notes/readme.txt' })).container);
    const info = await history.RunArtifacts_GetContentInformation({ ...workspace, runId, path: 'notes/readme.txt' });
    console.log('RunArtifacts_GetContentInformation:', JSON.stringify(await (await fetch(info.contentUri)).text()));
    console.log('RunArtifacts_GetSasUri:', (await history.RunArtifacts_GetSasUri({ ...workspace, runId, path: 'notes/readme.txt' })) === info.contentUri);
    console.log('RunArtifacts_ListSasByPrefix:', (await history.RunArtifacts_ListSasByPrefix({ ...workspace, runId, path: 'azureml-logs/' })).value.length, 'log');

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
