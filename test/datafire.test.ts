/**
 * DataFire runs every action through its own classes: Action.fromName with the integration
 * registered, a DataFire.yml project with a flow, and the `datafire run` command. The schemas and
 * details are those of the generated integration, but for the documented additions.
 */
import { execFile } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { promisify } from 'util';
import * as integration from '../src';
import { ALL_BYTES, BASE_PATH, DEFINITION, TOKEN, WORKSPACE, ZIP_BYTES } from './helpers/fixtures';
import { startRecordingServer, type RecordingServer } from './helpers/recording-server';

const datafire = require('datafire');
const ID = 'azure_machinelearningservices_execution';
const REPO = path.resolve(__dirname, '..');
const DATAFIRE_CLI = path.join(REPO, 'node_modules', 'datafire', 'bin', 'datafire');
const run = promisify(execFile);

let server: RecordingServer;
beforeEach(async () => {
  server = await startRecordingServer();
});
afterEach(() => server.close());

function context() {
  return new datafire.Context({ accounts: { [ID]: { access_token: TOKEN, host: server.url } } });
}

describe('the drop-in surface', () => {
  const generated = datafire.Integration.fromOpenAPI(JSON.parse(fs.readFileSync(path.join(REPO, 'openapi.json'), 'utf8')), ID);

  // DataFire adds these two to OAuth integrations whose flow is not implicit: built the same way here.
  const withOAuth = new datafire.Integration({ id: ID, security: { [ID]: { integration: ID, fields: {}, oauth: { flow: 'accessCode', tokenUrl: 'https://token' } } } });
  const OAUTH_ACTIONS = ['oauthCallback', 'oauthRefresh'];

  it('has the id, action names and order of the generated integration, plus the OAuth actions', () => {
    expect(integration.id).toBe(ID);
    expect(Object.keys(integration.actions)).toEqual([...Object.keys(generated.actions), ...OAUTH_ACTIONS]);
    expect(integration.allActions.map((a) => a.id)).toEqual([...generated.allActions.map((a: { id: string }) => a.id), ...OAUTH_ACTIONS.map((n) => `${ID}/${n}`)]);
  });

  it("gives the generated integration's getDetails(), plus host/region fields, {path} for file parts and DataFire's OAuth actions", () => {
    const expected = JSON.parse(JSON.stringify(generated.getDetails(true)));
    expected.actions.push(...JSON.parse(JSON.stringify(withOAuth.getDetails(true).actions)));
    expected.actionCount += 2;
    const pathProperty = { type: 'string', description: 'Path of a file on disk: streamed with its length, never read whole into memory.' };
    expected.security[ID].fields.host = 'The service base URL, e.g. https://eastus.api.azureml.ms (or give region)';
    expected.security[ID].fields.region = "The workspace's Azure region, e.g. eastus: the host is then https://{region}.api.azureml.ms";
    expected.actions[1].inputSchema.properties.runDefinitionFile.properties.path = pathProperty;
    expected.actions[1].inputSchema.properties.projectZipFile.properties.path = pathProperty;
    expect(JSON.parse(JSON.stringify(integration.getDetails(true)))).toEqual(expected);
    const summary = JSON.parse(JSON.stringify(generated.getDetails()));
    summary.security = expected.security;
    summary.actionCount += 2;
    expect(JSON.parse(JSON.stringify(integration.getDetails()))).toEqual(summary);
  });

  it('gives datafire.Action instances with the same titles, descriptions and schemas', () => {
    for (const name of OAUTH_ACTIONS) {
      expect(integration.action(name)).toBeInstanceOf(datafire.Action);
      expect(integration.action(name).inputSchema).toEqual(withOAuth.action(name).inputSchema);
    }
    for (const name of Object.keys(generated.actions)) {
      const ours = integration.action(name);
      const theirs = generated.action(name);
      expect(ours).toBeInstanceOf(datafire.Action);
      expect(ours.id).toBe(theirs.id);
      expect(ours.title).toBe(theirs.title);
      expect(ours.description).toBe(theirs.description);
      expect(ours.outputSchema).toEqual(theirs.outputSchema);
      expect(Object.keys(ours.inputSchema.properties ?? {})).toEqual(Object.keys(theirs.inputSchema.properties));
      expect(ours.inputSchema.required).toEqual(theirs.inputSchema.required);
    }
    expect(() => integration.action('Runs_Nope')).toThrow(`Action ${ID}/Runs_Nope not found.`);
  });
});

