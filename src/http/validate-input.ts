/**
 * Everything checked before a request is made: the input schema (ajv), path segments, and the
 * multipart parts (their form, JSON definitions, zip signatures, files on disk).
 */
import { AzureMLValidationError, type InputProblem } from '../errors';
import { checkPathPart, classifyFileInput, describeType, looksLikeZip, type ClassifiedPart } from './file-input';
import type { IntegrationSpec, OperationSpec, ParameterSpec } from '../spec/operation-spec';
import { validateSchema } from '../spec/validate';

export interface ValidatedInput {
  input: Record<string, unknown>;
  /** The file parts, by input name, after classification. */
  files: Map<string, ClassifiedPart>;
}

function checkPathSegment(param: ParameterSpec, value: unknown, problems: InputProblem[]): void {
  if (typeof value !== 'string') return; // the schema reports the type
  if (value === '') problems.push({ path: param.name, message: 'must not be empty' });
  else if (value === '.' || value === '..') problems.push({ path: param.name, message: `must not be "${value}"` });
  else if (/[/\\]/.test(value)) problems.push({ path: param.name, message: 'must not contain / or \\ (it is one segment of the URL path)' });
}

function definitionSchema(spec: IntegrationSpec, name: string) {
  return { $ref: `#/definitions/${name}`, definitions: spec.definitions };
}

/** Schemas for JSON parts, one per definition name, built once. */
const partSchemas = new WeakMap<IntegrationSpec, Map<string, ReturnType<typeof definitionSchema>>>();

function partSchema(spec: IntegrationSpec, name: string) {
  let byName = partSchemas.get(spec);
  if (!byName) partSchemas.set(spec, (byName = new Map()));
  let schema = byName.get(name);
  if (!schema) byName.set(name, (schema = definitionSchema(spec, name)));
  return schema;
}

function checkJsonPart(spec: IntegrationSpec, param: ParameterSpec, part: ClassifiedPart, value: unknown, problems: InputProblem[]): void {
  const definition = param.file?.jsonDefinition;
  if (!definition) return;
  if (part.json) {
    problems.push(...validateSchema(partSchema(spec, definition), value, param.name));
    return;
  }
  if (part.source.kind !== 'bytes') return; // a stream or a file on disk is sent as it is
  let parsed: unknown;
  try {
    parsed = JSON.parse(part.source.data.toString('utf8').replace(/^\uFEFF/, ''));
  } catch (error) {
    problems.push({ path: param.name, message: `is not JSON: ${(error as Error).message}` });
    return;
  }
  if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) {
    problems.push({ path: param.name, message: `must hold a JSON object (a ${definition}), not ${describeType(parsed)}` });
    return;
  }
  problems.push(...validateSchema(partSchema(spec, definition), parsed, param.name));
}

export async function validateInput(spec: IntegrationSpec, op: OperationSpec, rawInput: unknown, action: string): Promise<ValidatedInput> {
  const required = op.parameters.some((p) => p.required);
  if (rawInput === undefined || rawInput === null) {
    if (required)
      throw new AzureMLValidationError({
        action,
        problems: [
          {
            path: '',
            message: `input must be an object with ${op.parameters
              .filter((p) => p.required)
              .map((p) => p.name)
              .join(', ')}`,
          },
        ],
      });
    rawInput = {};
  }
  if (typeof rawInput !== 'object' || Array.isArray(rawInput)) {
    throw new AzureMLValidationError({ action, problems: [{ path: '', message: `input must be an object (got ${describeType(rawInput)})` }] });
  }
  const input = rawInput as Record<string, unknown>;
  // A file part's value is judged by classifyFileInput, which knows Buffers, streams and {path}:
  // the schema's view of it (a string or an object) would only repeat that less precisely.
  const givenFiles = new Set(op.parameters.filter((p) => p.file && input[p.name] !== undefined).map((p) => p.name));
  const problems = validateSchema(op.inputSchema, input).filter((p) => !givenFiles.has(p.path.split(/[.[]/)[0]));
  const reported = new Set(problems.map((p) => p.path.split(/[.[]/)[0]));
  const files = new Map<string, ClassifiedPart>();

  for (const param of op.parameters) {
    const value = input[param.name];
    if (value === undefined || reported.has(param.name)) continue;
    if (param.in === 'path') checkPathSegment(param, value, problems);
    if (!param.file) continue;
    const part = classifyFileInput(value, param.name, param.file.jsonDefinition, problems);
    if (!part) continue;
    files.set(param.name, part);
    checkJsonPart(spec, param, part, value, problems);
    if (param.file.zip && part.source.kind === 'bytes' && !looksLikeZip(part.source.data)) {
      problems.push({ path: param.name, message: 'is not a zip archive (it does not start with the zip signature PK\\x03\\x04)' });
    }
    if (part.source.kind === 'path') await checkPathPart(part.source.path, param.name, !!param.file.zip, problems);
  }

  if (problems.length) throw new AzureMLValidationError({ action, problems });
  return { input, files };
}
