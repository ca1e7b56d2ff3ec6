/**
 * Swagger 2.0 models as one JSON Schema each, the way AutoRest reads them, so that ajv checks
 * what the service checks:
 * - `allOf` inheritance is flattened: a model has its ancestors' properties and required names,
 *   and `additionalProperties: false` closes the whole model (in plain JSON Schema it would close
 *   each part against the others' fields, and no valid CommandJob would pass);
 * - a base with a `discriminator` becomes a dispatch on that property: `oneOf` its subtypes with
 *   ajv's `discriminator` keyword, so a CommandJob is checked as a CommandJob and a wrong
 *   `jobType` is named as such. Each subtype's discriminator property is its one value
 *   (`x-ms-discriminator-value`, else the model's name).
 * Properties keep their own keywords (`x-nullable`, `readOnly`...): the emitter reads them.
 */
import type { JSONSchema } from '../../src/spec/operation-spec';

const REF_PREFIX = '#/definitions/';

/** Keywords of a model that the flattened form replaces. */
const MODEL_ONLY = new Set(['allOf', 'discriminator', 'x-ms-discriminator-value', 'properties', 'required', 'additionalProperties']);

function refName(schema: JSONSchema | undefined): string | undefined {
  return typeof schema?.$ref === 'string' && schema.$ref.startsWith(REF_PREFIX) ? schema.$ref.slice(REF_PREFIX.length) : undefined;
}

function hasAllOf(schema: JSONSchema): boolean {
  return Array.isArray(schema.allOf) && schema.allOf.length > 0;
}

/** Whether the document uses inheritance at all (the two older APIs do not: their files pass unchanged). */
export function needsFlattening(definitions: Record<string, JSONSchema>): boolean {
  return Object.values(definitions).some((def) => hasAllOf(def) || typeof def.discriminator === 'string');
}

export function flattenDefinitions(definitions: Record<string, JSONSchema>): Record<string, JSONSchema> {
  const get = (name: string): JSONSchema => {
    const def = definitions[name];
    if (!def) throw new Error(`Reference #/definitions/${name} does not resolve`);
    return def;
  };
  const parentsOf = (def: JSONSchema): string[] =>
    ((def.allOf as JSONSchema[] | undefined) ?? []).map((part) => {
      const name = refName(part);
      if (!name) throw new Error('Only $ref parts are supported in allOf');
      return name;
    });

  // Every ancestor of a model, nearest first.
  const ancestors = (name: string, seen: string[] = []): string[] => {
    if (seen.includes(name)) throw new Error(`Inheritance cycle through ${name}`);
    const out: string[] = [];
    for (const parent of parentsOf(get(name))) {
      if (!out.includes(parent)) out.push(parent);
      for (const above of ancestors(parent, [...seen, name])) if (!out.includes(above)) out.push(above);
    }
    return out;
  };

  const discriminatorOf = (name: string): string | undefined => {
    const value = get(name).discriminator;
    return typeof value === 'string' ? value : undefined;
  };
  const valueOf = (name: string): string => {
    const value = get(name)['x-ms-discriminator-value'];
    return typeof value === 'string' ? value : name;
  };

  // The concrete subtypes of each discriminated base, in document order.
  const subtypes = new Map<string, string[]>();
  for (const name of Object.keys(definitions)) {
    if (discriminatorOf(name)) continue; // an abstract base is dispatched, not listed
    for (const base of ancestors(name)) {
      if (!discriminatorOf(base)) continue;
      subtypes.set(base, [...(subtypes.get(base) ?? []), name]);
    }
  }

  const shapes = new Map<string, JSONSchema>();
  // A model with everything it inherits: properties, required names, closedness.
  const shape = (name: string): JSONSchema => {
    const known = shapes.get(name);
    if (known) return known;
    const def = get(name);
    const properties: Record<string, JSONSchema> = {};
    const required: string[] = [];
    let closed: boolean | JSONSchema | undefined;
    for (const parent of parentsOf(def)) {
      const inherited = shape(parent);
      Object.assign(properties, inherited.properties);
      for (const field of inherited.required ?? []) if (!required.includes(field)) required.push(field);
      if (inherited.additionalProperties === false) closed = false;
    }
    Object.assign(properties, def.properties ?? {});
    for (const field of def.required ?? []) if (!required.includes(field)) required.push(field);
    if (def.additionalProperties !== undefined) closed = def.additionalProperties;
    // A concrete subtype says which one it is: its discriminator property has its value alone.
    for (const base of ancestors(name)) {
      const tag = discriminatorOf(base);
      if (!tag || discriminatorOf(name)) continue;
      const described = properties[tag]?.description;
      properties[tag] = { type: 'string', enum: [valueOf(name)], ...(described ? { description: described } : {}) };
      if (!required.includes(tag)) required.push(tag);
    }
    const out: JSONSchema = {};
    for (const [key, value] of Object.entries(def)) if (!MODEL_ONLY.has(key)) out[key] = value;
    if (!out.type && (Object.keys(properties).length || hasAllOf(def))) out.type = 'object';
    if (Object.keys(properties).length) out.properties = properties;
    if (required.length) out.required = required;
    if (closed !== undefined) out.additionalProperties = closed;
    shapes.set(name, out);
    return out;
  };

  const flat: Record<string, JSONSchema> = {};
  for (const name of Object.keys(definitions)) {
    const tag = discriminatorOf(name);
    if (!tag) {
      flat[name] = shape(name);
      continue;
    }
    const kinds = subtypes.get(name) ?? [];
    if (!kinds.length) throw new Error(`${name} has a discriminator and no subtype in this document`);
    const { description } = get(name);
    flat[name] = {
      ...(typeof description === 'string' ? { description } : {}),
      type: 'object',
      required: [tag],
      properties: { [tag]: { type: 'string', enum: kinds.map(valueOf) } },
      discriminator: { propertyName: tag },
      oneOf: kinds.map((kind) => ({ $ref: `${REF_PREFIX}${kind}` })),
    };
  }
  return flat;
}