describe('Action.fromName with the integration registered', () => {
  const fromName = (name: string) => datafire.Action.fromName(`${ID}/${name}`, REPO, { [ID]: integration });

  it('runs Runs_StartRun', async () => {
    server.reply({ body: { runId: 'df_1' } });
    const input = { ...WORKSPACE, runDefinitionFile: DEFINITION, projectZipFile: { content: ZIP_BYTES.toString('base64'), encoding: 'base64' } };
    expect(await fromName('Runs_StartRun').run(input, context())).toEqual({ runId: 'df_1' });
    expect(server.requests[0].url).toMatch(new RegExp(`^${BASE_PATH}/startrun\\?runId=my-exp_\\d+_[0-9a-f]{8}$`));
    expect(server.requests[0].body.includes(ZIP_BYTES)).toBe(true);
  });

  it('runs Runs_StartSnapshotRun', async () => {
    server.reply({ body: { runId: 'df_2' } });
    expect(await fromName('Runs_StartSnapshotRun').run({ ...WORKSPACE, definition: DEFINITION }, context())).toEqual({ runId: 'df_2' });
    expect(server.requests[0].url).toMatch(new RegExp(`^${BASE_PATH}/snapshotrun\\?runId=`));
  });

  it('runs Runs_StartLocalRun and gives the bytes intact', async () => {
    server.reply({ headers: { 'content-type': 'application/octet-stream' }, body: ALL_BYTES });
    const out = await fromName('Runs_StartLocalRun').run({ ...WORKSPACE, definition: DEFINITION }, context());
    expect(Buffer.isBuffer(out) && out.equals(ALL_BYTES)).toBe(true);
  });

  it('runs Runs_CancelRunWithUri', async () => {
    server.reply({ body: { runId: 'df_3' } });
    expect(await fromName('Runs_CancelRunWithUri').run({ ...WORKSPACE, runId: 'df_3' }, context())).toEqual({ runId: 'df_3' });
    expect(server.requests[0].url).toBe(`${BASE_PATH}/runId/df_3/cancel`);
  });

  it('says which account is missing from the context, as DataFire does', async () => {
    await expect(fromName('Runs_CancelRunWithUri').run({ ...WORKSPACE, runId: 'r' }, new datafire.Context())).rejects.toThrow(
      `Account ${ID} not specified for action ${ID}/Runs_CancelRunWithUri. Did you remember to pass in the 'context' object?`,
    );
    expect(server.requests).toHaveLength(0);
  });
});

describe('one account for every integration of this package', () => {
  const RH = 'azure_machinelearningservices_runhistory';
  const runHistory = require('../src/runhistory') as typeof import('../src/runhistory');
  const details = () => datafire.Action.fromName(`${RH}/Runs_GetDetails`, REPO, { [RH]: runHistory });

  it('runs a Run History action in a flow whose context has only the Execution account', async () => {
    server.reply({ body: { runId: 'rh_1', status: 'Running' } });
    expect(await details().run({ ...WORKSPACE, runId: 'rh_1' }, context())).toEqual({ runId: 'rh_1', status: 'Running' });
    expect(server.requests[0].url).toBe(`${BASE_PATH.replace('/execution/v1.0/', '/history/v1.0/')}/runs/rh_1/details`);
    expect(server.requests[0].headers.authorization).toBe(`Bearer ${TOKEN}`);
  });

  it('prefers its own account when the context has one', async () => {
    server.reply({ body: { runId: 'rh_2' } });
    const both = new datafire.Context({ accounts: { [ID]: { access_token: 'execution-token', host: 'http://127.0.0.1:9' }, [RH]: { access_token: TOKEN, host: server.url } } });
    await details().run({ ...WORKSPACE, runId: 'rh_2' }, both);
    expect(server.requests[0].headers.authorization).toBe(`Bearer ${TOKEN}`);
  });

  it('names both accounts when neither is in the context', async () => {
    await expect(details().run({ ...WORKSPACE, runId: 'r' }, new datafire.Context())).rejects.toThrow(
      `Account ${RH} (or ${ID}, which every integration of this package takes) not specified for action ${RH}/Runs_GetDetails. Did you remember to pass in the 'context' object?`,
    );
  });
});

describe('a DataFire copy other than the one this package resolves', () => {
  it('can wrap the plain action with new Action({handler, ...}), compiling its schemas with its own ajv 4', async () => {
    server.reply({ body: { runId: 'w_1' } });
    const plain = integration.actions.Runs_CancelRunWithUri.action;
    expect(plain).not.toBeInstanceOf(datafire.Action);
    const wrapped = new datafire.Action(plain);
    expect(await wrapped.run({ ...WORKSPACE, runId: 'w_1' }, context())).toEqual({ runId: 'w_1' });
    expect(server.requests[0].url).toBe(`${BASE_PATH}/runId/w_1/cancel`);
  });
});

describe('actions.<name>(input, context)', () => {
  it('reads the account from context.accounts, following an alias', async () => {
    server.reply({ body: { runId: 'a_1' } });
    const ctx = { accounts: { main: { access_token: TOKEN, host: server.url }, [ID]: 'main' } };
    expect(await integration.actions.Runs_CancelRunWithUri({ ...WORKSPACE, runId: 'a_1' }, ctx)).toEqual({ runId: 'a_1' });
    expect(server.requests[0].headers.authorization).toBe(`Bearer ${TOKEN}`);
    expect(integration.actions.Runs_CancelRunWithUri.action.id).toBe(`${ID}/Runs_CancelRunWithUri`);
  });
});

