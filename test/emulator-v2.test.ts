/**
 * The emulator's v2 API end to end: its blob endpoint driven by @azure/storage-blob (the client
 * Azure ML's own SDK uploads code with), code versions, command jobs that really run their
 * command in the uploaded code, Resource Manager's errors, and long-running cancel and delete.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { ContainerClient, RestError } from '@azure/storage-blob';
import { startEmulator, create, AzureMLServiceError, type Emulator } from '../src';
import * as v2 from '../src/v2';
import { ClientCore } from '../src/client/client-core';
import { v2Spec } from '../src/spec/arm/spec';
import { followLongRunning } from '../src/workflow/v2/long-running';
import { readmeBlocks, runBlocks } from './helpers/readme-blocks';

const WS = { subscriptionId: '00000000-1111-2222-3333-444444444444', resourceGroupName: 'rg', workspaceName: 'my-ws' };
const ARM_WS = `/subscriptions/${WS.subscriptionId}/resourceGroups/rg/providers/Microsoft.MachineLearningServices/workspaces/my-ws`;

let emulator: Emulator;
let clock = Date.now();
let scratch: string;
const account = () => ({ access_token: 'emulator-token', host: emulator.url, management_host: emulator.url });
const client = () => v2.create(account(), { retry: { maxRetries: 0 } });
const terminal = new Set(['Completed', 'Failed', 'Canceled']);

beforeAll(async () => {
  scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'azureml-v2-'));
  emulator = await startEmulator({ dataDir: path.join(scratch, 'data'), now: () => clock });
});
afterAll(async () => {
  await emulator.close();
  fs.rmSync(scratch, { recursive: true, force: true });
});

async function pendingUpload(version: string) {
  const answer = await client().CodeVersions_CreateOrGetStartPendingUpload({
    ...WS,
    name: 'proj',
    version,
    body: { pendingUploadId: `u-${version}`, pendingUploadType: 'TemporaryBlobReference' },
  });
  return answer.blobReferenceForConsumption!;
}

/** Polls Jobs_Get until the job has ended (bounded). */
async function ended(id: string) {
  for (let i = 0; i < 300; i++) {
    const job = await client().Jobs_Get({ ...WS, id });
    if (terminal.has(String(job.properties.status))) return job;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`job ${id} did not end`);
}

