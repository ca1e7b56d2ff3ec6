/**
 * The Run History integration (`azure_machinelearningservices_runhistory`): experiments, runs,
 * run details, run queries, a run's artifacts and its metrics, with the same request path,
 * validation, errors and account as the Execution Service actions. `require('azureml-execution/runhistory')` is the integration, for
 * DataFire.yml's `integrations:`; `require('azureml-execution').runHistory` is the same object.
 */
import { createIntegration, type Integration } from './datafire/integration';
import { runHistorySpec } from './spec/runhistory/spec';
import type { RunHistoryActions } from './spec/runhistory/types';

const integration: Integration<RunHistoryActions> = createIntegration<RunHistoryActions>(runHistorySpec);

export const id = integration.id;
export const title = integration.title;
export const description = integration.description;
export const security = integration.security;
export const actions = integration.actions;
export const allActions = integration.allActions;
export const create: Integration<RunHistoryActions>['create'] = (account, options) => integration.create(account, options);
export const action: Integration<RunHistoryActions>['action'] = (name) => integration.action(name);
export const getDetails: Integration<RunHistoryActions>['getDetails'] = (withActions) => integration.getDetails(withActions);

export type * from './spec/runhistory/types';
