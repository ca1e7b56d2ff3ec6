/** The AZUREML_* environment that points the CLI, DataFire flows and handlers at an emulator. */
import type { Emulator, ExperimentLocator } from '../../src';

export function emulatorEnvironment(emulator: Emulator, workspace: ExperimentLocator, token = 'any-token'): Record<string, string> {
  return {
    AZUREML_HOST: emulator.url,
    AZUREML_ACCESS_TOKEN: token,
    AZUREML_SUBSCRIPTION_ID: workspace.subscriptionId,
    AZUREML_RESOURCE_GROUP: workspace.resourceGroupName,
    AZUREML_WORKSPACE: workspace.workspaceName,
    AZUREML_EXPERIMENT: workspace.experimentName,
  };
}