describe('the blob endpoint, with @azure/storage-blob as the client', () => {
  it('takes a small upload (Put Blob) and a large one in blocks (Put Block, Put Block List), lists them in pages and reads ranges', async () => {
    const ref = await pendingUpload('b1');
    const container = new ContainerClient(ref.credential!.sasUri!);
    await container.getBlockBlobClient('small.txt').uploadData(Buffer.from('hello blob'));
    const big = Buffer.alloc(3 * 1024 * 1024 + 17, 7);
    big.write('start', 0);
    // A stream in 1 MiB buffers: the SDK stages blocks and commits the list.
    const { Readable } = await import('stream');
    await container.getBlockBlobClient('dir/big.bin').uploadStream(Readable.from([big.subarray(0, 2_000_000), big.subarray(2_000_000)]), 1024 * 1024, 2);
    for (let i = 0; i < 7; i++) await container.getBlockBlobClient(`many/${i}.txt`).uploadData(Buffer.from(String(i)));

    const names: string[] = [];
    let pages = 0;
    for await (const page of container.listBlobsFlat().byPage({ maxPageSize: 4 })) {
      pages++;
      for (const blob of page.segment.blobItems) names.push(`${blob.name}:${blob.properties.contentLength}`);
    }
    expect(names).toEqual(['dir/big.bin:3145745', ...[0, 1, 2, 3, 4, 5, 6].map((i) => `many/${i}.txt:1`), 'small.txt:10']);
    expect(pages).toBe(3);
    expect((await container.getBlockBlobClient('dir/big.bin').downloadToBuffer(0, 5)).toString()).toBe('start');
    expect((await container.getBlockBlobClient('dir/big.bin').downloadToBuffer()).equals(big)).toBe(true);
    const props = await container.getBlockBlobClient('small.txt').getProperties();
    expect([props.contentLength, props.blobType]).toEqual([10, 'BlockBlob']);
    // A page uploaded as text/html is served so that it never runs on the emulator's origin.
    await container.getBlockBlobClient('page.html').uploadData(Buffer.from('<script>alert(1)</script>'), { blobHTTPHeaders: { blobContentType: 'text/html' } });
    const page = await fetch(`${ref.blobUri}/page.html?${ref.credential!.sasUri!.split('?')[1]}`);
    expect([page.headers.get('content-type'), page.headers.get('x-content-type-options'), page.headers.get('content-security-policy')]).toEqual([
      'text/html',
      'nosniff',
      "sandbox; default-src 'none'",
    ]);
    const missing = await container
      .getBlockBlobClient('nope')
      .download()
      .catch((e: unknown) => e);
    expect([(missing as RestError).statusCode, (missing as RestError).code]).toEqual([404, 'BlobNotFound']);
  });

  it('refuses a tampered SAS, an expired one and none at all with 403 AuthenticationFailed, and writes nothing', async () => {
    const ref = await pendingUpload('b2');
    const sas = ref.credential!.sasUri!;
    const attempts = [sas.replace('sp=racwl', 'sp=racwdl'), sas.replace(/sig=[^&]+/, 'sig=AAAA'), ref.blobUri!];
    for (const url of attempts) {
      const error = await new ContainerClient(url)
        .getBlockBlobClient('x.txt')
        .uploadData(Buffer.from('x'))
        .catch((e: unknown) => e);
      expect([(error as RestError).statusCode, (error as RestError).code]).toEqual([403, 'AuthenticationFailed']);
    }
    const saved = clock;
    clock += 25 * 3600 * 1000; // past the link's 24 hours
    try {
      const error = await new ContainerClient(sas)
        .getBlockBlobClient('x.txt')
        .uploadData(Buffer.from('x'))
        .catch((e: unknown) => e);
      expect([(error as RestError).statusCode, (error as RestError).code]).toEqual([403, 'AuthenticationFailed']);
      expect(JSON.stringify((error as RestError).details)).toContain('Signed expiry time');
    } finally {
      clock = saved;
    }
    const names: string[] = [];
    for await (const blob of new ContainerClient(sas).listBlobsFlat()) names.push(blob.name);
    expect(names).toEqual([]);
  });

  it('keeps a blob named to climb out of the data folder inside it, and never copies it into a run', async () => {
    const ref = await pendingUpload('b3');
    const [base, sas] = ref.credential!.sasUri!.split('?');
    // The SDK refuses such a name itself: sent raw, as an attacker would (with / encoded, so that URL parsing keeps the dots).
    for (const name of ['..%2F..%2F..%2Fescape.txt', 'a%2F..%2F..%2Fescape2.txt']) {
      const res = await fetch(`${base}/${name}?${sas}`, { method: 'PUT', headers: { 'x-ms-blob-type': 'BlockBlob' }, body: 'x' });
      expect(res.status).toBe(201);
    }
    const names: string[] = [];
    for await (const blob of new ContainerClient(ref.credential!.sasUri!).listBlobsFlat()) names.push(blob.name);
    expect(names).toEqual(['../../../escape.txt', 'a/../../escape2.txt']);
    expect(fs.readdirSync(scratch)).toEqual(['data']);
    expect(fs.readdirSync(path.join(scratch, 'data')).sort()).toEqual(['blob-key', 'blobs', 'runs', 'snapshots', 'state.json', 'uploads']);

    // Registered as code and run: the job's folder gets neither file, and nothing lands outside it.
    const registered = await client().CodeVersions_CreateOrUpdate({ ...WS, name: 'proj', version: 'b3', body: { properties: { codeUri: ref.blobUri! } } });
    await client().Jobs_CreateOrUpdate({ ...WS, id: 'escape-1', body: { properties: { jobType: 'Command', command: 'ls -a', codeId: registered.id!, environmentId: 'e' } } });
    expect((await ended('escape-1')).properties.status).toBe('Completed');
    const log = await create(account()).getRunLog({ ...WS, experimentName: 'Default', runId: 'escape-1' });
    expect(log.log.split('\n').filter(Boolean).sort()).toEqual(['.', '..']);
    expect(fs.readdirSync(scratch)).toEqual(['data']);
  });
});

