/**
 * Turns an operation and its validated input into a request: URL-encoded path segments, the
 * query, the JSON or multipart body factory, and Accept.
 */
import { bufferBody, type BodyFactory } from './body';
import { multipartBody, type MultipartPart } from './multipart';
import type { PipelineRequest } from './pipeline';
import type { ValidatedInput } from './validate-input';
import type { OperationSpec } from '../spec/operation-spec';

const SEPARATORS = { csv: ',', ssv: ' ', tsv: '\t', pipes: '|', multi: ',' } as const;

export function buildRequest(op: OperationSpec, validated: ValidatedInput, baseUrl: string, action: string): PipelineRequest {
  const { input, files } = validated;
  const byWireName = new Map(op.parameters.filter((p) => p.in === 'path').map((p) => [p.wireName, p]));
  const path = op.path.replace(/\{([^}]+)\}/g, (_, wireName: string) => {
    const param = byWireName.get(wireName);
    if (!param) throw new Error(`${op.operationId}: path parameter {${wireName}} is not declared`);
    return encodeURIComponent(String(input[param.name]));
  });

  const query: string[] = [];
  const headers: Record<string, string> = {};
  let body: BodyFactory | undefined;
  const parts: MultipartPart[] = [];

  for (const param of op.parameters) {
    const value = input[param.name];
    if (value === undefined) continue;
    switch (param.in) {
      case 'query': {
        const key = encodeURIComponent(param.wireName);
        if (Array.isArray(value) && param.collectionFormat === 'multi') {
          for (const item of value) query.push(`${key}=${encodeURIComponent(String(item))}`);
        } else if (Array.isArray(value)) {
          query.push(`${key}=${encodeURIComponent(value.map(String).join(SEPARATORS[param.collectionFormat ?? 'csv']))}`);
        } else {
          query.push(`${key}=${encodeURIComponent(String(value))}`);
        }
        break;
      }
      case 'header':
        headers[param.wireName.toLowerCase()] = String(value);
        break;
      case 'body':
        body = bufferBody(Buffer.from(JSON.stringify(value), 'utf8'), 'application/json');
        break;
      case 'formData': {
        const part = files.get(param.name);
        if (!part || !param.file) throw new Error(`${op.operationId}: formData parameter ${param.name} is not a file part`);
        parts.push({ ...part, name: param.wireName, defaultFilename: param.file.defaultFilename, defaultContentType: param.file.defaultContentType });
        break;
      }
    }
  }
  if (parts.length) body = multipartBody(parts, action);
  if (op.produces.length) headers.accept = op.produces.join(', ');

  return {
    method: op.method,
    url: `${baseUrl}${path}${query.length ? `?${query.join('&')}` : ''}`,
    headers,
    body,
    responseType: 'buffer',
    action,
    baseUrl,
  };
}
