/**
 * The shape of the operation tables that the generator derives from the OpenAPI files.
 * Hand-written because it describes the generator's output, not the service.
 */

/** A JSON Schema as DataFire and ajv read it (draft-04 style `definitions`, so DataFire's ajv 4 can compile it too). */
export interface JSONSchema {
  type?: string | string[];
  format?: string;
  description?: string;
  pattern?: string;
  enum?: unknown[];
  properties?: Record<string, JSONSchema>;
  additionalProperties?: boolean | JSONSchema;
  required?: string[];
  items?: JSONSchema;
  definitions?: Record<string, JSONSchema>;
  $ref?: string;
  [keyword: string]: unknown;
}

export type ParameterLocation = 'path' | 'query' | 'header' | 'body' | 'formData';

export interface ParameterSpec {
  /** The input field name (DataFire's unique name: the parameter name, suffixed with `_in` on a clash). */
  readonly name: string;
  /** The name on the wire. */
  readonly wireName: string;
  readonly in: ParameterLocation;
  readonly required: boolean;
  /** How an array query parameter goes on the wire: `multi` repeats it, the others join with , | tab or space. */
  readonly collectionFormat?: 'csv' | 'ssv' | 'tsv' | 'pipes' | 'multi';
  /** The OpenAPI parameter's description (a body parameter's schema does not carry it). */
  readonly description?: string;
  /** A formData parameter of type file: sent as a multipart part. */
  readonly file?: {
    /** The part's filename when the caller gives none. */
    readonly defaultFilename: string;
    /** The part's Content-Type when the caller gives none. */
    readonly defaultContentType: string;
    /** The part holds a JSON document of this definition: a plain object is accepted and in-memory content is checked. */
    readonly jsonDefinition?: string;
    /** The part holds a zip archive: in-memory content and files on disk are checked for the zip signature. */
    readonly zip?: boolean;
  };
}

export interface OperationSpec {
  readonly operationId: string;
  readonly method: 'get' | 'put' | 'post' | 'patch' | 'delete' | 'head';
  /** The path template, e.g. `/execution/v1.0/subscriptions/{subscriptionId}/...`. */
  readonly path: string;
  readonly title: string;
  readonly description: string;
  readonly consumes: readonly string[];
  readonly produces: readonly string[];
  readonly parameters: readonly ParameterSpec[];
  /**
   * `json`: the answer is parsed as JSON; `binary`: the answer's bytes are returned as a Buffer;
   * `none`: the operation promises no body (RunMetrics_Post): an empty answer is undefined.
   */
  readonly responseKind: 'json' | 'binary' | 'none';
  readonly inputSchema: JSONSchema;
  readonly outputSchema: JSONSchema;
}

export interface IntegrationSpec {
  readonly id: string;
  readonly title: string;
  readonly description: string;
  /** The API's own host (`https://management.azure.com`), when its OpenAPI file names one; the account may say another. */
  readonly defaultHost?: string;
  /** The `api-version` every call sends unless the input gives one (the OpenAPI file's info.version). */
  readonly apiVersion?: string;
  readonly definitions: Record<string, JSONSchema>;
  /** The OpenAPI security definitions, as DataFire reads them for the account's fields. */
  readonly securityDefinitions: Record<string, Record<string, unknown>>;
  readonly operations: readonly OperationSpec[];
}