describe('a DataFire.yml project', () => {
  let dir: string;
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'azureml-datafire-'));
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('loads the integration it registers and runs a flow that calls it, with accounts from DataFire-accounts.yml', async () => {
    fs.writeFileSync(
      path.join(dir, 'DataFire.yml'),
      ['integrations:', `  ${ID}: ${path.relative(dir, REPO)}`, 'actions:', '  cancel_and_report: ./cancel-and-report.js'].join('\n'),
    );
    fs.writeFileSync(path.join(dir, 'DataFire-accounts.yml'), ['accounts:', `  ${ID}:`, `    access_token: ${TOKEN}`, `    host: ${server.url}`].join('\n'));
    fs.writeFileSync(
      path.join(dir, 'cancel-and-report.js'),
      `const datafire = require(${JSON.stringify(path.join(REPO, 'node_modules', 'datafire'))});
const azureml = require(${JSON.stringify(REPO)});
module.exports = new datafire.Action({
  inputs: [{ title: 'runId', type: 'string' }],
  handler: async (input, context) => {
    const ws = ${JSON.stringify(WORKSPACE)};
    const result = await azureml.actions.Runs_CancelRunWithUri({ ...ws, runId: input.runId }, context);
    return { canceled: result.runId };
  },
});
`,
    );
    server.reply({ body: { runId: 'flow_1' } });
    const project = datafire.Project.fromDirectory(dir);
    expect(Object.keys(project.integrations)).toEqual([ID]);
    expect(project.integrations[ID].id).toBe(ID);
    const result = await project.actions.cancel_and_report.run({ runId: 'flow_1' }, project.getContext());
    expect(result).toEqual({ canceled: 'flow_1' });
    expect(server.requests.map((r) => `${r.method} ${r.url}`)).toEqual([`POST ${BASE_PATH}/runId/flow_1/cancel`]);
  });
});

describe('the datafire run command', () => {
  const accountFlags = () => [`--accounts.${ID}.access_token=${TOKEN}`, `--accounts.${ID}.host=${server.url}`];

  /** The action's output, as `datafire run --outputFile x.json` writes it (stdout is colored YAML-ish text). */
  async function datafireRun(cwd: string, args: string[]): Promise<string> {
    const outputFile = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'azureml-out-')), 'output.json');
    try {
      await run(process.execPath, [DATAFIRE_CLI, 'run', ...args, `--outputFile=${outputFile}`], { cwd, timeout: 20000 });
      return fs.readFileSync(outputFile, 'utf8');
    } finally {
      fs.rmSync(path.dirname(outputFile), { recursive: true, force: true });
    }
  }

  it("runs this repository's action files", async () => {
    server.reply({ body: { runId: 'cli_1' } });
    const out = await datafireRun(REPO, ['./actions/cancel-run.js', ...Object.entries({ ...WORKSPACE, runId: 'cli_1' }).map(([k, v]) => `--input.${k}=${v}`), ...accountFlags()]);
    expect(JSON.parse(out)).toEqual({ runId: 'cli_1' });
    expect(server.requests[0].url).toBe(`${BASE_PATH}/runId/cli_1/cancel`);
  });

  it('runs every action by its integration id, installed as @datafire/azure_machinelearningservices_execution (npm alias)', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'azureml-alias-'));
    try {
      fs.mkdirSync(path.join(dir, 'node_modules', '@datafire'), { recursive: true });
      fs.symlinkSync(REPO, path.join(dir, 'node_modules', '@datafire', ID), 'dir');
      const inputs: Record<string, object> = {
        Runs_StartRun: { ...WORKSPACE, runDefinitionFile: DEFINITION, projectZipFile: { content: ZIP_BYTES.toString('base64'), encoding: 'base64' } },
        Runs_StartSnapshotRun: { ...WORKSPACE, definition: DEFINITION },
        Runs_StartLocalRun: { ...WORKSPACE, definition: DEFINITION },
        Runs_CancelRunWithUri: { ...WORKSPACE, runId: 'cli_2' },
      };
      for (const [name, input] of Object.entries(inputs)) {
        fs.writeFileSync(path.join(dir, `${name}.json`), JSON.stringify(input));
        server.requests.length = 0;
        server.reply(
          name === 'Runs_StartLocalRun' ? { headers: { 'content-type': 'application/octet-stream' }, body: Buffer.from('PK\x05\x06') } : { body: { runId: `${name}_run` } },
        );
        const out = await datafireRun(dir, [`${ID}/${name}`, `--inputFile=${name}.json`, ...accountFlags()]);
        // A file answer under `datafire run` is a summary (its bytes go to --outputFile): not 800 lines of numbers.
        const expected =
          name === 'Runs_StartLocalRun' ? { contentType: 'application/zip', bytes: 4, hint: 'add --outputFile <name>.zip to save the file' } : { runId: `${name}_run` };
        expect([name, JSON.parse(out)]).toEqual([name, expected]);
        expect(server.requests).toHaveLength(1);
      }
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
