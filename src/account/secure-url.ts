/**
 * Where credentials may go. A bearer token, a refresh token or a client secret sent over plain
 * http can be read by anyone on the way, so http is refused unless the other end is this machine
 * (127.0.0.0/8, ::1, localhost: the emulator) or the account says `allow_insecure_http: true`.
 */
import { isIP } from 'net';
import { AzureMLAccountError } from '../errors';
import type { Account } from './account';

/** 127.0.0.0/8, ::1 and localhost: traffic that never leaves this machine. */
export function isLoopbackHostname(hostname: string): boolean {
  const bare = hostname.replace(/^\[|\]$/g, '').toLowerCase();
  if (bare === 'localhost') return true;
  if (isIP(bare) === 4) return bare.startsWith('127.');
  return isIP(bare) === 6 && (bare === '::1' || bare === '0:0:0:0:0:0:0:1');
}

/** The URL as it may be shown: no user name, no password, no query (which may hold a signature). */
export function displayUrl(url: string): string {
  try {
    const parsed = new URL(url);
    return `${parsed.protocol}//${parsed.host}${parsed.pathname}`;
  } catch {
    return withoutUserInfo(url).split('?')[0];
  }
}

/** Text with `scheme://user:password@` reduced to `scheme://`: for echoing a value that did not parse. */
export function withoutUserInfo(text: string): string {
  return text.replace(/([a-z][a-z0-9+.-]*:\/\/)[^/@\s]*@/gi, '$1');
}

/**
 * Parses an account's URL field: absolute, http or https (any case), and https unless loopback or
 * allowed. The error names the field and never the credentials a URL may carry.
 */
export function credentialUrl(value: string, field: string, account: Account, integrationId: string, action?: string): URL {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new AzureMLAccountError({ message: `The ${integrationId} account's ${field} must be an absolute https URL (got "${withoutUserInfo(value)}")`, fields: [field], action });
  }
  // URL lower-cases the scheme: HTTP:// and http:// are the same here.
  if (url.protocol !== 'https:' && url.protocol !== 'http:') {
    throw new AzureMLAccountError({ message: `The ${integrationId} account's ${field} must use https (got "${url.protocol}")`, fields: [field], action });
  }
  if (url.protocol === 'http:' && !isLoopbackHostname(url.hostname) && account.allow_insecure_http !== true) {
    throw new AzureMLAccountError({
      message: `The ${integrationId} account's ${field} is plain http to another machine (${url.host}): tokens and secrets would cross the network unencrypted. Use https, or set allow_insecure_http: true on the account`,
      fields: [field, 'allow_insecure_http'],
      action,
    });
  }
  return url;
}
