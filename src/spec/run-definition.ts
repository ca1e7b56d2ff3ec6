/**
 * Run definitions come in the swagger's camelCase and in the PascalCase of the service's own
 * definition.json files (seed 003: "Configuration", "Script", ...). This maps either onto the
 * swagger's names, walking the RunDefinition schema: keys of maps (environment variables, data
 * references) and free-form objects (conda dependencies) are left as they are.
 */
import type { JSONSchema } from './operation-spec';

export interface NormalizedDefinition {
  definition: Record<string, unknown>;
  /** Keys the schema does not know, as dotted paths (`configuration.Scirpt`). */
  unknownKeys: string[];
}

function resolve(schema: JSONSchema, definitions: Record<string, JSONSchema>): JSONSchema {
  let current = schema;
  for (let depth = 0; current.$ref && depth < 16; depth++) {
    current = definitions[current.$ref.replace('#/definitions/', '')] ?? {};
  }
  return current;
}

function normalizeValue(value: unknown, schema: JSONSchema, definitions: Record<string, JSONSchema>, path: string, unknown: string[]): unknown {
  const resolved = resolve(schema, definitions);
  if (Array.isArray(value)) {
    return resolved.items ? value.map((item, i) => normalizeValue(item, resolved.items!, definitions, `${path}[${i}]`, unknown)) : value;
  }
  if (!value || typeof value !== 'object') return value;
  const input = value as Record<string, unknown>;
  if (resolved.properties) {
    const byLowerName = new Map(Object.keys(resolved.properties).map((name) => [name.toLowerCase(), name]));
    const out: Record<string, unknown> = {};
    for (const [key, item] of Object.entries(input)) {
      const name = byLowerName.get(key.toLowerCase());
      const itemPath = path ? `${path}.${name ?? key}` : name ?? key;
      if (!name) {
        unknown.push(itemPath);
        out[key] = item;
        continue;
      }
      out[name] = normalizeValue(item, resolved.properties[name], definitions, itemPath, unknown);
    }
    return out;
  }
  if (resolved.additionalProperties && typeof resolved.additionalProperties === 'object') {
    const itemSchema = resolved.additionalProperties;
    return Object.fromEntries(Object.entries(input).map(([key, item]) => [key, normalizeValue(item, itemSchema, definitions, `${path}.${key}`, unknown)]));
  }
  return value; // a free-form object
}

export function normalizeRunDefinition(raw: Record<string, unknown>, definitions: Record<string, JSONSchema>): NormalizedDefinition {
  const unknownKeys: string[] = [];
  const definition = normalizeValue(raw, { $ref: '#/definitions/RunDefinition' }, definitions, '', unknownKeys) as Record<string, unknown>;
  return { definition, unknownKeys };
}
