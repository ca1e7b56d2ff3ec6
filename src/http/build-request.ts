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

/** A path template split once per operation: literal text, and the input names of its parameters. */
type PathTemplate = Array<{ text: string } | { input: string }>;
const templates = new WeakMap<OperationSpec, PathTemplate>();

function pathTemplate(op: OperationSpec): PathTemplate {
  let template = templates.get(op);
  if (template) return template;
  const byWireName = new Map(op.parameters.filter((p) => p.in === 'path').map((p) => [p.wireName, p.name]));
  // The split leaves empty strings around each placeholder: empty text, which adds nothing.
  template = op.path.split(/(\{[^}]+\})/).map((part) => {
    if (!part.startsWith('{')) return { text: part };
    const input = byWireName.get(part.slice(1, -1));
    if (!input) throw new Error(`${op.operationId}: path parameter ${part} is not declared`);
    return { input };
  });
  templates.set(op, template);
  return template;
}

export function buildRequest(op: OperationSpec, validated: ValidatedInput, baseUrl: string, action: string): PipelineRequest {
  const { input, files } = validated;
  let path = '';
  for (const part of pathTemplate(op)) path += 'text' in part ? part.text : encodeURIComponent(String(input[part.input]));

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
