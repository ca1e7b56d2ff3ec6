/**
 * The schema an answer is checked against: the operation's output schema, read the way a client
 * must read a service that grows. The generated schemas are strict for what the caller sends
 * (closed models, known discriminator values: a typo is caught before anything is sent); an
 * answer of Azure Resource Manager may carry fields added after 2024-10-01, kinds of computes
 * outside the subset (AKS), and nulls where a field is `x-nullable`. Those are accepted; a wrong
 * type of a known field is still an error.
 */
import type { JSONSchema } from './operation-spec';

const lenientDefinitions = new WeakMap<Record<string, JSONSchema>, Record<string, JSONSchema>>();
const lenientSchemas = new WeakMap<JSONSchema, JSONSchema>();

function lenient(schema: JSONSchema): JSONSchema {
  if (!schema || typeof schema !== 'object') return schema;
  const out: JSONSchema = {};
  for (const [key, value] of Object.entries(schema)) {
    if (key === 'definitions') continue;
    if (key === 'additionalProperties' && value === false) continue;
    if (key === 'properties' && value && typeof value === 'object') {
      out.properties = Object.fromEntries(Object.entries(value as Record<string, JSONSchema>).map(([name, prop]) => [name, lenient(prop)]));
    } else if ((key === 'items' || key === 'additionalProperties') && value && typeof value === 'object') {
      out[key] = lenient(value as JSONSchema);
    } else {
      out[key] = value;
    }
  }
  // A dispatch of a discriminated base: a value it knows is checked as that kind, another is let be.
  const discriminator = out.discriminator as { propertyName?: string } | undefined;
  if (discriminator?.propertyName && Array.isArray(out.oneOf)) {
    const tag = discriminator.propertyName;
    const known = out.properties?.[tag]?.enum;
    const { oneOf, discriminator: dispatch, ...rest } = out;
    return { ...rest, properties: { [tag]: { type: 'string' } }, if: { required: [tag], properties: { [tag]: { enum: known } } }, then: { oneOf, discriminator: dispatch } };
  }
  if (out['x-nullable'] === true) {
    if (typeof out.type === 'string') return { ...out, type: [out.type, 'null'] };
    if (out.$ref) {
      const { $ref, ...rest } = out;
      return { ...rest, anyOf: [{ type: 'null' }, { $ref }] };
    }
  }
  return out;
}

/** The lenient form of an output schema (computed once per schema and per definitions table). */
export function answerSchema(schema: JSONSchema): JSONSchema {
  let done = lenientSchemas.get(schema);
  if (done) return done;
  const definitions = schema.definitions;
  let lenientDefs = definitions && lenientDefinitions.get(definitions);
  if (definitions && !lenientDefs) {
    lenientDefs = Object.fromEntries(Object.entries(definitions).map(([name, def]) => [name, lenient(def)]));
    lenientDefinitions.set(definitions, lenientDefs);
  }
  done = { ...lenient(schema), ...(lenientDefs ? { definitions: lenientDefs } : {}) };
  lenientSchemas.set(schema, done);
  return done;
}
