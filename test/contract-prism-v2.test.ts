/**
 * Contract test of the v2 API: Prism (`prism mock --errors`) checks each request against the v2
 * OpenAPI file and answers 422 with an `sl-violations` header when one breaks it. Prism cannot
 * read the file's inheritance (see scripts/generator/prism-copy.ts), so it runs on the copy that
 * script derives, where the job body is a CommandJob. Every operation, through the v2 client, must
 * pass; a request that breaks the file must be caught (the test would be blind otherwise).
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { prismCopy } from '../scripts/generator/prism-copy';
import type { OpenAPIDocument } from '../scripts/generator/openapi-to-spec';
import { AzureMLServiceError } from '../src';
import * as v2 from '../src/v2';
import { startPrism, type Prism } from './helpers/prism';

const TOKEN = 'prism-v2-token';
const WS = { subscriptionId: '00000000-1111-2222-3333-444444444444', resourceGroupName: 'test-rg', workspaceName: 'my-workspace' };

let prism: Prism | undefined;
let url: string;
let scratch: string;

beforeAll(async () => {
  scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'azureml-prism-v2-'));
  const copy = path.join(scratch, 'v2-for-prism.json');
  const doc = JSON.parse(fs.readFileSync(path.join(__dirname, '../src/spec/arm/openapi.json'), 'utf8')) as OpenAPIDocument;
  fs.writeFileSync(copy, JSON.stringify(prismCopy(doc)));
  prism = await startPrism(copy);
  url = prism.url;
}, 40000);

afterAll(() => {
  prism?.stop();
  fs.rmSync(scratch, { recursive: true, force: true });
});

/** The violations Prism found in the request (none: the call passed, whatever Prism answered). */
async function violations(call: () => Promise<unknown>): Promise<unknown> {
  try {
    await call();
    return [];
  } catch (error) {
    if (error instanceof AzureMLServiceError && error.statusCode === 422) return { status: 422, violations: error.responseHeaders['sl-violations'] ?? error.body };
    // Another answer of Prism's (a documented error, or its own response failing the file's closed models): the request passed.
    if (error instanceof AzureMLServiceError) return [];
    throw error;
  }
}

const client = () => v2.create({ access_token: TOKEN, management_host: url }, { retry: { maxRetries: 0 } });

const commandJob: v2.JobBaseResource = {
  properties: {
    jobType: 'Command',
    command: 'python train.py --lr ${{inputs.lr}} --data ${{inputs.data}} --out ${{outputs.model}}',
    codeId: `/subscriptions/${WS.subscriptionId}/resourceGroups/test-rg/providers/Microsoft.MachineLearningServices/workspaces/my-workspace/codes/proj/versions/abc`,
    environmentId: 'azureml:python-env:1',
    computeId: 'cpu-cluster',
    inputs: { lr: { jobInputType: 'literal', value: '0.1' }, data: { jobInputType: 'uri_folder', uri: 'azureml://datastores/d/paths/p/', mode: 'ReadOnlyMount' } },
    outputs: { model: { jobOutputType: 'uri_folder', mode: 'ReadWriteMount' } },
    environmentVariables: { SEED: '1' },
    limits: { jobLimitsType: 'Command', timeout: 'PT30M' },
    resources: { instanceCount: 2 },
    distribution: { distributionType: 'PyTorch', processCountPerInstance: 2 },
    experimentName: 'exp',
    displayName: 'train',
    tags: { team: 'ml' },
  },
};

