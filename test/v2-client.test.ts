/**
 * The v2 API's actions on the wire (Azure Resource Manager, api-version 2024-10-01): where each
 * request goes, the api-version on every call, bodies byte for byte, checks before sending, ARM's
 * errors, answers read leniently, and long-running operations followed to their end.
 */
import * as fs from 'fs';
import * as path from 'path';
import * as v2 from '../src/v2';
import { isAzureMLError, AzureMLAccountError, AzureMLOperationFailedError, AzureMLResponseFormatError, AzureMLServiceError, AzureMLValidationError } from '../src';
import { ClientCore } from '../src/client/client-core';
import type { PipelineRequest, PipelineResponse } from '../src/http/pipeline';
import { v2Spec } from '../src/spec/arm/spec';
import { followLongRunning } from '../src/workflow/v2/long-running';
import { startRecordingServer, type RecordingServer } from './helpers/recording-server';

const TOKEN = 'v2-test-token';
const SUB = '00000000-1111-2222-3333-444444444444';
const WS = { subscriptionId: SUB, resourceGroupName: 'test-rg', workspaceName: 'my-workspace' };
const JOBS = `/subscriptions/${SUB}/resourceGroups/test-rg/providers/Microsoft.MachineLearningServices/workspaces/my-workspace/jobs`;
const COMMAND_JOB: v2.JobBaseResource = {
  properties: {
    jobType: 'Command',
    command: 'python train.py --lr ${{inputs.lr}}',
    environmentId: 'azureml:python-env:1',
    inputs: { lr: { jobInputType: 'literal', value: '0.1' } },
    outputs: { model: { jobOutputType: 'uri_folder', mode: 'ReadWriteMount' } },
    limits: { jobLimitsType: 'Command', timeout: 'PT5M' },
    experimentName: 'exp',
    // x-nullable: Azure's SDKs send null for "not given"; it is accepted and sent as given.
    displayName: null,
  },
};

let server: RecordingServer;
beforeEach(async () => {
  server = await startRecordingServer();
});
afterEach(() => server.close());

const client = () => v2.create({ access_token: TOKEN, management_host: server.url }, { retry: { sleep: async () => undefined } });

it('puts a command job at its ARM path, with api-version, the token and the body byte for byte', async () => {
  const answer = { id: `${JOBS}/job-1`, name: 'job-1', type: 'Microsoft.MachineLearningServices/workspaces/jobs', properties: { ...COMMAND_JOB.properties, status: 'NotStarted' } };
  server.reply({ status: 201, body: answer });
  const out = await client().Jobs_CreateOrUpdate({ ...WS, id: 'job-1', body: COMMAND_JOB });
  expect(out).toEqual(answer);
  const [req] = server.requests;
  expect([req.method, req.url]).toEqual(['PUT', `${JOBS}/job-1?api-version=2024-10-01`]);
  expect(req.headers.authorization).toBe(`Bearer ${TOKEN}`);
  expect(req.headers['content-type']).toBe('application/json');
  expect(req.body.toString('utf8')).toBe(JSON.stringify(COMMAND_JOB));
});

it('sends the api-version the caller names instead of its own', async () => {
  server.reply({ status: 200, body: { value: [] } });
  await client().Jobs_List({ ...WS, 'api-version': '2025-01-01-preview' });
  expect(server.requests[0].url).toBe(`${JOBS}?api-version=2025-01-01-preview`);
});

it('refuses a command job that breaks the schema, naming each field, before anything is sent', async () => {
  const body = { properties: { jobType: 'Command', environmentId: 'e', comand: 'python x.py', limits: { jobLimitsType: 'Command', timeout: 300 } } };
  const error = await client()
    .Jobs_CreateOrUpdate({ ...WS, id: 'job 1', body } as never)
    .catch((e: unknown) => e);
  expect(error).toBeInstanceOf(AzureMLValidationError);
  expect((error as Error).message).toBe(
    'Action azure_machinelearningservices_v2/Jobs_CreateOrUpdate was given invalid input: ' +
      'id must match the pattern ^[a-zA-Z0-9][a-zA-Z0-9\\-_]{0,254}$ (got "job 1"); ' +
      'body.properties.command is required; ' +
      'body.properties.comand is not a known field (did you mean command?); ' +
      'body.properties.limits.timeout must be a string (got integer)',
  );
  expect(server.requests).toEqual([]);
});

it("reads ARM's error body into the error: code, message, target, details", async () => {
  const body = { error: { code: 'UserError', message: 'The specified resource was not found.', target: 'id', details: [{ code: 'NotFound', message: 'job-x' }] } };
  server.reply({ status: 404, headers: { 'x-ms-request-id': 'req-1' }, body });
  const error = (await client()
    .Jobs_Get({ ...WS, id: 'job-x' })
    .catch((e: unknown) => e)) as AzureMLServiceError;
  expect(error).toBeInstanceOf(AzureMLServiceError);
  expect([error.statusCode, error.code, error.serviceMessage, error.target, error.requestId]).toEqual([404, 'UserError', 'The specified resource was not found.', 'id', 'req-1']);
  expect(error.details).toEqual([{ code: 'NotFound', message: 'job-x' }]);
  expect(error.message).toContain('Action azure_machinelearningservices_v2/Jobs_Get failed with status code 404');
  expect(JSON.stringify(error)).not.toContain(TOKEN);
});

