/**
 * When the account's access token expires, if it says: `expires_at` or DataFire's `expiration`,
 * as an ISO date or epoch seconds (or milliseconds). A value that is neither is an error.
 */
import type { Account } from '../account/account';
import { AzureMLAccountError } from '../errors';

export function accountExpiry(account: Account, integrationId: string): number | undefined {
  for (const field of ['expires_at', 'expiration'] as const) {
    const value = account[field];
    if (value === undefined || value === null || value === '') continue;
    let ms: number;
    if (typeof value === 'number' || (typeof value === 'string' && /^\d+(\.\d+)?$/.test(value))) {
      const n = Number(value);
      ms = n < 1e12 ? n * 1000 : n; // seconds or milliseconds since the epoch
    } else if (typeof value === 'string' || value instanceof Date) {
      ms = new Date(value as string | Date).getTime();
    } else {
      ms = NaN;
    }
    if (!Number.isFinite(ms)) {
      throw new AzureMLAccountError({
        message: `The ${integrationId} account's ${field} must be an ISO date (e.g. 2026-11-23T12:00:00Z) or seconds since the epoch (got ${JSON.stringify(value)})`,
        fields: [field],
      });
    }
    return ms;
  }
  return undefined;
}