describe('command jobs', () => {
  async function uploadProject(version: string, files: Record<string, string>) {
    const ref = await pendingUpload(version);
    const container = new ContainerClient(ref.credential!.sasUri!);
    for (const [name, text] of Object.entries(files)) await container.getBlockBlobClient(`proj/${name}`).uploadData(Buffer.from(text));
    const registered = await client().CodeVersions_CreateOrUpdate({ ...WS, name: 'proj', version, body: { properties: { codeUri: `${ref.blobUri}/proj` } } });
    return registered.id!;
  }

  it('runs the command in the uploaded code with its inputs and outputs, and Run History shows its log and artifacts', async () => {
    const codeId = await uploadProject('c1', {
      'train.py':
        'import sys, os\nprint("lr", sys.argv[1], "epochs", sys.argv[2])\nos.makedirs(sys.argv[3], exist_ok=True)\nopen(os.path.join(sys.argv[3], "model.txt"), "w").write("weights")\n',
      'lib/util.py': 'X = 1\n',
    });
    expect(codeId).toBe(`${ARM_WS}/codes/proj/versions/c1`);
    const submitted = await client().Jobs_CreateOrUpdate({
      ...WS,
      id: 'train-1',
      body: {
        properties: {
          jobType: 'Command',
          command: 'python3 train.py ${{inputs.lr}} ${{inputs.epochs}} ${{outputs.model}}',
          codeId,
          environmentId: 'azureml:python:1',
          inputs: { lr: { jobInputType: 'literal', value: '0.1' }, epochs: { jobInputType: 'literal', value: '3' } },
          outputs: { model: { jobOutputType: 'uri_folder', mode: 'ReadWriteMount' } },
          experimentName: 'v2-exp',
          displayName: null,
          tags: { team: 'ml' },
        },
      },
    });
    expect([submitted.id, submitted.name, submitted.type]).toEqual([`${ARM_WS}/jobs/train-1`, 'train-1', 'Microsoft.MachineLearningServices/workspaces/jobs']);
    const job = await ended('train-1');
    expect(job.properties.status).toBe('Completed');
    expect(Object.keys(job.properties.services ?? {})).toEqual(['Studio', 'Tracking']);

    const v1 = create(account());
    const run = { ...WS, experimentName: 'v2-exp', runId: 'train-1' };
    const log = await v1.getRunLog(run);
    expect([log.name, log.log]).toEqual(['user_logs/std_log.txt', 'lr 0.1 epochs 3\n']);
    const artifacts = await v1.RunArtifacts_ListInContainer(run);
    expect(artifacts.value!.map((a) => a.path)).toEqual(['outputs/model/model.txt', 'user_logs/std_log.txt']);
    const listed = await client().Jobs_List(WS);
    expect(listed.value!.map((j) => j.name)).toContain('train-1');
  });

  it('fails a command that exits non-zero, with its stderr in the Run History error', async () => {
    await client().Jobs_CreateOrUpdate({ ...WS, id: 'fails-1', body: { properties: { jobType: 'Command', command: 'echo oops >&2; exit 3', environmentId: 'e' } } });
    const job = await ended('fails-1');
    expect(job.properties.status).toBe('Failed');
    const details = await create(account()).Runs_GetDetails({ ...WS, experimentName: 'Default', runId: 'fails-1' });
    expect(details.error?.error?.message).toBe('The command exited with code 3. Last lines of stderr:\noops');
  });

  it('answers as Resource Manager does: a missing or unknown api-version, an unknown job, a taken name, an undefined reference, a compute that does not exist', async () => {
    const url = `${emulator.url}${ARM_WS}/jobs/none`;
    const raw = async (query: string) => {
      const res = await fetch(`${url}${query}`, { headers: { authorization: 'Bearer t' } });
      return [res.status, await res.json()];
    };
    expect(await raw('')).toEqual([
      400,
      { error: { code: 'MissingApiVersionParameter', message: 'The api-version query parameter (?api-version=) is required for all requests.', details: [], additionalInfo: [] } },
    ]);
    expect(await raw('?api-version=2020-01-01')).toEqual([
      400,
      {
        error: {
          code: 'InvalidApiVersionParameter',
          message: "The api-version '2020-01-01' is invalid. The supported versions are '2024-10-01'.",
          details: [],
          additionalInfo: [],
        },
      },
    ]);
    expect(await raw('?api-version=2024-10-01')).toEqual([
      404,
      { error: { code: 'UserError', message: 'Job none was not found in workspace my-ws.', target: 'id', details: [], additionalInfo: [] } },
    ]);

    const job = { jobType: 'Command', command: 'echo ${{inputs.x}}', environmentId: 'e', inputs: { x: { jobInputType: 'literal', value: '1' } } } as const;
    await client().Jobs_CreateOrUpdate({ ...WS, id: 'same-1', body: { properties: job } });
    // The same submission again (a retry after a lost answer) is the job as it is.
    expect((await client().Jobs_CreateOrUpdate({ ...WS, id: 'same-1', body: { properties: { ...job, description: 'now described' } } })).properties.description).toBe(
      'now described',
    );
    const problems = [
      [{ ...job, command: 'echo other' }, 409, 'A job named same-1 already exists; a submitted job cannot be changed (only description, tags, properties and displayName can).'],
      [{ ...job, command: 'echo ${{inputs.y}}' }, 400, 'The command refers to inputs.y, which the job does not define in inputs.'],
      [{ ...job, computeId: `${ARM_WS}/computes/gpu` }, 400, "Unknown compute target 'gpu'."],
      [{ ...job, codeId: `${ARM_WS}/codes/%ZZ/versions/1` }, 400, `The code version ${ARM_WS}/codes/%ZZ/versions/1 was not found in workspace my-ws.`],
      [
        { ...job, inputs: { x: { jobInputType: 'uri_folder', uri: 'azureml://datastores/d/paths/p' } } },
        400,
        'Input x: the emulator reads inputs from this machine; give a file:// URI or an absolute path (got "azureml://datastores/d/paths/p").',
      ],
    ] as const;
    for (const [properties, status, message] of problems) {
      const id = status === 409 ? 'same-1' : 'other-1';
      const error = (await client()
        .Jobs_CreateOrUpdate({ ...WS, id, body: { properties } as never })
        .catch((e: unknown) => e)) as AzureMLServiceError;
      expect([error.statusCode, error.code, error.serviceMessage]).toEqual([status, 'UserError', message]);
    }
  });

  it('cancels a running job and deletes it, each followed to its end through its Location', async () => {
    await client().Jobs_CreateOrUpdate({ ...WS, id: 'sleepy-1', body: { properties: { jobType: 'Command', command: 'echo started; sleep 30', environmentId: 'e' } } });
    const core = new ClientCore(account(), { retry: { maxRetries: 0 } });
    const op = (name: string) => v2Spec.operations.find((o) => o.operationId === name)!;
    const poll = (url: string) => core.poll(v2Spec, url);
    const fast = { sleep: async () => new Promise<void>((resolve) => setTimeout(resolve, 20)) };
    for (let i = 0; i < 200 && (await client().Jobs_Get({ ...WS, id: 'sleepy-1' })).properties.status !== 'Running'; i++) await new Promise((r) => setTimeout(r, 20));

    let head!: Parameters<typeof followLongRunning>[1];
    await core.run(v2Spec, op('Jobs_Cancel'), { ...WS, id: 'sleepy-1' }, { onResponse: (answer) => (head = answer) });
    expect([head.status, String(head.headers.location).startsWith(`${emulator.url}/subscriptions/${WS.subscriptionId}/providers/`)]).toEqual([202, true]);
    await followLongRunning(poll, head, 'test/cancel', fast);
    expect((await client().Jobs_Get({ ...WS, id: 'sleepy-1' })).properties.status).toBe('Canceled');

    await core.run(v2Spec, op('Jobs_Delete'), { ...WS, id: 'sleepy-1' }, { onResponse: (answer) => (head = answer) });
    expect(head.status).toBe(202);
    await followLongRunning(poll, head, 'test/delete', fast);
    const gone = await client()
      .Jobs_Get({ ...WS, id: 'sleepy-1' })
      .catch((e: unknown) => e);
    expect((gone as AzureMLServiceError).statusCode).toBe(404);
  });
});

