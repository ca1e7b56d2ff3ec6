// Compiled (not run) by types.test.ts against dist/ as a user's TypeScript project sees the package.
import azureml, {
  create,
  AzureMLRunFailedError,
  AzureMLServiceError,
  type Account,
  type AzureMLClient,
  type Run,
  type RunDetails,
  type RunLog,
  type SubmittedRun,
  type ExecutionActions,
  type RunDefinition,
  type Runs_StartRunInput,
  type StartRunResult,
} from 'azureml-execution';

const account: Account = { access_token: 'token', region: 'eastus' };
const client: ExecutionActions = create(account);
const definition: RunDefinition = { configuration: { script: 'hello.py', framework: 'Python', arguments: ['1'] } };
const input: Runs_StartRunInput = {
  subscriptionId: '00000000-0000-0000-0000-000000000000',
  resourceGroupName: 'rg',
  workspaceName: 'ws',
  experimentName: 'exp',
  runDefinitionFile: definition,
  projectZipFile: { path: 'project.zip' },
};

export async function typed(): Promise<void> {
  const started: StartRunResult = await client.Runs_StartRun(input);
  const zip: Buffer = await client.Runs_StartLocalRun({ ...input, definition });
  const viaDefault: StartRunResult = await azureml.create(account).Runs_CancelRunWithUri({ ...input, runId: started.runId });
  void zip;
  void viaDefault;
  try {
    await client.Runs_StartSnapshotRun({ ...input, definition: { snapshotId: 'x' } });
  } catch (error) {
    if (error instanceof AzureMLServiceError) {
      const code: string | undefined = error.code;
      const status: number = error.statusCode;
      void code;
      void status;
    }
  }
}

// One client: Run History actions and the workflow, with workspace defaults.
export async function workflow(): Promise<void> {
  const aml: AzureMLClient = create(account, { workspace: { subscriptionId: 's', resourceGroupName: 'rg', workspaceName: 'ws', experimentName: 'exp' } });
  const run: SubmittedRun = await aml.submitRun({ project: './project', script: 'train.py', arguments: ['--epochs', '3'] }, { onUploadProgress: (p) => void p.sentBytes });
  const details: RunDetails = await aml.waitForRun(run.runId, { onLog: (text: string) => void text });
  const log: RunLog = await aml.getRunLog(run, { fromByte: 10 });
  const runs: Run[] = await aml.listRuns({ status: 'Failed', top: 5 });
  for await (const each of aml.iterateRuns({ queryParams: { filter: "Status eq 'Running'" } })) void each.runId;
  const { subscriptionId, resourceGroupName, workspaceName, experimentName, runId } = run;
  const got: Run = await aml.Runs_Get({ subscriptionId, resourceGroupName, workspaceName, experimentName, runId });
  void [details, log, runs, got];
  try {
    await aml.waitForRun(run);
  } catch (error) {
    if (error instanceof AzureMLRunFailedError) void error.runError?.error?.code;
  }
  // @ts-expect-error submitRun needs a project
  await aml.submitRun({ script: 'train.py' });
}

// @ts-expect-error framework is one of the swagger's enum values
export const badFramework: RunDefinition = { configuration: { framework: 'Java' } };
// @ts-expect-error projectZipFile is required
export const missingZip: Runs_StartRunInput = { ...input, projectZipFile: undefined };
// @ts-expect-error a local run answers a Buffer, not a StartRunResult
export const wrongOutput = (): Promise<StartRunResult> => client.Runs_StartLocalRun({ ...input, definition });

// The v2 API: its own entry point, typed jobs, and the workflow with api: 'v2'.
import * as v2 from 'azureml-execution/v2';

export async function jobs(): Promise<void> {
  const arm = v2.create({ access_token: 'token', management_host: 'https://management.azure.com' });
  const where = { subscriptionId: 's', resourceGroupName: 'rg', workspaceName: 'my-workspace' };
  const body: v2.JobBaseResource = { properties: { jobType: 'Command', command: 'python train.py', environmentId: 'azureml:env:1', displayName: null } };
  const created: v2.JobBaseResource = await arm.Jobs_CreateOrUpdate({ ...where, id: 'job-1', body });
  const status: v2.JobStatus | undefined = created.properties.status;
  const { job, dropped } = v2.toCommandJob({ configuration: { script: 'train.py' } }, { environmentId: 'azureml:env:1' });
  const command: string = job.command;
  const aml = create(account, { api: 'v2', workspace: { ...where, experimentName: 'exp' } });
  const submitted = await aml.submitJob({ project: './project', command: 'python train.py --lr ${{inputs.lr}}', inputs: { lr: 0.1 }, environmentId: 'azureml:env:1' });
  const reused: boolean | undefined = submitted.code?.reused;
  await aml.waitForRun(submitted);
  void [status, dropped, command, reused];
  // @ts-expect-error a command job's jobType is 'Command'
  const wrong: v2.CommandJob = { jobType: 'Sweep', command: 'x', environmentId: 'e' };
  // @ts-expect-error the api is v1 or v2
  create(account, { api: 'v3' });
  void wrong;
}
