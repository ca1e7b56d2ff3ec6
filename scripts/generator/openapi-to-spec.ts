/**
 * Derives an IntegrationSpec (operations with DataFire-compatible input and output schemas)
 * from a Swagger 2.0 document. The schemas are built the way DataFire's
 * `Integration.fromOpenAPI` builds them, so that `getDetails()` and `action(name).inputSchema`
 * stay what users of the generated integration already rely on.
 */
import type { IntegrationSpec, JSONSchema, OperationSpec, ParameterLocation, ParameterSpec } from '../../src/spec/operation-spec';
import { flattenDefinitions, needsFlattening } from './flatten-definitions';

const METHODS = ['get', 'put', 'post', 'patch', 'delete', 'head'] as const;

/** The parameter fields DataFire copies into a parameter's JSON Schema (datafire/src/util/openapi.js). */
const PARAM_SCHEMA_FIELDS = [
  'format',
  'description',
  'pattern',
  'enum',
  'maximum',
  'minimum',
  'exclusiveMaximum',
  'exclusiveMinimum',
  'maxLength',
  'minLength',
  'maxItems',
  'minItems',
  'uniqueItems',
  'multipleOf',
  'default',
] as const;

/** The DataFire file object accepted for `type: file` parameters, plus `path` (a file streamed from disk). */
const FILE_PROPERTIES: Record<string, JSONSchema> = {
  content: { type: 'string' },
  encoding: { type: 'string', enum: ['ascii', 'utf8', 'utf16le', 'base64', 'binary', 'hex'] },
  contentType: { type: 'string' },
  filename: { type: 'string' },
  path: { type: 'string', description: 'Path of a file on disk: streamed with its length, never read whole into memory.' },
};

export interface FilePartOverlay {
  defaultFilename: string;
  defaultContentType: string;
  jsonDefinition?: string;
  zip?: boolean;
}

export interface SpecSource {
  /** The DataFire integration id. */
  id: string;
  openapi: OpenAPIDocument;
  /** Facts about multipart parts that the OpenAPI file cannot say, keyed `operationId.parameterName`. */
  fileParts?: Record<string, FilePartOverlay>;
}

interface OpenAPIParameter {
  $ref?: string;
  name: string;
  in: ParameterLocation;
  required?: boolean;
  type?: string;
  schema?: JSONSchema;
  [field: string]: unknown;
}

interface OpenAPIOperation {
  operationId?: string;
  summary?: string;
  description?: string;
  consumes?: string[];
  produces?: string[];
  parameters?: OpenAPIParameter[];
  responses: Record<string, { description?: string; schema?: JSONSchema }>;
}

export interface OpenAPIDocument {
  info: { title?: string; description?: string; summary?: string; version?: string };
  host?: string;
  paths: Record<string, Record<string, unknown>>;
  definitions?: Record<string, JSONSchema>;
  parameters?: Record<string, OpenAPIParameter>;
  securityDefinitions?: Record<string, Record<string, unknown>>;
}

function resolveParameter(param: OpenAPIParameter, doc: OpenAPIDocument): OpenAPIParameter {
  if (!param.$ref) return param;
  const prefix = '#/parameters/';
  if (!param.$ref.startsWith(prefix)) throw new Error(`Unsupported parameter reference ${param.$ref}`);
  const resolved = doc.parameters?.[param.$ref.slice(prefix.length)];
  if (!resolved) throw new Error(`Parameter reference ${param.$ref} does not resolve`);
  return resolved;
}

/** DataFire's unique input names: a parameter name used twice gets `_{in}` on the less important one. */
function uniqueNames(params: OpenAPIParameter[]): string[] {
  return params.map((param) => {
    const sameName = params.filter((p) => p.name === param.name);
    if (sameName.length === 1) return param.name;
    const best = sameName.find((p) => p.required) ?? sameName[sameName.length - 1];
    return param === best ? param.name : `${param.name}_${param.in}`;
  });
}

function parameterSchema(param: OpenAPIParameter): JSONSchema {
  if (param.in === 'body' && param.schema) return param.schema;
  const schema: JSONSchema = { type: param.type === 'file' ? ['string', 'object'] : param.type };
  if (param.type === 'file') schema.properties = FILE_PROPERTIES;
  // DataFire drops `items`; keeping it types and checks array items, and accepts all DataFire accepted.
  if (param.type === 'array' && param.items) schema.items = param.items as JSONSchema;
  for (const field of PARAM_SCHEMA_FIELDS) {
    if (param[field] !== undefined) (schema as Record<string, unknown>)[field] = param[field];
  }
  return schema;
}

