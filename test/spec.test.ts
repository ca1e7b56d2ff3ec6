/**
 * One source of truth: openapi.json is the service's swagger as published, the generated modules
 * are what the generator makes from it now, and the examples it points at exist and fit it.
 */
import { createHash } from 'crypto';
import * as fs from 'fs';
import * as path from 'path';
import { generateAll } from '../scripts/generator/generate';
import { openapiToSpec, type OpenAPIDocument } from '../scripts/generator/openapi-to-spec';
import { executionSpec } from '../src/spec/execution/spec';
import { validateSchema } from '../src/spec/validate';

const REPO = path.resolve(__dirname, '..');
const openapiText = fs.readFileSync(path.join(REPO, 'openapi.json'), 'utf8');
const openapi = JSON.parse(openapiText);

it('keeps openapi.json byte for byte as the Execution Service swagger (seed 001)', () => {
  expect(createHash('sha256').update(openapiText).digest('hex')).toBe('4b9b07e59739b9cd71ee7b16f2ff84a12129f99685d04881b161f50913ed20c1');
});

it('has committed generated files identical to what `npm run generate` makes now', () => {
  const files = generateAll(REPO);
  expect(files.map((f) => f.file)).toEqual(['src/spec/execution/spec.ts', 'src/spec/execution/types.ts', 'src/spec/runhistory/spec.ts', 'src/spec/runhistory/types.ts']);
  for (const { file, content } of files) {
    const committed = fs.readFileSync(path.join(REPO, file), 'utf8');
    expect([file, committed === content]).toEqual([file, true]);
  }
});

describe('x-ms-examples', () => {
  const refs: Array<[string, string]> = [];
  for (const item of Object.values<Record<string, { operationId: string; 'x-ms-examples'?: Record<string, { $ref: string }> }>>(openapi.paths)) {
    for (const op of Object.values(item)) {
      for (const example of Object.values(op['x-ms-examples'] ?? {})) refs.push([op.operationId, example.$ref]);
    }
  }

  it('points at one example per operation', () => {
    expect(refs.map(([id]) => id).sort()).toEqual(executionSpec.operations.map((op) => op.operationId).sort());
  });

  it.each(refs)('%s: %s exists, and its parameters and 200 body fit the schemas', (operationId, ref) => {
    const example = JSON.parse(fs.readFileSync(path.join(REPO, ref), 'utf8'));
    const op = executionSpec.operations.find((o) => o.operationId === operationId)!;
    expect(validateSchema(op.inputSchema, example.parameters)).toEqual([]);
    const body = example.responses['200'].body;
    if (op.responseKind === 'json') expect(validateSchema(op.outputSchema, body)).toEqual([]);
    else expect(typeof body).toBe('string');
  });
});

describe('the generator', () => {
  const doc = (parameters: unknown[]): OpenAPIDocument => ({
    info: { title: 'T' },
    paths: { '/x/{name}': { post: { operationId: 'Op', parameters, responses: { 200: { schema: { type: 'string' } } } } } },
  });

  it('names a clashing parameter as DataFire does: the required one keeps the name, the other gets _{in}', () => {
    const spec = openapiToSpec({
      id: 't',
      openapi: doc([
        { name: 'name', in: 'path', required: true, type: 'string' },
        { name: 'name', in: 'query', type: 'string' },
      ]),
    });
    expect(spec.operations[0].parameters.map((p) => [p.name, p.wireName, p.in])).toEqual([
      ['name', 'name', 'path'],
      ['name_query', 'name', 'query'],
    ]);
    expect(spec.operations[0].inputSchema.required).toEqual(['name']);
  });

  it('refuses a file parameter it has no multipart facts for', () => {
    expect(() => openapiToSpec({ id: 't', openapi: doc([{ name: 'f', in: 'formData', type: 'file', required: true }]) })).toThrow(
      "No multipart facts for file parameter Op.f: add it to the generator's fileParts",
    );
  });

  it('accepts null input when no parameter is required, as DataFire does', () => {
    const spec = openapiToSpec({ id: 't', openapi: doc([{ name: 'q', in: 'query', type: 'string' }]) });
    expect(spec.operations[0].inputSchema.type).toEqual(['object', 'null']);
  });
});
