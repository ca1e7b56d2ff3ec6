/**
 * Input validation with ajv 8 and its formats, against the generated schemas. Ajv is loaded and
 * each schema compiled on first use, so importing the package stays cheap.
 */
import type { ErrorObject, ValidateFunction } from 'ajv';
import type AjvClass from 'ajv';
import { closestName } from './closest-name';
import type { JSONSchema } from './operation-spec';

/** A problem with an input: what the errors of this package list, and nothing is sent when there is one. */
export interface InputProblem {
  /** The input field, as a dotted path: `definition.configuration.framework`. */
  path: string;
  /** Why it is wrong: `must be one of Python, PySpark, Cntk, TensorFlow, PyTorch`. */
  message: string;
}

let ajv: AjvClass | undefined;
const compiled = new WeakMap<JSONSchema, ValidateFunction>();

function getAjv(): AjvClass {
  if (ajv) return ajv;

  const Ajv = require('ajv').default as typeof AjvClass;

  const addFormats = require('ajv-formats').default as (a: AjvClass) => AjvClass;
  // strict: false because Swagger schemas carry keywords ajv does not know (example, x-ms-enum);
  // verbose: an error carries its schema, so that an unknown field is named with the fields known there.
  // discriminator: the v2 API's bases dispatch on their discriminator (scripts/generator/flatten-definitions.ts).
  ajv = new Ajv({ allErrors: true, strict: false, validateFormats: true, discriminator: true, verbose: true });
  addFormats(ajv);
  return ajv;
}

let compilations = 0;

function validatorFor(schema: JSONSchema): ValidateFunction {
  let validate = compiled.get(schema);
  if (!validate) {
    validate = getAjv().compile(schema);
    compiled.set(schema, validate);
    compilations++;
  }
  return validate;
}

/** How many schemas were compiled so far (tests check that a schema is compiled once). */
export function compiledSchemaCount(): number {
  return compilations;
}

const definitionSchemas = new WeakMap<Record<string, JSONSchema>, Map<string, JSONSchema>>();

/**
 * The schema of definition `name` of a table, one object per table and name: ajv compiles (and
 * keeps) a schema per object, so a new `{ $ref }` per call would compile again on every call and
 * hold every copy (measured: 20 ms and 0.1 MB more per Runs_StartRun before this).
 */
export function definitionSchema(definitions: Record<string, JSONSchema>, name: string): JSONSchema {
  let byName = definitionSchemas.get(definitions);
  if (!byName) definitionSchemas.set(definitions, (byName = new Map()));
  let schema = byName.get(name);
  if (!schema) byName.set(name, (schema = { $ref: `#/definitions/${name}`, definitions }));
  return schema;
}

/** Validates `value` against `schema`; problems name paths under `basePath`. */
export function validateSchema(schema: JSONSchema, value: unknown, basePath = ''): InputProblem[] {
  const validate = validatorFor(schema);
  if (validate(value)) return [];
  const errors = validate.errors ?? [];
  // A value of the wrong type fails its format too (1.5 is no int32): say the first thing only.
  const wrongType = new Set(errors.filter((e) => e.keyword === 'type').map((e) => e.instancePath));
  const relevant = errors
    // A discriminator outside its values fails its enum too, which names the values: say that only.
    .filter((e) => e.keyword !== 'discriminator' || (e.params as { error?: string }).error !== 'mapping')
    // The wrappers of answer-schema.ts: what failed inside them says it better.
    .filter((e) => e.keyword !== 'if' && e.keyword !== 'anyOf' && !e.schemaPath.endsWith('/anyOf/0/type'))
    .filter((e) => e.keyword === 'type' || !wrongType.has(e.instancePath));
  return dedupe(relevant.map((error) => describeError(error, basePath, value)));
}

function dedupe(problems: InputProblem[]): InputProblem[] {
  const seen = new Set<string>();
  return problems.filter((p) => {
    const key = `${p.path}\u0000${p.message}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

/** `/definition/configuration/arguments/0` under `base` -> `base.definition.configuration.arguments[0]`. */
export function joinPath(base: string, instancePath: string, extra?: string): string {
  const segments = instancePath
    .split('/')
    .slice(1)
    .map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'));
  if (extra !== undefined) segments.push(extra);
  let out = base;
  for (const segment of segments) {
    if (/^\d+$/.test(segment)) out += `[${segment}]`;
    else if (/^[A-Za-z_$][\w$-]*$/.test(segment)) out += out ? `.${segment}` : segment;
    else out += `[${JSON.stringify(segment)}]`;
  }
  return out;
}

/** Values under these keys are never quoted back in a message. */
const SENSITIVE_KEY = /password|secret|token|credential|key$/i;
const MAX_QUOTE = 80;

function quote(value: unknown, path: string): string {
  if (SENSITIVE_KEY.test(path.split(/[.[]/).pop() ?? '')) return '';
  let text: string;
  try {
    text = JSON.stringify(value) ?? String(value);
  } catch {
    return '';
  }
  if (text.length > MAX_QUOTE) text = `${text.slice(0, MAX_QUOTE)}...`;
  return ` (got ${text})`;
}

function typeName(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  if (Number.isInteger(value)) return 'integer';
  return typeof value;
}

const FORMAT_NAMES: Record<string, string> = {
  uuid: 'a UUID (e.g. 00000000-0000-0000-0000-000000000000)',
  'date-time': 'an RFC 3339 date-time',
  int32: 'a 32-bit integer',
  int64: 'a 64-bit integer',
  byte: 'base64 text',
};

function valueAt(root: unknown, instancePath: string): unknown {
  let value = root;
  for (const segment of instancePath.split('/').slice(1)) {
    if (value === null || typeof value !== 'object') return undefined;
    value = (value as Record<string, unknown>)[segment.replace(/~1/g, '/').replace(/~0/g, '~')];
  }
  return value;
}

function knownFields(error: ErrorObject): string[] | undefined {
  const properties = (error.parentSchema as JSONSchema | undefined)?.properties;
  return properties ? Object.keys(properties) : undefined;
}

function describeError(error: ErrorObject, basePath: string, root: unknown): InputProblem {
  const value = valueAt(root, error.instancePath);
  const path = joinPath(basePath, error.instancePath);
  const params = error.params as Record<string, unknown>;
  switch (error.keyword) {
    case 'required':
      return { path: joinPath(basePath, error.instancePath, String(params.missingProperty)), message: 'is required' };
    case 'additionalProperties': {
      const known = knownFields(error);
      const field = String(params.additionalProperty);
      const suggestion = known && closestName(field, known);
      return {
        path: joinPath(basePath, error.instancePath, field),
        message: `is not a known field${suggestion ? ` (did you mean ${suggestion}?)` : known ? ` (known fields: ${known.join(', ')})` : ''}`,
      };
    }
    case 'enum':
      return { path, message: `must be one of ${(params.allowedValues as unknown[]).join(', ')}${quote(value, path)}` };
    case 'format':
      return { path, message: `must be ${FORMAT_NAMES[String(params.format)] ?? `in format ${String(params.format)}`}${quote(value, path)}` };
    case 'pattern':
      return { path, message: `must match the pattern ${String(params.pattern)}${quote(value, path)}` };
    case 'type': {
      const expected = String(params.type).split(',').join(' or ');
      return { path, message: `must be ${expected === 'object' ? 'an object' : `${/^[aeiou]/.test(expected) ? 'an' : 'a'} ${expected}`} (got ${typeName(value)})` };
    }
    default:
      return { path, message: error.message ?? `fails ${error.keyword}` };
  }
}
