/**
 * Removes secrets from text a server sent back: a service that echoes the request (a proxy's
 * error page, a debug endpoint) would otherwise put the bearer token or the client secret into
 * an error message. Only whole values of at least MIN_SECRET_LENGTH characters are replaced, as
 * typed and URL-encoded: a one-letter "secret" must not garble every message that holds the letter.
 */
export const MIN_SECRET_LENGTH = 8;
export const SCRUBBED = '[REDACTED]';

/** The values worth scrubbing: strings long enough to be secrets, longest first. */
export function secretValues(values: Iterable<unknown>): string[] {
  const out = new Set<string>();
  for (const value of values) {
    if (typeof value !== 'string' || value.length < MIN_SECRET_LENGTH) continue;
    // As typed, URL-encoded and form-encoded (the Set keeps one of each that is the same).
    out.add(value);
    out.add(encodeURIComponent(value));
    out.add(new URLSearchParams({ v: value }).toString().slice(2));
  }
  // Longest first: a secret that contains another is replaced whole.
  return [...out].sort((a, b) => b.length - a.length);
}

export function scrubSecrets(text: string, secrets: readonly string[] | undefined): string {
  if (!secrets?.length || !text) return text;
  let out = text;
  for (const secret of secrets) out = out.split(secret).join(SCRUBBED);
  return out;
}
