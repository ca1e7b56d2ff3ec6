/** A JSON object: not null, not an array. What every "input must be an object" check means. */
export function isObject(value: unknown): value is Record<string, unknown> {
  return !!value && typeof value === 'object' && !Array.isArray(value);
}