describe('the workflow on v2 (create(account, { api: "v2" }))', () => {
  const project = () => {
    const dir = path.join(scratch, 'my project');
    fs.mkdirSync(path.join(dir, 'data'), { recursive: true });
    fs.writeFileSync(path.join(dir, 'train.py'), 'import sys, os\nprint("lr", sys.argv[1])\nos.makedirs("outputs", exist_ok=True)\nopen("outputs/result.txt", "w").write("ok")\n');
    fs.writeFileSync(path.join(dir, 'data', 'big.bin'), Buffer.alloc(64 * 1024, 1));
    fs.writeFileSync(path.join(dir, '.amlignore'), 'ignored/\n');
    fs.mkdirSync(path.join(dir, 'ignored'), { recursive: true });
    fs.writeFileSync(path.join(dir, 'ignored', 'secret.txt'), 'not sent');
    return dir;
  };
  const workflow = () => create(account(), { api: 'v2', workspace: { ...WS, experimentName: 'wf' }, retry: { maxRetries: 0 } });

  it('submits a command job with its folder as code, waits for it, and reads its log, outputs and details by job name alone', async () => {
    const dir = project();
    const progress: number[] = [];
    const submitted = await workflow().submitJob(
      { project: dir, command: 'python train.py ${{inputs.lr}}', inputs: { lr: 0.01 }, environmentId: 'azureml:python:1', jobName: 'wf-job-1' },
      { onUploadProgressBytes: (p) => progress.push(p.uploadedBytes) },
    );
    expect([submitted.runId, submitted.experimentName, submitted.code?.reused, submitted.code?.files, submitted.code?.name]).toEqual(['wf-job-1', 'wf', false, 3, 'my_project']); // .amlignore, train.py, data/big.bin: not ignored/secret.txt
    expect(submitted.code?.uploadedBytes).toBe(submitted.code?.totalBytes);
    expect(progress[progress.length - 1]).toBe(submitted.code?.totalBytes);
    expect(submitted.job.inputs).toEqual({ lr: { jobInputType: 'literal', value: '0.01' } });

    const lines: string[] = [];
    const details = await workflow().waitForRun('wf-job-1', { onLog: (text) => lines.push(text), initialIntervalMs: 50, maxIntervalMs: 200, settleMs: 0 });
    expect(details.status).toBe('Completed');
    expect(lines.join('')).toBe('lr 0.01\n');
    // By name alone, with the experiment left out: Jobs_Get says it.
    const bare = create(account(), { api: 'v2', workspace: WS });
    expect((await bare.getRunLog('wf-job-1')).log).toBe('lr 0.01\n');
    const out = path.join(scratch, 'downloads');
    const downloaded = await bare.downloadOutputs('wf-job-1', { to: out });
    expect(downloaded.files.map((f) => f.path)).toEqual(['outputs/result.txt']);
    expect(fs.readFileSync(path.join(out, 'outputs', 'result.txt'), 'utf8')).toBe('ok');
    // The ignored folder was never uploaded.
    const ran = await bare.getRunDetails('wf-job-1');
    expect(ran.status).toBe('Completed');
  });

  it('uploads nothing the second time an unchanged project is submitted', async () => {
    const dir = project();
    const again = await workflow().submitJob({ project: dir, command: 'python train.py 1', environmentId: 'azureml:python:1' });
    expect([again.code?.reused, again.code?.uploadedBytes]).toEqual([true, 0]);
    fs.appendFileSync(path.join(dir, 'train.py'), '# changed\n');
    const changed = await workflow().submitJob({ project: dir, command: 'python train.py 1', environmentId: 'azureml:python:1' });
    expect([changed.code?.reused, changed.code?.version === again.code?.version]).toEqual([false, false]);
  });

  it('runs a v1 submission unchanged but for its api: script and arguments become the command', async () => {
    const dir = project();
    const run = await workflow().submitRun({ project: dir, script: 'train.py', arguments: ['--lr=0.5'], environmentId: 'azureml:python:1' } as never);
    expect((run as unknown as { job: { command: string } }).job.command).toBe('python train.py --lr=0.5');
    const details = await workflow().waitForRun(run, { initialIntervalMs: 50, maxIntervalMs: 200, settleMs: 0 });
    expect(details.status).toBe('Completed');
    expect((await workflow().getRunLog(run)).log).toBe('lr --lr=0.5\n');
  });

  it('cancels a v2 run with cancelRun, following the operation until the job has stopped', async () => {
    const run = await workflow().submitJob({ command: 'echo up; sleep 30', environmentId: 'e' });
    for (let i = 0; i < 200 && (await client().Jobs_Get({ ...WS, id: run.runId })).properties.status !== 'Running'; i++) await new Promise((r) => setTimeout(r, 20));
    expect(await workflow().cancelRun(run)).toEqual({ runId: run.runId });
    expect((await client().Jobs_Get({ ...WS, id: run.runId })).properties.status).toBe('Canceled');
  });

  it('names what is wrong with a job before uploading anything', async () => {
    const before = (await client().CodeVersions_List({ ...WS, name: 'my_project' })).value!.length;
    const error = await workflow()
      .submitJob({ project: project(), command: 'python train.py ${{inputs.lr}}', timeout: 'soon' })
      .catch((e: unknown) => e);
    expect((error as Error).message).toBe(
      'Action azureml-execution/submitJob was given invalid input: environmentId is required: the environment the job runs in, e.g. azureml:my-env:1; inputs.lr is used by the command (${{inputs.lr}}) and not given; timeout must be an ISO 8601 duration such as PT30M, or seconds (got "soon")',
    );
    expect((await client().CodeVersions_List({ ...WS, name: 'my_project' })).value!.length).toBe(before);
  });
});

