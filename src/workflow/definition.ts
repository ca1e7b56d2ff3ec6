/**
 * The run definition a submission sends, from what people write: the swagger's camelCase, the
 * PascalCase of the service's own definition.json files (seed 003), or JSON text of either, with
 * the common fields given on their own (`script`, `arguments`, `target`, `environmentVariables`)
 * laid over it. The result is camelCase and valid against RunDefinition; an unknown key at any
 * depth is an error naming its path (with the name it was probably meant to be), because the
 * service ignores what it does not know, and a typo such as `Scirpt` would only show when the
 * run fails in the cloud.
 */
import { isObject } from '../spec/is-object';
import { AzureMLValidationError, type InputProblem } from '../errors';
import { executionSpec } from '../spec/execution/spec';
import type { RunDefinition } from '../spec/execution/types';
import { normalizeRunDefinition, type UnknownKey } from '../spec/run-definition';
import { validateSchema } from '../spec/validate';

export interface DefinitionInput {
  /** A RunDefinition in camelCase or PascalCase, or its JSON text. */
  definition?: RunDefinition | Record<string, unknown> | string;
  /** configuration.script: the file of the project to run. */
  script?: string;
  /** configuration.arguments. */
  arguments?: string[];
  /** configuration.target: the compute target (default `local`). */
  target?: string;
  /** configuration.environment.environmentVariables, merged over the definition's. */
  environmentVariables?: Record<string, string>;
}

const DEFAULT_CONFIGURATION = { framework: 'Python', communicator: 'None', target: 'local' } as const;

/** Optimal string alignment distance: a transposition (`Scirpt`) counts as one edit. */
function editDistance(a: string, b: string): number {
  const d = Array.from({ length: a.length + 1 }, (_, i) => [i, ...Array<number>(b.length).fill(0)]);
  for (let j = 1; j <= b.length; j++) d[0][j] = j;
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      d[i][j] = Math.min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) d[i][j] = Math.min(d[i][j], d[i - 2][j - 2] + 1);
    }
  }
  return d[a.length][b.length];
}

/** The known name closest to `key` (ignoring case), when it is close enough to be a typo. */
export function closestName(key: string, known: string[]): string | undefined {
  let best: { name: string; distance: number } | undefined;
  for (const name of known) {
    const distance = editDistance(key.toLowerCase(), name.toLowerCase());
    if (!best || distance < best.distance) best = { name, distance };
  }
  return best && best.distance <= Math.max(1, Math.floor(key.length / 4)) ? best.name : undefined;
}

function unknownKeyProblem(unknown: UnknownKey, base: string): InputProblem {
  const suggestion = closestName(unknown.key, unknown.known);
  return {
    path: `${base}.${unknown.path}`,
    message: `is not a known field${suggestion ? ` (did you mean ${suggestion}?)` : ` (known fields here: ${unknown.known.join(', ')})`}`,
  };
}

function parseDefinition(raw: DefinitionInput['definition'], field: string, action: string): Record<string, unknown> {
  if (raw === undefined || raw === null) return {};
  let value: unknown = raw;
  if (typeof raw === 'string') {
    try {
      value = JSON.parse(raw.replace(/^\uFEFF/, ''));
    } catch (error) {
      throw new AzureMLValidationError({ action, problems: [{ path: field, message: `is not JSON: ${(error as Error).message}` }] });
    }
  }
  if (!value || typeof value !== 'object' || Array.isArray(value)) {
    throw new AzureMLValidationError({ action, problems: [{ path: field, message: 'must be a RunDefinition object (or its JSON text)' }] });
  }
  return value as Record<string, unknown>;
}

/** The definition to send: normalized, with the given fields laid over it, checked. Throws AzureMLValidationError. */
export function prepareRunDefinition(input: DefinitionInput, action: string, field = 'definition'): RunDefinition {
  const { definition: normalized, unknownKeys } = normalizeRunDefinition(parseDefinition(input.definition, field, action), executionSpec.definitions);
  const problems = unknownKeys.map((unknown) => unknownKeyProblem(unknown, field));

  const configuration: Record<string, unknown> = { ...DEFAULT_CONFIGURATION, ...(isObject(normalized.configuration) ? normalized.configuration : {}) };
  if (input.script !== undefined) configuration.script = input.script;
  if (input.arguments !== undefined) configuration.arguments = input.arguments;
  if (input.target !== undefined) configuration.target = input.target;
  if (input.environmentVariables !== undefined) {
    const environment = isObject(configuration.environment) ? configuration.environment : {};
    const variables = isObject(environment.environmentVariables) ? environment.environmentVariables : {};
    configuration.environment = { ...environment, environmentVariables: { ...variables, ...input.environmentVariables } };
  }
  if (normalized.configuration !== undefined && !isObject(normalized.configuration)) {
    problems.push({ path: `${field}.configuration`, message: 'must be an object' });
  }
  const definition = { ...normalized, configuration };
  if (typeof configuration.script !== 'string' || configuration.script === '') {
    problems.push({ path: input.definition === undefined ? 'script' : `${field}.configuration.script`, message: 'is required: the file of the project to run' });
  }
  const schemaProblems = validateSchema({ $ref: '#/definitions/RunDefinition', definitions: executionSpec.definitions }, definition, field);
  problems.push(...schemaProblems.filter((p) => !problems.some((q) => q.path === p.path)));
  if (problems.length) throw new AzureMLValidationError({ action, problems });
  return definition as RunDefinition;
}
