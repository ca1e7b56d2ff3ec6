/**
 * Run definitions as the service reads them, and as people and the Azure ML SDK write them:
 * - in the swagger's camelCase, or the PascalCase of the service's own definition.json files
 *   (seed 003: "Configuration", "Script", ...), mapped onto the swagger's names by walking the
 *   schema (keys of maps, such as environment variables, and free-form objects are left alone);
 * - with nulls anywhere (the SDK writes `"maxRunDurationSeconds": null`): a null is "not given";
 * - with fields the 2019 swagger does not list (`identity`, `docker.shmSize`,
 *   `history.enableMLflowTracking`...): passed on as given. What the swagger defines is checked.
 */
import { closestName } from './closest-name';
import type { JSONSchema } from './operation-spec';
import { definitionSchema, validateSchema, type InputProblem } from './validate';

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
 * Fields the service reads that the 2019 swagger does not list, by definition, spelled as the
 * service stores them (a run's `runDefinition` as Azure ML kept it in 2024, written by azureml-core
 * 1.54: test/fixtures/definitions/sdk-automl-2024.json). Seed 003's own definition.json has one
 * (`SourceDirectoryDataStore`). They are known names, not typos: a PascalCase spelling is mapped
 * onto them, and `unknownFields: 'warn'` does not report them. Their values are passed on as given.
 */
export const SERVICE_FIELDS_NOT_IN_SWAGGER: Readonly<Record<string, readonly string[]>> = {
  RunConfiguration: [
    'sourceDirectoryDataStore',
    'useAbsolutePath',
    'autoPrepareEnvironment',
    'autoClusterComputeSpecification',
    'maxNodeCount',
    'instanceTypes',
    'priority',
    'identity',
    'docker',
    'pyTorch',
    'parallelTask',
    'data',
    'datacaches',
    'outputData',
    'amlCompute',
    'aiSuperComputer',
    'kubernetesCompute',
    'containerInstance',
    'exposedPorts',
    'cmk8sCompute',
    'commandReturnCodeConfig',
    'credentialPassthrough',
    'command',
    'environmentVariables',
    'applicationEndpoints',
    'parameters',
  ],
  EnvironmentDefinition: ['assetId', 'autoRebuild'],
  HistoryConfiguration: ['enableMLflowTracking'],
  DockerSection: ['platform'],
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

/** `raw` with the schema's names for its keys (`Configuration` -> `configuration`), and the keys the schema does not know. */
export function normalizeDefinition(raw: Record<string, unknown>, name: string, definitions: Record<string, JSONSchema>): NormalizedDefinition {
  const unknownKeys: UnknownKey[] = [];
  const definition = normalizeValue(raw, { $ref: `#/definitions/${name}` }, definitions, '', unknownKeys) as Record<string, unknown>;
  return { definition, unknownKeys };
}

export function normalizeRunDefinition(raw: Record<string, unknown>, definitions: Record<string, JSONSchema>): NormalizedDefinition {
  return normalizeDefinition(raw, 'RunDefinition', definitions);
}

/** A copy without the null values of objects, at any depth: how the service reads a null. */
export function withoutNulls(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(withoutNulls);
  if (!value || typeof value !== 'object') return value;
  return Object.fromEntries(
    Object.entries(value)
      .filter(([, item]) => item !== null)
      .map(([key, item]) => [key, withoutNulls(item)]),
  );
}

export interface CheckedDefinition extends NormalizedDefinition {
  /** What breaks the schema (nulls read as "not given"), with paths under the field's name. */
  problems: InputProblem[];
}

/** Checks `raw` against definition `name` as the service reads it; `field` prefixes the paths of problems. */
export function checkDefinition(raw: Record<string, unknown>, name: string, definitions: Record<string, JSONSchema>, field: string): CheckedDefinition {
  const normalized = normalizeDefinition(raw, name, definitions);
  const problems = validateSchema(definitionSchema(definitions, name), withoutNulls(normalized.definition), field);
  return { ...normalized, problems };
}

/** Unknown keys as one line for a warning: each path, with the name it was probably meant to be. */
export function describeUnknownKeys(unknownKeys: readonly UnknownKey[], base: string): string {
  return unknownKeys
    .map((unknown) => {
      const suggestion = closestName(unknown.key, unknown.known);
      return `${base ? `${base}.${unknown.path}` : unknown.path}${suggestion ? ` (did you mean ${suggestion}?)` : ''}`;
    })
    .join(', ');
}

/**
 * Reports unknown keys as `policy` says: `error` adds them to `problems`, `warn` tells `warn` one
 * line. The keys are sent as given either way.
 */
export function reportUnknownKeys(
  unknownKeys: readonly UnknownKey[],
  base: string,
  policy: 'pass' | 'warn' | 'error' | undefined,
  problems: InputProblem[],
  warn: (message: string) => void,
  action: string,
): void {
  if (!policy || policy === 'pass' || !unknownKeys.length) return;
  if (policy === 'error') problems.push(...unknownKeys.map((unknown) => unknownKeyProblem(unknown, base)));
  else warn(`${action}: sent as given, not in the swagger: ${describeUnknownKeys(unknownKeys, base)}`);
}

/** An unknown key as a problem, with the name it was probably meant to be. */
export function unknownKeyProblem(unknown: UnknownKey, base: string): InputProblem {
  const suggestion = closestName(unknown.key, unknown.known);
  return {
    path: base ? `${base}.${unknown.path}` : unknown.path,
    message: `is not a known field${suggestion ? ` (did you mean ${suggestion}?)` : ` (known fields here: ${unknown.known.join(', ')})`}`,
  };
}

/** The default home of unknown-field warnings: a process warning with its own code. */
export function emitUnknownFieldWarning(message: string): void {
  process.emitWarning(message, { code: 'AZUREML_UNKNOWN_FIELD' });
}
