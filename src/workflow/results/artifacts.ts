/**
 * A run's artifacts with their content links (RunArtifacts_ListSasByPrefix, every page): origin
 * ExperimentRun, container dcid.<runId>. The links are signed (SAS URLs on the service) and are
 * read without the bearer token.
 */
import type { CallOptions } from '../../http/call-options';
import { AzureMLError } from '../../errors';
import type { ArtifactContentInformation } from '../../spec/runhistory/types';
import type { WorkflowContext } from '../context';
import type { RunLocator } from '../locator';

/** Every artifact whose path starts with `prefix` ('' for all), across pages. */
export async function* iterateArtifacts(
  ctx: WorkflowContext,
  run: RunLocator,
  prefix: string,
  action: string,
  call: CallOptions = {},
): AsyncGenerator<ArtifactContentInformation, void, undefined> {
  const seen = new Set<string>();
  let token: string | undefined;
  do {
    const page = await ctx.client.RunArtifacts_ListSasByPrefix({ ...run, path: prefix, ...(token ? { continuationToken: token } : {}) }, call);
    yield* page.value ?? [];
    token = page.continuationToken ?? undefined;
    if (token !== undefined && seen.has(token)) throw new AzureMLError({ message: `Action ${action} got the same continuation token twice; stopped paging`, action });
    if (token !== undefined) seen.add(token);
  } while (token);
}
