/**
 * Contract test: Prism (`prism mock --errors openapi.json`) checks each request against the
 * swagger and answers 422 with an `sl-violations` header when one breaks it. All four actions,
 * through create(account), must pass; a control request that breaks the contract must not.
 * Prism does not look inside multipart bodies (Swagger 2 formData files): wire.test.ts checks
 * those parts byte for byte.
 */
import * as http from 'http';
import { AzureMLServiceError, create } from '../src';
import { startPrism, type Prism } from './helpers/prism';
import { TOKEN, WORKSPACE, ZIP_BYTES } from './helpers/fixtures';

let prism: Prism | undefined;
let url: string;

beforeAll(async () => {
  prism = await startPrism('openapi.json');
  url = prism.url;
}, 40000);

afterAll(() => prism?.stop());

/** The action's answer, or the service error's status and violations when Prism refused it. */
async function outcome(call: () => Promise<unknown>): Promise<unknown> {
  try {
    return await call();
  } catch (error) {
    if (error instanceof AzureMLServiceError) return { status: error.statusCode, body: error.body };
    throw error;
  }
}

describe('against Prism', () => {
  const client = () => create({ access_token: TOKEN, host: url });
  const RUN = { runId: 'myexperiment_155000000001_0' };

  it('accepts Runs_StartRun (multipart with definition.json and project.zip)', async () => {
    expect(
      await outcome(() =>
        client().Runs_StartRun({
          ...WORKSPACE,
          runId: 'my-exp_1700000000_0a1b2c3d',
          runDefinitionFile: { configuration: { script: 'hello.py', framework: 'Python' } },
          projectZipFile: ZIP_BYTES,
        }),
      ),
    ).toEqual(RUN);
  });

  it('accepts Runs_StartSnapshotRun', async () => {
    expect(await outcome(() => client().Runs_StartSnapshotRun({ ...WORKSPACE, runId: 'r1', definition: { snapshotId: '0b7c36f9-5e2b-4f1a-9d3e-1c2b3a4d5e6f' } }))).toEqual(RUN);
  });

  it('accepts Runs_StartLocalRun', async () => {
    const out = await outcome(() => client().Runs_StartLocalRun({ ...WORKSPACE, definition: { configuration: { script: 'hello.py' } } }));
    expect(Buffer.isBuffer(out)).toBe(true);
  });

  it('accepts Runs_CancelRunWithUri', async () => {
    expect(await outcome(() => client().Runs_CancelRunWithUri({ ...WORKSPACE, runId: 'my-exp_1700000000_0a1b2c3d' }))).toEqual(RUN);
  });

  it('refuses, as a control, a request that breaks the contract (subscriptionId not a uuid)', async () => {
    const { status, violations } = await new Promise<{ status: number; violations: string }>((resolve, reject) => {
      const req = http.request(
        `${url}/execution/v1.0/subscriptions/not-a-uuid/resourceGroups/rg/providers/Microsoft.MachineLearningServices/workspaces/ws/experiments/e/runId/r/cancel`,
        { method: 'POST', headers: { authorization: `Bearer ${TOKEN}`, 'content-length': '0' } },
        (res) => {
          res.resume();
          resolve({ status: res.statusCode!, violations: String(res.headers['sl-violations'] ?? '') });
        },
      );
      req.on('error', reject);
      req.end();
    });
    expect(status).toBe(422);
    expect(JSON.parse(violations)).toEqual([
      { location: ['request', 'path', 'subscriptionid'], severity: 'Error', code: 'format', message: 'Request path parameter subscriptionid must match format "uuid"' },
    ]);
  });
});
