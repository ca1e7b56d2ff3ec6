/**
 * Contract test of the Run History integration: Prism (`prism mock --errors`) on
 * src/spec/runhistory/openapi.json checks each request against that file and answers 422 with an
 * `sl-violations` header when one breaks it. Every operation, through create(account), must pass.
 */
import { AzureMLServiceError, create } from '../src';
import { startPrism, type Prism } from './helpers/prism';
import { TOKEN, WORKSPACE } from './helpers/fixtures';

let prism: Prism | undefined;
let url: string;

beforeAll(async () => {
  prism = await startPrism('src/spec/runhistory/openapi.json');
  url = prism.url;
}, 40000);

afterAll(() => prism?.stop());

/** The violations Prism found in the request (none: the call passed, whatever Prism answered). */
async function violations(call: () => Promise<unknown>): Promise<unknown> {
  try {
    await call();
    return [];
  } catch (error) {
    if (error instanceof AzureMLServiceError && error.statusCode === 422) return { status: 422, body: error.body, headers: error.responseHeaders };
    if (error instanceof AzureMLServiceError) return []; // an answer Prism chose (a documented error response): the request itself passed
    throw error;
  }
}

describe('the Run History operations against Prism', () => {
  const client = () => create({ access_token: TOKEN, host: url });
  const run = { ...WORKSPACE, runId: 'my-exp_1700000000_0a1b2c3d' };
  const metric = {
    metricId: '7d3b7c84-5b1e-4f51-9f65-6b1f6a2c8e01',
    name: 'loss',
    metricType: 'azureml.v1.scalar',
    createdUtc: '2026-11-25T12:00:00Z',
    numCells: 1,
    cells: [{ loss: 0.25 }],
    schema: { numProperties: 1, properties: [{ propertyId: 'loss', name: 'loss', type: 'float' }] },
  };
  const calls: Array<[string, () => Promise<unknown>]> = [
    ['Experiments_Get', () => client().Experiments_Get(WORKSPACE)],
    ['Experiments_Create', () => client().Experiments_Create(WORKSPACE)],
    ['Runs_Get', () => client().Runs_Get(run)],
    ['Runs_GetDetails', () => client().Runs_GetDetails(run)],
    ['Runs_GetChild', () => client().Runs_GetChild({ ...run, $filter: "Status eq 'Running'", $top: 5, $continuationtoken: 'next' })],
    ['Runs_GetByQuery', () => client().Runs_GetByQuery({ ...WORKSPACE, queryParams: { filter: "Status eq 'Failed'", orderBy: 'CreatedUtc desc', top: 10 } })],
    ['RunArtifacts_ListInContainer', () => client().RunArtifacts_ListInContainer({ ...run, continuationToken: 'next' })],
    ['RunArtifacts_ListInPath', () => client().RunArtifacts_ListInPath({ ...run, path: 'outputs/', continuationToken: 'next' })],
    ['RunArtifacts_GetById', () => client().RunArtifacts_GetById({ ...run, path: 'outputs/model.pkl' })],
    ['RunArtifacts_GetContentInformation', () => client().RunArtifacts_GetContentInformation({ ...run, path: 'outputs/model.pkl' })],
    ['RunArtifacts_GetSasUri', () => client().RunArtifacts_GetSasUri({ ...run, path: 'outputs/model.pkl' })],
    ['RunArtifacts_ListSasByPrefix', () => client().RunArtifacts_ListSasByPrefix({ ...run, path: 'outputs/', continuationToken: 'next' })],
    ['RunArtifacts_BatchCreateEmptyArtifacts', () => client().RunArtifacts_BatchCreateEmptyArtifacts({ ...run, artifactPaths: { paths: [{ path: 'outputs/a.txt' }] } })],
    ['RunMetrics_Post', () => client().RunMetrics_Post({ ...run, metricDto: metric })],
    ['RunMetrics_BatchPost', () => client().RunMetrics_BatchPost({ ...run, batchMetricDto: { values: [metric, { ...metric, name: 'acc', cells: [{ acc: 0.9 }] }] } })],
    ['RunMetrics_Get', () => client().RunMetrics_Get({ ...WORKSPACE, metricId: metric.metricId })],
    [
      'RunMetrics_GetByQuery',
      () =>
        client().RunMetrics_GetByQuery({
          ...WORKSPACE,
          queryParams: { filter: `RunId eq '${run.runId}'` },
          MergeStrategyType: 'None',
          MergeStrategyOptions: 'None',
          'MergeStrategySettings.Version': '1',
          'MergeStrategySettings.SelectMetrics': 'SelectAll',
        }),
    ],
  ];

  it('covers every operation of the file', () => {
    const { runHistorySpec } = require('../src/spec/runhistory/spec') as typeof import('../src/spec/runhistory/spec');
    expect(calls.map(([name]) => name).sort()).toEqual(runHistorySpec.operations.map((op) => op.operationId).sort());
  });

  it.each(calls)('%s passes', async (_name, call) => {
    expect(await violations(call)).toEqual([]);
  });
});
