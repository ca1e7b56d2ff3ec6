/**
 * The run definition a submission sends, from what people write: the swagger's camelCase, the
 * PascalCase of the service's own definition.json files (seed 003), or JSON text of either, with
 * the common fields given on their own (`script`, `arguments`, `target`, `environmentVariables`)
 * laid over it. The result is camelCase and valid against RunDefinition, nulls read as "not
 * given". Fields the swagger does not list are kept as given: whether they are reported is the
 * `unknownFields` setting's business, checked where the definition is sent (http/validate-input.ts).
 */
import { isObject } from '../spec/is-object';
import { AzureMLValidationError, type InputProblem } from '../errors';
import { executionSpec } from '../spec/execution/spec';
import type { RunDefinition } from '../spec/execution/types';
import type { CallOptions } from '../http/call-options';
import { emitUnknownFieldWarning, normalizeRunDefinition, reportUnknownKeys, withoutNulls } from '../spec/run-definition';
import { definitionSchema, validateSchema } from '../spec/validate';

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
export function prepareRunDefinition(input: DefinitionInput, action: string, field = 'definition', options: Pick<CallOptions, 'unknownFields' | 'onWarning'> = {}): RunDefinition {
  const { definition: normalized, unknownKeys } = normalizeRunDefinition(parseDefinition(input.definition, field, action), executionSpec.definitions);
  const problems: InputProblem[] = [];
  reportUnknownKeys(unknownKeys, field, options.unknownFields, problems, options.onWarning ?? emitUnknownFieldWarning, action);

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
  const schemaProblems = validateSchema(definitionSchema(executionSpec.definitions, 'RunDefinition'), withoutNulls(definition), field);
  problems.push(...schemaProblems.filter((p) => !problems.some((q) => q.path === p.path)));
  if (problems.length) throw new AzureMLValidationError({ action, problems });
  return definition as RunDefinition;
}
