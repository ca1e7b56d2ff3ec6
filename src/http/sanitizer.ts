/**
 * What may be logged of a request or an answer, as Azure's core pipeline sanitizer decides:
 * headers and query parameters on an allow-list show their values, every other one shows
 * REDACTED. Authorization, cookies and SAS signatures are never on the list. Bodies are never logged.
 */
const ALLOWED_HEADERS = new Set([
  'accept',
  'accept-encoding',
  'accept-ranges',
  'cache-control',
  'connection',
  'content-encoding',
  'content-length',
  'content-range',
  'content-type',
  'date',
  'etag',
  'expires',
  'keep-alive',
  'last-modified',
  'location',
  'pragma',
  'range',
  'request-id',
  'retry-after',
  'retry-after-ms',
  'server',
  'transfer-encoding',
  'user-agent',
  'www-authenticate',
  'x-ms-client-request-id',
  'x-ms-correlation-request-id',
  'x-ms-request-id',
  'x-ms-retry-after-ms',
]);

const ALLOWED_QUERY = new Set(['api-version', 'runId', '$top', '$count', '$orderby', '$sortorder']);

export const REDACTED = 'REDACTED';

export function sanitizeHeaders(headers: Record<string, string | string[] | number | undefined>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value === undefined) continue;
    out[name] = ALLOWED_HEADERS.has(name.toLowerCase()) ? (Array.isArray(value) ? value.join(', ') : String(value)) : REDACTED;
  }
  return out;
}

/** The URL with its user info gone and query values off the allow-list REDACTED; with `redactPath`, only its origin. */
export function sanitizeUrl(url: string, redactPath = false): string {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return REDACTED;
  }
  if (redactPath) return `${parsed.origin}/${REDACTED}`;
  parsed.username = '';
  parsed.password = '';
  // Pair by pair, in order: a key given twice is kept twice, once each.
  const kept = new URLSearchParams();
  for (const [key, value] of parsed.searchParams) kept.append(key, ALLOWED_QUERY.has(key) ? value : REDACTED);
  parsed.search = kept.toString();
  return parsed.toString();
}
