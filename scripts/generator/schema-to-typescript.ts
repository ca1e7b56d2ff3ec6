/**
 * A small, deterministic JSON Schema to TypeScript emitter for the subset Swagger 2.0 uses
 * ($ref to definitions, objects, maps, arrays, string enums, scalars, `file`).
 */
import type { JSONSchema } from '../../src/spec/operation-spec';

const REF_PREFIX = '#/definitions/';

/** A JSDoc block for a description, or nothing. `*\/` inside the text would end the comment early. */
export function jsDoc(description: unknown, indent: string): string {
  if (typeof description !== 'string' || !description.trim()) return '';
  const lines = description
    .replace(/\r\n?/g, '\n')
    .replace(/\*\//g, '*\\/')
    .split('\n')
    .map((line) => line.trimEnd());
  if (lines.length === 1) return `${indent}/** ${lines[0].trim()} */\n`;
  return `${indent}/**\n${lines.map((line) => `${indent} * ${line.trim()}`.trimEnd()).join('\n')}\n${indent} */\n`;
}

export function propertyKey(name: string): string {
  return /^[A-Za-z_$][\w$]*$/.test(name) ? name : JSON.stringify(name);
}

export interface EmitOptions {
  /** The TypeScript type of a `type: file` schema. */
  fileType: string;
}

export function tsType(schema: JSONSchema | undefined, options: EmitOptions, indent = ''): string {
  if (!schema) return 'unknown';
  if (schema.$ref) {
    if (!schema.$ref.startsWith(REF_PREFIX)) throw new Error(`Unsupported reference ${schema.$ref}`);
    return schema.$ref.slice(REF_PREFIX.length);
  }
  if (Array.isArray(schema.enum)) return schema.enum.map((value) => JSON.stringify(value)).join(' | ');
  // A discriminated base (flatten-definitions.ts): one of its subtypes.
  if (Array.isArray(schema.oneOf)) return (schema.oneOf as JSONSchema[]).map((branch) => tsType(branch, options, indent)).join(' | ');
  const types = Array.isArray(schema.type) ? schema.type : schema.type ? [schema.type] : [];
  if (types.length > 1) return types.map((type) => tsType({ ...schema, type }, options, indent)).join(' | ');
  switch (types[0]) {
    case 'string':
      return 'string';
    case 'integer':
    case 'number':
      return 'number';
    case 'boolean':
      return 'boolean';
    case 'null':
      return 'null';
    case 'file':
      return options.fileType;
    case 'array':
      return `Array<${tsType(schema.items, options, indent)}>`;
    case undefined:
      // No type and nothing that shapes an object: any JSON value (`{}`).
      if (!schema.properties && schema.additionalProperties === undefined) return 'unknown';
      return objectType(schema, options, indent);
    case 'object':
      return objectType(schema, options, indent);
    default:
      throw new Error(`Unsupported schema type ${String(types[0])}`);
  }
}

function objectType(schema: JSONSchema, options: EmitOptions, indent: string): string {
  const props = schema.properties ?? {};
  const names = Object.keys(props);
  const extra = schema.additionalProperties;
  if (!names.length) {
    if (extra && typeof extra === 'object') return `{ [key: string]: ${tsType(extra, options, indent)} }`;
    return '{ [key: string]: unknown }';
  }
  return `{\n${objectMembers(schema, options, `${indent}  `)}${indent}}`;
}

/** The members of an object schema, one per line, with their descriptions. */
export function objectMembers(schema: JSONSchema, options: EmitOptions, indent: string): string {
  const props = schema.properties ?? {};
  const required = new Set(schema.required ?? []);
  let out = '';
  for (const name of Object.keys(props)) {
    const prop = props[name];
    out += jsDoc(prop.description, indent);
    // `x-nullable`: the service takes null for "not given" (Azure's SDKs send it).
    const nullable = prop['x-nullable'] === true ? ' | null' : '';
    out += `${indent}${propertyKey(name)}${required.has(name) ? '' : '?'}: ${tsType(prop, options, indent)}${nullable};\n`;
  }
  const extra = schema.additionalProperties;
  if (extra && typeof extra === 'object') out += `${indent}[key: string]: ${tsType(extra, options, indent)};\n`;
  return out;
}
