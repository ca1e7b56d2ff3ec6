/**
 * Run History's paged answers (`{ value, continuationToken }`), followed to the end: every item of
 * every page, in order. A token met twice would page forever: the service is wrong, and it is
 * said rather than looped on.
 */
import { AzureMLError } from '../errors';

export interface Page<T> {
  value?: T[] | null;
  continuationToken?: string | null;
}

export async function* followPages<T>(fetchPage: (token: string | undefined) => Promise<Page<T>>, action: string): AsyncGenerator<T, void, undefined> {
  const seen = new Set<string>();
  let token: string | undefined;
  do {
    const page = await fetchPage(token);
    yield* page.value ?? [];
    token = page.continuationToken ?? undefined;
    if (token !== undefined && seen.has(token)) throw new AzureMLError({ message: `Action ${action} got the same continuation token twice; stopped paging`, action });
    if (token !== undefined) seen.add(token);
  } while (token);
}
