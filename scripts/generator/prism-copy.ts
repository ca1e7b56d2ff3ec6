/**
 * The v2 OpenAPI file as Prism can check requests against it. Prism does not apply Swagger 2
 * discriminators, and reads `allOf` as plain JSON Schema, where the closed parts of a model
 * (ResourceBase's `additionalProperties: false`) refuse each other's fields: against the file as
 * published, no valid CommandJob passes. This copy has:
 * - the models flattened as the client's own schemas are (flatten-definitions.ts);
 * - the job body (JobBaseResource.properties) a CommandJob, the only job type this package sends;
 * - the other discriminated bases as `oneOf` their kinds (each kind pins its discriminator value,
 *   so exactly one matches), without ajv's `discriminator` keyword;
 * - no x-ms-examples (their relative paths do not resolve from a copy).
 * `npm run prism-copy -- <out.json>` writes it; the contract test makes its own.
 */
import * as fs from 'fs';
import type { JSONSchema } from '../../src/spec/operation-spec';
import { flattenDefinitions } from './flatten-definitions';
import type { OpenAPIDocument } from './openapi-to-spec';

export function prismCopy(doc: OpenAPIDocument): OpenAPIDocument {
  const definitions = flattenDefinitions(doc.definitions ?? {});
  for (const def of Object.values(definitions)) delete def.discriminator;
  const resource = definitions.JobBaseResource;
  definitions.JobBaseResource = { ...resource, properties: { ...resource.properties, properties: { $ref: '#/definitions/CommandJob' } } };
  const paths = JSON.parse(JSON.stringify(doc.paths, (key, value: unknown) => (key === 'x-ms-examples' ? undefined : value))) as OpenAPIDocument['paths'];
  return { ...doc, paths, definitions: definitions as Record<string, JSONSchema> };
}

if (require.main === module) {
  const args = process.argv.slice(2);
  const [from, to] = args.length === 1 ? ['src/spec/arm/openapi.json', args[0]] : args;
  if (!to) {
    console.error('usage: npm run prism-copy -- [src/spec/arm/openapi.json] <out.json>');
    process.exitCode = 2;
  } else {
    fs.writeFileSync(to, `${JSON.stringify(prismCopy(JSON.parse(fs.readFileSync(from, 'utf8')) as OpenAPIDocument), null, 2)}\n`);
    console.log(`wrote ${to}`);
  }
}
