/**
 * The v2 API of Azure Machine Learning (`azure_machinelearningservices_v2`): the jobs, code
 * versions and computes of Azure Resource Manager (Microsoft.MachineLearningServices,
 * api-version 2024-10-01), generated from src/spec/arm/openapi.json like the Execution Service
 * actions, with the same request path, validation, errors and account.
 *
 * `require('azureml-execution/v2')` is the integration, for DataFire.yml's `integrations:`, and
 * `create(account).Jobs_CreateOrUpdate(input)` for Node. Requests go to the account's
 * `management_host` (the emulator), else its `cloud`'s Resource Manager, else
 * https://management.azure.com; `api-version` is sent with every call.
 */
import { createIntegration, type Integration } from './datafire/integration';
import { v2Spec } from './spec/arm/spec';
import type { V2Actions } from './spec/arm/types';

const integration: Integration<V2Actions> = createIntegration<V2Actions>(v2Spec);

export const id = integration.id;
export const title = integration.title;
export const description = integration.description;
export const security = integration.security;
export const actions = integration.actions;
export const allActions = integration.allActions;
export const create: Integration<V2Actions>['create'] = (account, options) => integration.create(account, options);
export const action: Integration<V2Actions>['action'] = (name) => integration.action(name);
export const getDetails: Integration<V2Actions>['getDetails'] = (withActions) => integration.getDetails(withActions);

/** The api-version every call sends unless its input names another. */
export const apiVersion = v2Spec.apiVersion!;

export type * from './spec/arm/types';

type Converter = typeof import('./workflow/v2/to-command-job');
export type { ConvertedJob, DroppedField, ToCommandJobOptions } from './workflow/v2/to-command-job';

/**
 * A v1 run definition as the v2 command job that does the same work, with the fields v2 has no
 * place for: `const { job, dropped } = toCommandJob(definition, { environmentId })`, then
 * `Jobs_CreateOrUpdate({ ..., id, body: { properties: job } })`.
 */
export function toCommandJob(...args: Parameters<Converter['toCommandJob']>): ReturnType<Converter['toCommandJob']> {
  return (require('./workflow/v2/to-command-job') as Converter).toCommandJob(...args);
}
