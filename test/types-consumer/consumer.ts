// Compiled (not run) by types.test.ts against dist/ as a user's TypeScript project sees the package.
import azureml, {
  create,
  AzureMLServiceError,
  type Account,
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

// @ts-expect-error framework is one of the swagger's enum values
export const badFramework: RunDefinition = { configuration: { framework: 'Java' } };
// @ts-expect-error projectZipFile is required
export const missingZip: Runs_StartRunInput = { ...input, projectZipFile: undefined };
// @ts-expect-error a local run answers a Buffer, not a StartRunResult
export const wrongOutput = (): Promise<StartRunResult> => client.Runs_StartLocalRun({ ...input, definition });
