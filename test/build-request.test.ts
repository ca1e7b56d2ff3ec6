/**
 * buildRequest and validateInput alone, over operations made for the test: the URL (path
 * segments, query forms), headers, bodies and Accept; and the checks made before any request.
 */
import { AzureMLValidationError } from '../src';
import { buildRequest } from '../src/http/build-request';
import type { ClassifiedPart } from '../src/http/file-input';
import { shallowInputSchema, validateInput } from '../src/http/validate-input';
import { executionSpec } from '../src/spec/execution/spec';
import type { IntegrationSpec, OperationSpec, ParameterSpec } from '../src/spec/operation-spec';

function param(name: string, where: ParameterSpec['in'], extra: Partial<ParameterSpec> = {}): ParameterSpec {
  return { name, wireName: name, in: where, required: false, ...extra };
}

function op(parameters: ParameterSpec[], extra: Partial<OperationSpec> = {}): OperationSpec {
  return {
    operationId: 'Things_Do',
    method: 'post',
    path: '/things/{thingId}/parts/{partName}',
    title: '',
    description: '',
    consumes: [],
    produces: [],
    parameters,
    responseKind: 'json',
    inputSchema: { type: 'object', properties: {} },
    outputSchema: {},
    ...extra,
  };
}

const PATH = [param('thingId', 'path', { required: true }), param('partName', 'path', { required: true, wireName: 'partName' })];

function build(operation: OperationSpec, input: Record<string, unknown>, files = new Map<string, ClassifiedPart>()) {
  return buildRequest(operation, { input, files }, 'http://127.0.0.1:1/base', 'test/Things_Do');
}

describe('buildRequest', () => {
  it('puts each path value in its place as one encoded segment, and asks for what the operation produces', () => {
    const request = build(op(PATH, { produces: ['application/json', 'text/plain'] }), { thingId: 'a b/c', partName: 'ü?#' });
    expect(request).toEqual({
      method: 'post',
      url: 'http://127.0.0.1:1/base/things/a%20b%2Fc/parts/%C3%BC%3F%23',
      headers: { accept: 'application/json, text/plain' },
      body: undefined,
      responseType: 'buffer',
      action: 'test/Things_Do',
      baseUrl: 'http://127.0.0.1:1/base',
    });
    expect(build(op(PATH), { thingId: 't', partName: 'p' }).headers).toEqual({});
  });

  it('refuses a path placeholder that no path parameter declares, even when a query parameter has its name', () => {
    expect(() => build(op([PATH[0]]), { thingId: 't' })).toThrow('Things_Do: path parameter {partName} is not declared');
    expect(() => build(op([PATH[0], param('partName', 'query')]), { thingId: 't', partName: 'p' })).toThrow('Things_Do: path parameter {partName} is not declared');
  });

  it('writes query values encoded, arrays in their collection format, and skips values not given', () => {
    const query = [
      param('plain', 'query', { wireName: 'the key' }),
      param('csv', 'query'),
      param('ssv', 'query', { collectionFormat: 'ssv' }),
      param('tsv', 'query', { collectionFormat: 'tsv' }),
      param('pipes', 'query', { collectionFormat: 'pipes' }),
      param('multi', 'query', { collectionFormat: 'multi' }),
      param('absent', 'query'),
    ];
    const request = build(op([...PATH, ...query]), {
      thingId: 't',
      partName: 'p',
      plain: 'a&b=c',
      csv: ['x', 'y,z'],
      ssv: ['x', 1],
      tsv: ['x', true],
      pipes: ['x', 'y'],
      multi: ['m 1', 'm&2'],
    });
    expect(request.url).toBe('http://127.0.0.1:1/base/things/t/parts/p?the%20key=a%26b%3Dc&csv=x%2Cy%2Cz&ssv=x%201&tsv=x%09true&pipes=x%7Cy&multi=m%201&multi=m%262');
  });

  it('sends header parameters under their lower-case names, and a body parameter as JSON', async () => {
    const request = build(op([...PATH, param('requestTag', 'header', { wireName: 'X-Ms-Request-Tag' }), param('definition', 'body')]), {
      thingId: 't',
      partName: 'p',
      requestTag: 7,
      definition: { name: 'é' },
    });
    expect(request.headers).toEqual({ 'x-ms-request-tag': '7' });
    const body = await request.body!.create();
    expect([body.headers, (body.data as Buffer).toString('utf8')]).toEqual([{ 'content-type': 'application/json', 'content-length': '13' }, '{"name":"é"}']);
  });

  it('sends file parts as multipart, and refuses a formData parameter without its classified part or its file settings', async () => {
    const file = { defaultFilename: 'project.zip', defaultContentType: 'application/zip' };
    const files = new Map<string, ClassifiedPart>([['projectZipFile', { source: { kind: 'bytes', data: Buffer.from('PK\x03\x04') } }]]);
    const request = build(op([...PATH, param('projectZipFile', 'formData', { wireName: 'projectZip', file })]), { thingId: 't', partName: 'p', projectZipFile: 'x' }, files);
    const body = await request.body!.create();
    expect(body.headers['content-type']).toMatch(/^multipart\/form-data; boundary=/);

    expect(() => build(op([...PATH, param('projectZipFile', 'formData', { file })]), { thingId: 't', partName: 'p', projectZipFile: 'x' })).toThrow(
      'Things_Do: formData parameter projectZipFile is not a file part',
    );
    expect(() => build(op([...PATH, param('projectZipFile', 'formData')]), { thingId: 't', partName: 'p', projectZipFile: 'x' }, files)).toThrow(
      'Things_Do: formData parameter projectZipFile is not a file part',
    );
  });
});