it('reads an answer with fields newer than 2024-10-01, nulls and compute kinds outside the subset; a wrong type is still an error', async () => {
  const job = { id: 'x', name: 'job-1', properties: { ...COMMAND_JOB.properties, status: 'Running', displayName: null, addedIn2026: { x: 1 } } };
  const computes = { value: [{ name: 'aks', properties: { computeType: 'AKS', properties: { agentCount: 3 } } }] };
  server.reply({ body: job }, { body: computes }, { body: { ...job, properties: { ...job.properties, status: 7 } } });
  expect(await client().Jobs_Get({ ...WS, id: 'job-1' })).toEqual(job);
  expect(await client().Compute_List(WS)).toEqual(computes);
  const error = await client()
    .Jobs_Get({ ...WS, id: 'job-1' })
    .catch((e: unknown) => e);
  expect(error).toBeInstanceOf(AzureMLResponseFormatError);
  expect((error as Error).message).toContain("it does not match the operation's output schema: properties.status must be a string (got integer)");
});

describe('where requests go', () => {
  const seen = async (account: Record<string, unknown>, env: Record<string, string> = {}) => {
    const urls: string[] = [];
    const transport = async (request: PipelineRequest): Promise<PipelineResponse> => {
      urls.push(request.url);
      return { status: 200, headers: { 'content-type': 'application/json' }, body: Buffer.from('{"value":[]}'), request };
    };
    const saved = { ...process.env };
    Object.assign(process.env, env);
    try {
      await v2.create({ access_token: TOKEN, ...account }, { transport }).Jobs_List(WS);
    } finally {
      process.env = saved;
    }
    return urls[0];
  };

  it('goes to https://management.azure.com by default, whatever the v1 host is', async () => {
    expect(await seen({ host: 'https://eastus.api.azureml.ms' })).toBe(`https://management.azure.com${JOBS}?api-version=2024-10-01`);
  });

  it("goes to a national cloud's Resource Manager with cloud (or AZURE_CLOUD), and to management_host above all", async () => {
    expect(await seen({ cloud: 'AzureChinaCloud' })).toBe(`https://management.chinacloudapi.cn${JOBS}?api-version=2024-10-01`);
    expect(await seen({}, { AZURE_CLOUD: 'AzureUSGovernment' })).toBe(`https://management.usgovcloudapi.net${JOBS}?api-version=2024-10-01`);
    expect(await seen({ cloud: 'AzureChinaCloud', management_host: 'https://arm.example.test/' })).toBe(`https://arm.example.test${JOBS}?api-version=2024-10-01`);
  });

  it('refuses an unknown cloud and a management_host over plain http off this machine, naming the field', async () => {
    await expect(seen({ cloud: 'Mars' })).rejects.toThrow(
      'The azure_machinelearningservices_v2 account\'s cloud must be one of AzureCloud, AzureChinaCloud, AzureUSGovernment (got "Mars"); give management_host for another',
    );
    const error = await seen({ management_host: 'http://arm.example.test' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AzureMLAccountError);
    expect((error as AzureMLAccountError).fields).toEqual(['management_host', 'allow_insecure_http']);
  });
});

describe('long-running operations', () => {
  const core = () => new ClientCore({ access_token: TOKEN, management_host: server.url }, { retry: { sleep: async () => undefined } });
  const poll = (c: ClientCore) => (url: string) => c.poll(v2Spec, url);

  it('follows a 202 with Location until it stops answering 202, at the pace of Retry-After', async () => {
    const c = core();
    const waits: number[] = [];
    server.reply({ status: 202, headers: { location: `${server.url}/op/1`, 'retry-after': '3' } }, { status: 202, headers: { location: `${server.url}/op/1` } }, { status: 204 });
    let head!: { status: number; headers: Record<string, unknown> };
    await c.run(
      v2Spec,
      v2Spec.operations.find((o) => o.operationId === 'Jobs_Cancel')!,
      { ...WS, id: 'job-1' },
      { onResponse: (answer) => (head = answer) },
    );
    expect(head.status).toBe(202);
    const result = await followLongRunning(poll(c), head as never, 'test/cancel', { sleep: async (ms) => void waits.push(ms) });
    expect(result).toBeUndefined();
    expect(server.requests.map((r) => `${r.method} ${r.url}`)).toEqual([`POST ${JOBS}/job-1/cancel?api-version=2024-10-01`, 'GET /op/1', 'GET /op/1']);
    expect(server.requests.every((r) => r.headers.authorization === `Bearer ${TOKEN}`)).toBe(true);
    expect(waits).toEqual([3000, 1000]);
  });

  it('follows Azure-AsyncOperation to Succeeded, and names the error when it ends Failed', async () => {
    const c = core();
    const start = { status: 202, headers: { 'azure-asyncoperation': `${server.url}/async/1`, location: `${server.url}/loc/1` } };
    server.reply({ status: 200, body: { status: 'InProgress' } }, { status: 200, body: { status: 'Succeeded' } });
    const statuses: string[] = [];
    expect(await followLongRunning(poll(c), start, 'test/op', { sleep: async () => undefined, onStatus: (s) => statuses.push(s) })).toEqual({ status: 'Succeeded' });
    expect(statuses).toEqual(['InProgress', 'Succeeded']);
    expect(server.requests.map((r) => r.url)).toEqual(['/async/1', '/async/1']);

    server.reply({ status: 200, body: { status: 'Failed', error: { code: 'ComputeNotFound', message: 'No compute named gpu' } } });
    const error = await followLongRunning(poll(c), start, 'test/op', { sleep: async () => undefined }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AzureMLOperationFailedError);
    expect((error as Error).message).toBe('Action test/op ended Failed: ComputeNotFound: No compute named gpu');
    expect((error as AzureMLOperationFailedError).code).toBe('ComputeNotFound');
    expect(isAzureMLError(error, 'AzureMLOperationFailedError')).toBe(true);
  });

  it('never sends the token to a polling URL on another host', async () => {
    const c = core();
    const error = await followLongRunning(poll(c), { status: 202, headers: { location: 'https://evil.example.test/steal?sig=x' } }, 'test/op', {
      sleep: async () => undefined,
    }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AzureMLResponseFormatError);
    expect((error as Error).message).toBe(
      `Action azure_machinelearningservices_v2/poll got an answer it cannot read (status code 0): the service gave a polling URL on another host (https://evil.example.test/steal); the token is only sent to ${server.url}`,
    );
    expect(server.requests).toEqual([]);
  });
});

describe('the DataFire integration', () => {
  it('has its own id, every operation of the subset, and the shared account fields', () => {
    expect(v2.id).toBe('azure_machinelearningservices_v2');
    const ops = JSON.parse(fs.readFileSync(path.join(__dirname, '../src/spec/arm/openapi.json'), 'utf8')).paths;
    const ids = Object.values<Record<string, { operationId?: string }>>(ops).flatMap((item) => Object.values(item).flatMap((op) => (op.operationId ? [op.operationId] : [])));
    expect(Object.keys(v2.actions).sort()).toEqual([...ids, 'oauthCallback', 'oauthRefresh'].sort());
    expect(Object.keys(v2.security.azure_machinelearningservices_v2.fields)).toEqual(expect.arrayContaining(['access_token', 'management_host', 'cloud']));
  });

  it("runs an action with the Execution Service's account when the context has no v2 account", async () => {
    server.reply({ status: 200, body: { value: [] } });
    const out = await v2.actions.Jobs_List(WS, { accounts: { azure_machinelearningservices_execution: { access_token: TOKEN, management_host: server.url } } } as never);
    expect(out).toEqual({ value: [] });
    expect(server.requests[0].headers.authorization).toBe(`Bearer ${TOKEN}`);
  });
});

describe('uploadCode', () => {
  it('refuses a SAS link over plain http off this machine, sending nothing to it', async () => {
    const fs = await import('fs');
    const os = await import('os');
    const { uploadCode } = await import('../src/workflow/v2/upload-code');
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'azureml-sas-'));
    fs.writeFileSync(path.join(dir, 'a.py'), 'x');
    const calls: string[] = [];
    let sasUri = 'http://storage.example.test/c?sig=secret-sig';
    const fake = {
      CodeVersions_Get: async () => {
        calls.push('get');
        throw new AzureMLServiceError({ action: 'a', statusCode: 404, body: '', headers: {} });
      },
      CodeVersions_CreateOrGetStartPendingUpload: async () => {
        calls.push('pending');
        return {
          blobReferenceForConsumption: { blobUri: 'http://storage.example.test/c', credential: { credentialType: 'SAS', sasUri } },
        };
      },
      CodeVersions_CreateOrUpdate: async () => {
        calls.push('register');
        return {};
      },
    };
    try {
      const error = await uploadCode(fake as never, WS, dir).catch((e: unknown) => e);
      expect((error as Error).message).toBe("Action azureml-execution/uploadCode: the pending upload's SAS link is not https (http://storage.example.test/c); it is not used");
      expect(calls).toEqual(['get', 'pending']);
      sasUri = 'https://storage.example.test/c/%ZZ?sig=secret-sig';
      const malformed = await uploadCode(fake as never, WS, dir).catch((e: unknown) => e);
      expect((malformed as Error).message).toBe(
        "Action azureml-execution/uploadCode: the pending upload's SAS link has malformed percent-encoding (https://storage.example.test/c/%ZZ); it is not used",
      );
      expect(calls).toEqual(['get', 'pending', 'get', 'pending']);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
