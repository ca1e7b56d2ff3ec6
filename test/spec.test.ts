/**
 * One source of truth: openapi.json is the service's swagger as published, the generated modules
 * are what the generator makes from it now, and the examples it points at exist and fit it.
 */
import { createHash } from 'crypto';
import * as fs from 'fs';
import * as path from 'path';
import { generateAll } from '../scripts/generator/generate';
import { openapiToSpec, type OpenAPIDocument } from '../scripts/generator/openapi-to-spec';
import { renderTypesModule } from '../scripts/generator/render';
import { v2Spec } from '../src/spec/arm/spec';
import { executionSpec } from '../src/spec/execution/spec';
import { withoutNulls } from '../src/spec/run-definition';
import { validateSchema } from '../src/spec/validate';

const REPO = path.resolve(__dirname, '..');
const openapiText = fs.readFileSync(path.join(REPO, 'openapi.json'), 'utf8');
const openapi = JSON.parse(openapiText);

it('keeps openapi.json byte for byte as the Execution Service swagger (seed 001)', () => {
  expect(createHash('sha256').update(openapiText).digest('hex')).toBe('4b9b07e59739b9cd71ee7b16f2ff84a12129f99685d04881b161f50913ed20c1');
});

it('has committed generated files identical to what `npm run generate` makes now', () => {
  const files = generateAll(REPO);
  expect(files.map((f) => f.file)).toEqual([
    'src/spec/execution/spec.ts',
    'src/spec/execution/types.ts',
    'src/spec/runhistory/spec.ts',
    'src/spec/runhistory/types.ts',
    'src/spec/arm/spec.ts',
    'src/spec/arm/types.ts',
  ]);
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

describe('the v2 API (src/spec/arm/openapi.json)', () => {
  const armDir = path.join(REPO, 'src/spec/arm');
  const armText = fs.readFileSync(path.join(armDir, 'openapi.json'), 'utf8');
  const arm = JSON.parse(armText);

  it('keeps the validated subset of mfe.json 2024-10-01 byte for byte', () => {
    expect(createHash('sha256').update(armText).digest('hex')).toBe('c7b8ec416d0b6648d7bcfb40b6b5c473856e278945b04acd1aaff49af351721a');
  });

  const examples: Array<[string, string]> = [];
  for (const item of Object.values<Record<string, { operationId: string; 'x-ms-examples'?: Record<string, { $ref: string }> }>>(arm.paths)) {
    for (const op of Object.values(item)) {
      if (typeof op !== 'object' || !op.operationId) continue;
      for (const example of Object.values(op['x-ms-examples'] ?? {})) examples.push([op.operationId, example.$ref]);
    }
  }

  it.each(examples)('%s: %s fits the flattened schemas, input and answers', (operationId, ref) => {
    const example = JSON.parse(fs.readFileSync(path.join(armDir, ref), 'utf8'));
    const op = v2Spec.operations.find((o) => o.operationId === operationId)!;
    // The public examples of the list operations carry `$skipToken`, which no operation of 2024-10-01 declares ($skip does).
    const { $skipToken, ...parameters } = example.parameters;
    expect([$skipToken === undefined || operationId.endsWith('_List'), validateSchema(op.inputSchema, parameters)]).toEqual([true, []]);
    for (const [status, answer] of Object.entries<{ body?: unknown }>(example.responses)) {
      if (!/^2/.test(status) || answer.body === undefined) continue;
      // A null is "not given" (x-nullable); computes of kinds outside the subset (AKS) are named as such.
      const problems = validateSchema(op.outputSchema, withoutNulls(answer.body));
      const outside =
        operationId === 'Compute_List'
          ? [0, 1].map((i) => ({ path: `value[${i}].properties.computeType`, message: 'must be one of AmlCompute, ComputeInstance, DataFactory (got "AKS")' }))
          : [];
      expect([status, problems]).toEqual([status, outside]);
    }
  });

  const createJob = v2Spec.operations.find((o) => o.operationId === 'Jobs_CreateOrUpdate')!;
  const job = (properties: Record<string, unknown>) => ({
    subscriptionId: '00000000-1111-2222-3333-444444444444',
    resourceGroupName: 'rg',
    workspaceName: 'my-workspace',
    id: 'job-1',
    'api-version': '2024-10-01',
    body: { properties },
  });

  it('checks a command job as a CommandJob: its own fields and those it inherits from JobBase and ResourceBase', () => {
    expect(
      validateSchema(
        createJob.inputSchema,
        job({ jobType: 'Command', command: 'python train.py', environmentId: 'azureml:env:1', displayName: 'd', description: 'x', tags: { a: 'b' } }),
      ),
    ).toEqual([]);
    expect(validateSchema(createJob.inputSchema, job({ jobType: 'Command', environmentId: 'e', comand: 'python train.py' }))).toEqual([
      { path: 'body.properties.command', message: 'is required' },
      { path: 'body.properties.comand', message: 'is not a known field (did you mean command?)' },
    ]);
  });

  it('names a job type it does not know with the ones it does, once', () => {
    expect(validateSchema(createJob.inputSchema, job({ jobType: 'Sweep', command: 'c', environmentId: 'e' }))).toEqual([
      { path: 'body.properties.jobType', message: 'must be one of Command, Pipeline (got "Sweep")' },
    ]);
  });

  it('dispatches nested bases too: an input is checked against the kind its jobInputType names', () => {
    const inputs = { lr: { jobInputType: 'literal', uri: 'x' }, data: { jobInputType: 'uri_folder', value: '1' } };
    expect(validateSchema(createJob.inputSchema, job({ jobType: 'Command', command: 'c', environmentId: 'e', inputs }))).toEqual([
      { path: 'body.properties.inputs.lr.value', message: 'is required' },
      { path: 'body.properties.inputs.lr.uri', message: 'is not a known field (known fields: description, jobInputType, value)' },
      { path: 'body.properties.inputs.data.uri', message: 'is required' },
      { path: 'body.properties.inputs.data.value', message: 'is not a known field (known fields: mode, uri, description, jobInputType)' },
    ]);
  });
});

describe('the generator with inheritance', () => {
  const definitions = {
    Root: { type: 'object', properties: { description: { type: 'string' } }, additionalProperties: false },
    Shape: {
      type: 'object',
      allOf: [{ $ref: '#/definitions/Root' }],
      required: ['kind'],
      properties: { kind: { type: 'string', enum: ['circle', 'square'] } },
      discriminator: 'kind',
    },
    Circle: {
      type: 'object',
      allOf: [{ $ref: '#/definitions/Shape' }],
      'x-ms-discriminator-value': 'circle',
      required: ['r'],
      properties: { r: { type: 'number' } },
      additionalProperties: false,
    },
    Square: { type: 'object', allOf: [{ $ref: '#/definitions/Shape' }], properties: { side: { type: 'number', 'x-nullable': true } } },
  };
  const spec = openapiToSpec({
    id: 't',
    openapi: {
      info: { title: 'T' },
      definitions,
      paths: { '/s': { put: { operationId: 'Put', parameters: [{ name: 'body', in: 'body', required: true, schema: { $ref: '#/definitions/Shape' } }], responses: { 200: {} } } } },
    },
  });

  it('flattens allOf, closes a model by any closed part, and pins each subtype to its discriminator value', () => {
    expect(spec.definitions.Circle).toEqual({
      type: 'object',
      properties: { description: { type: 'string' }, kind: { type: 'string', enum: ['circle'] }, r: { type: 'number' } },
      required: ['kind', 'r'],
      additionalProperties: false,
    });
    // No value of its own: the model's name; no additionalProperties of its own: closed by Root.
    expect(spec.definitions.Square).toEqual({
      type: 'object',
      properties: { description: { type: 'string' }, kind: { type: 'string', enum: ['Square'] }, side: { type: 'number', 'x-nullable': true } },
      required: ['kind'],
      additionalProperties: false,
    });
    expect(spec.definitions.Shape).toEqual({
      type: 'object',
      required: ['kind'],
      properties: { kind: { type: 'string', enum: ['circle', 'Square'] } },
      discriminator: { propertyName: 'kind' },
      oneOf: [{ $ref: '#/definitions/Circle' }, { $ref: '#/definitions/Square' }],
    });
  });

  it('types a base as the union of its subtypes, and a nullable field with null', () => {
    const types = renderTypesModule(spec, { typePrefix: 'T', specConstant: 't', sourceFile: 'x.json' });
    expect(types).toContain('export type Shape = Circle | Square;\n');
    expect(types).toContain('  side?: number | null;\n');
    expect(types).toContain('  kind: "circle";\n');
  });

  it('refuses a discriminated base without subtypes, and a cycle', () => {
    const lonely = { Base: { type: 'object', properties: { k: { type: 'string' } }, discriminator: 'k' } };
    expect(() => openapiToSpec({ id: 't', openapi: { info: {}, paths: {}, definitions: lonely } })).toThrow('Base has a discriminator and no subtype in this document');
    const cycle = { A: { allOf: [{ $ref: '#/definitions/B' }] }, B: { allOf: [{ $ref: '#/definitions/A' }] } };
    expect(() => openapiToSpec({ id: 't', openapi: { info: {}, paths: {}, definitions: cycle } })).toThrow('Inheritance cycle through');
  });
});
