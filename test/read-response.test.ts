/**
 * readResponse alone: how each kind of answer becomes an action's output, and the exact error of
 * each that cannot. The client reaches it only with 2xx answers (the retry policy and the actions
 * handle the others first), so its own status check is tested here.
 */
import { AzureMLResponseFormatError, AzureMLServiceError } from '../src';
import type { PipelineRequest, PipelineResponse } from '../src/http/pipeline';
import { readResponse, serviceErrorOf } from '../src/http/read-response';
import type { OperationSpec } from '../src/spec/operation-spec';

function op(responseKind: OperationSpec['responseKind'], outputSchema: OperationSpec['outputSchema'] = {}): OperationSpec {
  return {
    operationId: 'Things_Get',
    method: 'get',
    path: '/things',
    title: '',
    description: '',
    consumes: [],
    produces: [],
    parameters: [],
    responseKind,
    inputSchema: {},
    outputSchema,
  };
}

/** An answer to a request made without a secrets callback, unless one is given. */
function answer(status: number, body: string, secrets?: () => readonly string[]): PipelineResponse {
  const request: PipelineRequest = {
    method: 'get',
    url: 'http://127.0.0.1:1/things',
    headers: {},
    responseType: 'buffer',
    action: 'test/Things_Get',
    baseUrl: 'http://127.0.0.1:1',
  };
  if (secrets) request.secrets = secrets;
  return { status, headers: {}, body: Buffer.from(body), request };
}

function thrown(fn: () => unknown): Error {
  try {
    fn();
  } catch (error) {
    return error as Error;
  }
  throw new Error('expected a throw');
}

const THING = {
  type: 'object',
  required: ['id', 'size'],
  properties: { id: { type: 'string' }, size: { type: 'integer' } },
};

describe('readResponse', () => {
  it('turns every answer outside 2xx into a service error, 300 included, with or without a secrets callback', () => {
    for (const status of [300, 404, 500]) {
      const error = thrown(() => readResponse(op('json', THING), answer(status, '{"error":{"code":"Nope","message":"no"}}')));
      expect(error).toBeInstanceOf(AzureMLServiceError);
      expect((error as AzureMLServiceError).statusCode).toBe(status);
    }
    expect(readResponse(op('json', THING), answer(299, '{"id":"a","size":1}'))).toEqual({ id: 'a', size: 1 });
    expect(serviceErrorOf(answer(503, 'busy')).statusCode).toBe(503);
  });

  it('returns the bytes of a file intact', () => {
    const body = readResponse(op('binary'), answer(200, 'PK\u0003\u0004')) as Buffer;
    expect(body.equals(Buffer.from('PK\u0003\u0004'))).toBe(true);
  });

  it('reads an answer the swagger does not describe as JSON when it is, and as nothing otherwise', () => {
    expect(readResponse(op('none'), answer(200, ''))).toBeUndefined();
    expect(readResponse(op('none'), answer(200, ' \n '))).toBeUndefined();
    expect(readResponse(op('none'), answer(202, 'Accepted'))).toBeUndefined();
    expect(readResponse(op('none'), answer(200, ' {"status":"Deleting"}\n'))).toEqual({ status: 'Deleting' });
  });

  it('says an empty body is empty, even when it is only whitespace, and quotes the parser for any other', () => {
    for (const body of ['', '  \r\n']) {
      const error = thrown(() => readResponse(op('json', THING), answer(200, body))) as AzureMLResponseFormatError;
      expect(error).toBeInstanceOf(AzureMLResponseFormatError);
      expect([error.message, error.body]).toEqual(['Action test/Things_Get got an answer it cannot read (status code 200): the body is empty, JSON was expected', body]);
    }
    const error = thrown(() => readResponse(op('json', THING), answer(201, 'nope'))) as AzureMLResponseFormatError;
    expect(error.message).toBe('Action test/Things_Get got an answer it cannot read (status code 201): the body is not JSON (Unexpected token \'o\', "nope" is not valid JSON)');
  });

  it('names every way the answer breaks the output schema, and scrubs secrets from the body it keeps', () => {
    const error = thrown(() =>
      readResponse(
        op('json', THING),
        answer(200, '{"id":7,"note":"token=s3cr3t-value"}', () => ['s3cr3t-value']),
      ),
    ) as AzureMLResponseFormatError;
    expect(error.message).toBe(
      "Action test/Things_Get got an answer it cannot read (status code 200): it does not match the operation's output schema: size is required; id must be a string (got integer)",
    );
    expect(error.body).toBe('{"id":7,"note":"token=[REDACTED]"}');
    expect(error.message).not.toContain('s3cr3t');
  });
});