const calls: Array<[string, () => Promise<unknown>]> = [
  ['Jobs_List', () => client().Jobs_List({ ...WS, $skip: 'next', jobType: 'Command', listViewType: 'ActiveOnly' })],
  ['Jobs_Get', () => client().Jobs_Get({ ...WS, id: 'job-1' })],
  ['Jobs_CreateOrUpdate', () => client().Jobs_CreateOrUpdate({ ...WS, id: 'job-1', body: commandJob })],
  ['Jobs_Cancel', () => client().Jobs_Cancel({ ...WS, id: 'job-1' })],
  ['Jobs_Delete', () => client().Jobs_Delete({ ...WS, id: 'job-1' })],
  ['CodeContainers_Get', () => client().CodeContainers_Get({ ...WS, name: 'proj' })],
  ['CodeContainers_CreateOrUpdate', () => client().CodeContainers_CreateOrUpdate({ ...WS, name: 'proj', body: { properties: { description: 'code of proj' } } })],
  ['CodeVersions_List', () => client().CodeVersions_List({ ...WS, name: 'proj', hash: 'abc', hashVersion: '202208' })],
  ['CodeVersions_Get', () => client().CodeVersions_Get({ ...WS, name: 'proj', version: 'abc' })],
  [
    'CodeVersions_CreateOrUpdate',
    () =>
      client().CodeVersions_CreateOrUpdate({
        ...WS,
        name: 'proj',
        version: 'abc',
        body: { properties: { codeUri: 'https://acct.blob.core.windows.net/c/LocalUpload/abc/proj', isAnonymous: false } },
      }),
  ],
  [
    'CodeVersions_CreateOrGetStartPendingUpload',
    () =>
      client().CodeVersions_CreateOrGetStartPendingUpload({ ...WS, name: 'proj', version: 'abc', body: { pendingUploadId: 'u-1', pendingUploadType: 'TemporaryBlobReference' } }),
  ],
  ['Compute_List', () => client().Compute_List({ ...WS, $skip: 'next' })],
  ['Compute_Get', () => client().Compute_Get({ ...WS, computeName: 'cpu-cluster' })],
  [
    'Compute_CreateOrUpdate',
    () =>
      client().Compute_CreateOrUpdate({
        ...WS,
        computeName: 'cpu-cluster',
        parameters: {
          location: 'eastus',
          properties: {
            computeType: 'AmlCompute',
            properties: { vmSize: 'STANDARD_DS3_V2', scaleSettings: { minNodeCount: 0, maxNodeCount: 4, nodeIdleTimeBeforeScaleDown: 'PT120S' } },
          },
        },
      }),
  ],
  [
    'Compute_Update',
    () => client().Compute_Update({ ...WS, computeName: 'cpu-cluster', parameters: { properties: { properties: { scaleSettings: { minNodeCount: 0, maxNodeCount: 8 } } } } }),
  ],
  ['Compute_Delete', () => client().Compute_Delete({ ...WS, computeName: 'cpu-cluster', underlyingResourceAction: 'Delete' })],
  ['Compute_ListNodes', () => client().Compute_ListNodes({ ...WS, computeName: 'cpu-cluster' })],
  ['Compute_Start', () => client().Compute_Start({ ...WS, computeName: 'ci-1' })],
  ['Compute_Stop', () => client().Compute_Stop({ ...WS, computeName: 'ci-1' })],
  ['Compute_Restart', () => client().Compute_Restart({ ...WS, computeName: 'ci-1' })],
];

describe('the v2 operations against Prism', () => {
  it('covers every operation of the file', () => {
    expect(calls.map(([name]) => name).sort()).toEqual(
      Object.keys(v2.actions)
        .filter((name) => !name.startsWith('oauth'))
        .sort(),
    );
  });

  it.each(calls)('%s passes', async (_name, call) => {
    expect(await violations(call)).toEqual([]);
  });

  it('catches a request that breaks the file (the check is not blind)', async () => {
    // Past the client's own checks: a raw request with a job that lacks its command.
    const bad = { properties: { jobType: 'Command', environmentId: 'e' } };
    const response = await fetch(
      `${url}/subscriptions/${WS.subscriptionId}/resourceGroups/test-rg/providers/Microsoft.MachineLearningServices/workspaces/my-workspace/jobs/j?api-version=2024-10-01`,
      {
        method: 'PUT',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${TOKEN}` },
        body: JSON.stringify(bad),
      },
    );
    expect(response.status).toBe(422);
    expect(response.headers.get('sl-violations')).toContain("must have required property 'command'");
  });
});
