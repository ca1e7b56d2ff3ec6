/**
 * Run definitions come in the swagger's camelCase and in the PascalCase of the service's own
 * definition.json files (seed 003: "Configuration", "Script", ...). This maps either onto the
 * swagger's names, walking the RunDefinition schema: keys of maps (environment variables, data
 * references) and free-form objects (conda dependencies) are left as they are.
 */
import type { JSONSchema } from './operation-spec';

export interface UnknownKey {
  /** The key's dotted path (`configuration.Scirpt`). */
  path: string;
  /** The key as given (`Scirpt`). */
  key: string;
  /** The names the schema knows at that place, for a did-you-mean. */
  known: string[];
}

export interface NormalizedDefinition {
  definition: Record<string, unknown>;
  /** Keys the schema does not know, left in place as given. */
  unknownKeys: UnknownKey[];
}

/**
 * Fields the service reads that the 2019 swagger does not list, by definition: those of the Azure
 * ML SDK's RunConfiguration (azureml-core, `RunConfiguration._field_to_info`, serialized in
 * camelCase). Seed 003's own definition.json has one (`SourceDirectoryDataStore`): they are
 * known names, not typos; their values are passed on as given.
 */
export const SERVICE_FIELDS_NOT_IN_SWAGGER: Readonly<Record<string, readonly string[]>> = {
  RunConfiguration: [
    'sourceDirectoryDataStore',
    'autoPrepareEnvironment',
    'priority',
    'docker',
    'pytorch',
    'paralleltask',
    'data',
    'datacaches',
    'outputData',
    'amlcompute',
    'kubernetescompute',
    'credentialPassthrough',
    'command',
    'environmentVariables',
    'applicationEndpoints',
  ],
};

function resolve(schema: JSONSchema, definitions: Record<string, JSONSchema>): { schema: JSONSchema; name?: string } {
  let current = schema;
  let name: string | undefined;
  for (let depth = 0; current.$ref && depth < 16; depth++) {
    name = current.$ref.replace('#/definitions/', '');
    current = definitions[name] ?? {};
  }
  return { schema: current, name };
}

function normalizeValue(value: unknown, schema: JSONSchema, definitions: Record<string, JSONSchema>, path: string, unknown: UnknownKey[]): unknown {
  const { schema: resolved, name: definitionName } = resolve(schema, definitions);
  if (Array.isArray(value)) {
    return resolved.items ? value.map((item, i) => normalizeValue(item, resolved.items!, definitions, `${path}[${i}]`, unknown)) : value;
  }
  if (!value || typeof value !== 'object') return value;
  const input = value as Record<string, unknown>;
  if (resolved.properties) {
    const byLowerName = new Map(Object.keys(resolved.properties).map((name) => [name.toLowerCase(), name]));
    const extras = new Map((SERVICE_FIELDS_NOT_IN_SWAGGER[definitionName ?? ''] ?? []).map((name) => [name.toLowerCase(), name]));
    const out: Record<string, unknown> = {};
    for (const [key, item] of Object.entries(input)) {
      const name = byLowerName.get(key.toLowerCase());
      const extra = name ? undefined : extras.get(key.toLowerCase());
      const itemPath = path ? `${path}.${name ?? extra ?? key}` : (name ?? extra ?? key);
      if (extra) {
        out[extra] = item;
        continue;
      }
      if (!name) {
        unknown.push({ path: itemPath, key, known: [...Object.keys(resolved.properties), ...extras.values()] });
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
  const unknownKeys: UnknownKey[] = [];
  const definition = normalizeValue(raw, { $ref: '#/definitions/RunDefinition' }, definitions, '', unknownKeys) as Record<string, unknown>;
  return { definition, unknownKeys };
}