const EMPTY_SPEC: IntegrationSpec = { id: 'test', title: '', description: '', definitions: {}, securityDefinitions: {}, operations: [] };

async function problems(operation: OperationSpec, input: unknown, spec = EMPTY_SPEC): Promise<unknown> {
  return validateInput(spec, operation, input, 'test/Things_Do').then(
    () => [],
    (error: unknown) => {
      expect(error).toBeInstanceOf(AzureMLValidationError);
      return (error as AzureMLValidationError).problems;
    },
  );
}

describe('validateInput', () => {
  const withSchema = op([...PATH, param('note', 'query')], {
    inputSchema: { type: 'object', required: ['thingId', 'partName'], properties: { thingId: { type: 'string' }, partName: { type: 'string' }, note: { type: 'string' } } },
  });

  it('names the required fields when no input is given, and takes no input where nothing is required', async () => {
    for (const input of [undefined, null]) expect(await problems(withSchema, input)).toEqual([{ path: '', message: 'input must be an object with thingId, partName' }]);
    const optional = op([param('note', 'query')], { path: '/things', inputSchema: { type: 'object', properties: { note: { type: 'string' } } } });
    expect(await validateInput(EMPTY_SPEC, optional, undefined, 'test/Things_Do')).toEqual({ input: {}, files: new Map() });
    expect(await problems(optional, ['a'])).toEqual([{ path: '', message: 'input must be an object (got an array)' }]);
    expect(await problems(optional, 'a')).toEqual([{ path: '', message: 'input must be an object (got a string)' }]);
  });

  it('refuses a path value that is not one segment', async () => {
    expect(await problems(withSchema, { thingId: '', partName: '.' })).toEqual([
      { path: 'thingId', message: 'must not be empty' },
      { path: 'partName', message: 'must not be "."' },
    ]);
    expect(await problems(withSchema, { thingId: '..', partName: 'a\\b' })).toEqual([
      { path: 'thingId', message: 'must not be ".."' },
      { path: 'partName', message: 'must not contain / or \\ (it is one segment of the URL path)' },
    ]);
    // A value of the wrong type is the schema's to report, once.
    expect(await problems(withSchema, { thingId: ['a/b'], partName: 'p' })).toEqual([{ path: 'thingId', message: 'must be a string (got array)' }]);
  });

  it('checks a body definition given as an object as the service reads it, and only its type through the input schema', async () => {
    const snapshot = executionSpec.operations.find((o) => o.operationId === 'Runs_StartSnapshotRun')!;
    const shallow = shallowInputSchema(snapshot);
    expect(shallow.properties!.definition).toEqual({ type: 'object' });
    expect(shallow.properties!.subscriptionId).toBe(snapshot.inputSchema.properties!.subscriptionId);
    expect(shallowInputSchema(snapshot)).toBe(shallow);
    // An operation without a body definition keeps its schema; a body that is not a $ref to a definition is no definition.
    const plain = op([param('payload', 'body')], { path: '/p', inputSchema: { type: 'object', properties: { payload: { $ref: '#/other/Payload' } } } });
    expect(shallowInputSchema(plain)).toBe(plain.inputSchema);
    const unlisted = op([param('payload', 'body')], { path: '/p', inputSchema: { type: 'object' } });
    expect(shallowInputSchema(unlisted)).toBe(unlisted.inputSchema);
  });

  it('reads a JSON definition part with a leading byte order mark, and no other', async () => {
    const startRun = executionSpec.operations.find((o) => o.operationId === 'Runs_StartRun')!;
    const base = {
      subscriptionId: '6a8bd9bb-1df3-4bca-9b24-27a7f3e5b9e7',
      resourceGroupName: 'rg',
      workspaceName: 'ws',
      experimentName: 'e',
      projectZipFile: Buffer.from('PK\x03\x04'),
    };
    expect(await problems(startRun, { ...base, runDefinitionFile: '\uFEFF{"configuration":{"script":"a.py"}}' }, executionSpec)).toEqual([]);
    expect(await problems(startRun, { ...base, runDefinitionFile: '{\uFEFF"configuration":{"script":"a.py"}}' }, executionSpec)).toEqual([
      { path: 'runDefinitionFile', message: "is not JSON: Expected property name or '}' in JSON at position 1" },
    ]);
  });
});