describe('the DataFire workflow actions with api v2', () => {
  it('submits a command job from a flow, and waits for it and reads it by job name alone', async () => {
    const { workflowAction } = await import('../src');
    const dir = path.join(scratch, 'flow-project');
    fs.mkdirSync(dir, { recursive: true });
    fs.writeFileSync(path.join(dir, 'train.py'), 'import sys\nprint("flow", sys.argv[1])\n');
    const context = { accounts: { azure_machinelearningservices_execution: account() }, variables: { ...WS, api: 'v2' } };
    const submitted = (await workflowAction('submitRun').run(
      { project: dir, command: 'python train.py ${{inputs.x}}', inputs: { x: 'y' }, environmentId: 'azureml:py:1', runId: 'flow-job-1', experimentName: 'flows' },
      context as never,
    )) as { runId: string; code: { reused: boolean } };
    expect([submitted.runId, submitted.code.reused]).toEqual(['flow-job-1', false]);
    const ended = (await workflowAction('waitForRun').run({ runId: 'flow-job-1', pollSeconds: 0.05 }, context as never)) as { status: string; experimentName: string };
    expect([ended.status, ended.experimentName]).toEqual(['Completed', 'flows']);
    const log = (await workflowAction('getRunLog').run({ runId: 'flow-job-1' }, context as never)) as { log: string; name: string };
    expect([log.name, log.log]).toEqual(['user_logs/std_log.txt', 'flow y\n']);
    const status = (await workflowAction('getRun').run({ runId: 'flow-job-1' }, context as never)) as { status: string };
    expect(status.status).toBe('Completed');
    const refused = await workflowAction('submitRun')
      .run({ project: dir, command: 'x', environmentId: 'e', api: 'v3' }, context as never)
      .catch((e: unknown) => e);
    expect((refused as Error).message).toBe('Action azureml-execution/submitRun was given invalid input: api must be v1 or v2 (got "v3")');
  });
});

describe("the README's v2 section", () => {
  it('runs word for word against the emulator', async () => {
    const blocks = readmeBlocks('## The v2 jobs API', '## Clusters');
    expect(blocks.length).toBe(2);
    const { stdout, stderr, dir } = await runBlocks(blocks, scratch, emulator.url);
    expect(stderr).toBe('');
    const lines = stdout.trim().split('\n');
    expect(lines).toEqual(
      expect.arrayContaining([
        "python train.py 0.3 outputs PT600S [ 'configuration.history' ]",
        'converted-1 Command',
        expect.stringMatching(/^my-experiment_\d{10}_[0-9a-f]{8} uploaded \d+ bytes$/),
        'lr 0.1',
        'Completed',
        "[ 'outputs/model/model.txt' ]",
        '0',
      ]),
    );
    expect(lines).toHaveLength(7);
    expect(fs.readFileSync(path.join(dir, 'results', 'outputs', 'model', 'model.txt'), 'utf8')).toBe('weights');
  });
});
