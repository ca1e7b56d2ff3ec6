/**
 * Turns an answer into the action's output: parsed JSON checked against the output schema, or
 * the bytes of a file intact. Any status that is not 2xx becomes an AzureMLServiceError.
 */
import { AzureMLResponseFormatError, AzureMLServiceError } from '../errors';
import type { PipelineResponse } from './pipeline';
import { scrubSecrets } from './scrub';
import type { OperationSpec } from '../spec/operation-spec';
import { answerSchema } from '../spec/answer-schema';
import { validateSchema } from '../spec/validate';

/** The error of an answer that is not 2xx: the service's codes and message, secrets scrubbed. */
export function serviceErrorOf(response: PipelineResponse): AzureMLServiceError {
  return new AzureMLServiceError({
    action: response.request.action,
    statusCode: response.status,
    body: response.body.toString('utf8'),
    headers: response.headers,
    afterTokenRefresh: response.afterTokenRefresh,
    attempts: response.attempts,
    retryNote: response.retryNote,
    secrets: response.request.secrets?.(),
  });
}

export function readResponse(op: OperationSpec, response: PipelineResponse): unknown {
  const action = response.request.action;
  // Node hands over final answers only: none is below 200.
  if (response.status >= 300) throw serviceErrorOf(response);
  if (op.responseKind === 'binary') return response.body;
  // Nothing promised: nothing read. A body, if one came, is JSON the swagger does not describe.
  if (op.responseKind === 'none') {
    // Whitespace alone is no JSON either: the parse fails and the answer is undefined.
    const text = response.body.toString('utf8');
    try {
      return text ? (JSON.parse(text) as unknown) : undefined;
    } catch {
      return undefined;
    }
  }

  const text = scrubSecrets(response.body.toString('utf8'), response.request.secrets?.());
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    const why = text.trim() === '' ? 'the body is empty, JSON was expected' : `the body is not JSON (${(error as Error).message})`;
    throw new AzureMLResponseFormatError({ action, statusCode: response.status, body: text, reason: why });
  }
  const problems = validateSchema(answerSchema(op.outputSchema), value);
  if (problems.length) {
    const why = problems.map((p) => (p.path ? `${p.path} ${p.message}` : p.message)).join('; ');
    throw new AzureMLResponseFormatError({ action, statusCode: response.status, body: text, reason: `it does not match the operation's output schema: ${why}` });
  }
  return value;
}
