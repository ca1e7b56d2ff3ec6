/**
 * A run's artifacts with their content links (RunArtifacts_ListSasByPrefix, every page): origin
 * ExperimentRun, container dcid.<runId>. The links are signed (SAS URLs on the service) and are
 * read without the bearer token.
 */
import type { CallOptions } from '../../http/call-options';
import type { ArtifactContentInformation } from '../../spec/runhistory/types';
import type { WorkflowContext } from '../context';
import type { RunLocator } from '../locator';
import { followPages } from '../paging';

/** Every artifact whose path starts with `prefix` ('' for all), across pages. */
export function iterateArtifacts(
  ctx: WorkflowContext,
  run: RunLocator,
  prefix: string,
  action: string,
  call: CallOptions = {},
): AsyncGenerator<ArtifactContentInformation, void, undefined> {
  return followPages((token) => ctx.client.RunArtifacts_ListSasByPrefix({ ...run, path: prefix, ...(token ? { continuationToken: token } : {}) }, call), action);
}