function buildOperation(method: OperationSpec['method'], path: string, op: OpenAPIOperation, source: SpecSource): OperationSpec {
  const doc = source.openapi;
  if (!op.operationId) throw new Error(`${method.toUpperCase()} ${path} has no operationId`);
  const operationId = op.operationId;
  const params = (op.parameters ?? []).map((p) => resolveParameter(p, doc));
  const names = uniqueNames(params);

  const properties: Record<string, JSONSchema> = {};
  const required: string[] = [];
  const parameters: ParameterSpec[] = params.map((param, idx) => {
    const name = names[idx];
    properties[name] = parameterSchema(param);
    // api-version is the document's own version unless the caller names another: never required of the caller.
    const versionParam = param.in === 'query' && param.name === 'api-version' && !!doc.info.version;
    if (versionParam) properties[name] = { ...properties[name], default: doc.info.version };
    const isRequired = !!param.required && !versionParam;
    if (isRequired) required.push(name);
    const spec: ParameterSpec = { name, wireName: param.name, in: param.in, required: isRequired };
    if (typeof param.description === 'string') Object.assign(spec, { description: param.description });
    if (param.type === 'array') Object.assign(spec, { collectionFormat: param.collectionFormat ?? 'csv' });
    if (param.in === 'formData' && param.type !== 'file') throw new Error(`${operationId}.${name}: formData fields other than files are not supported`);
    if (param.type === 'file') {
      const overlay = source.fileParts?.[`${operationId}.${name}`];
      if (!overlay) throw new Error(`No multipart facts for file parameter ${operationId}.${name}: add it to the generator's fileParts`);
      return { ...spec, file: { ...overlay } };
    }
    return spec;
  });

  const inputSchema: JSONSchema = {
    type: required.length ? 'object' : ['object', 'null'],
    properties,
    additionalProperties: false,
    definitions: doc.definitions,
  };
  if (required.length) inputSchema.required = required;

  // DataFire documents the first response in key order (a status code sorts before "default").
  // An operation whose only response is "default" (an ErrorResponse) promises no body on success.
  const successKey = Object.keys(op.responses)
    .sort()
    .find((key) => /^2\d\d$/.test(key));
  const firstResponse = successKey ? op.responses[successKey] : undefined;
  const outputSchema: JSONSchema = { definitions: doc.definitions, ...firstResponse?.schema };

  return {
    operationId,
    method,
    path,
    title: operationId,
    description: op.description ?? op.summary ?? '',
    consumes: op.consumes ?? [],
    produces: op.produces ?? [],
    parameters,
    responseKind: !firstResponse?.schema ? 'none' : firstResponse.schema.type === 'file' ? 'binary' : 'json',
    inputSchema,
    outputSchema,
  };
}

export function openapiToSpec(given: SpecSource): IntegrationSpec {
  const definitions = given.openapi.definitions;
  // Models with inheritance become one schema each (flatten-definitions.ts); the others stay as written.
  const source = definitions && needsFlattening(definitions) ? { ...given, openapi: { ...given.openapi, definitions: flattenDefinitions(definitions) } } : given;
  const doc = source.openapi;
  const operations: OperationSpec[] = [];
  for (const path of Object.keys(doc.paths)) {
    const item = doc.paths[path];
    for (const method of Object.keys(item)) {
      if (!(METHODS as readonly string[]).includes(method)) continue;
      operations.push(buildOperation(method as OperationSpec['method'], path, item[method] as OpenAPIOperation, source));
    }
  }
  // An API that names its host (Azure Resource Manager) and versions every call with api-version.
  const versioned = operations.some((op) => op.parameters.some((p) => p.in === 'query' && p.wireName === 'api-version'));
  return {
    id: source.id,
    title: doc.info.title ?? '',
    description: doc.info.summary ?? doc.info.description ?? '',
    ...(doc.host ? { defaultHost: `https://${doc.host}` } : {}),
    ...(versioned && doc.info.version ? { apiVersion: doc.info.version } : {}),
    definitions: doc.definitions ?? {},
    securityDefinitions: doc.securityDefinitions ?? {},
    operations,
  };
}
