/**
 * What the generator reads and writes. The OpenAPI files are the source of truth; the
 * overlays only add what an OpenAPI 2.0 file cannot say about multipart parts.
 */
import type { FilePartOverlay } from './openapi-to-spec';
import type { RenderTarget } from './render';

export interface GeneratorEntry extends RenderTarget {
  /** The DataFire integration id. */
  id: string;
  /** The OpenAPI file, relative to the repository root. */
  openapiFile: string;
  /** Output files, relative to the repository root. */
  specModule: string;
  typesModule: string;
  fileParts?: Record<string, FilePartOverlay>;
}

export const GENERATOR_ENTRIES: GeneratorEntry[] = [
  {
    id: 'azure_machinelearningservices_execution',
    openapiFile: 'openapi.json',
    sourceFile: 'openapi.json',
    specModule: 'src/spec/execution/spec.ts',
    typesModule: 'src/spec/execution/types.ts',
    typePrefix: 'Execution',
    specConstant: 'executionSpec',
    fileParts: {
      // Seed 003 sends ("definition.json", definition) and ("project.zip", zip).
      'Runs_StartRun.runDefinitionFile': {
        defaultFilename: 'definition.json',
        defaultContentType: 'application/json',
        jsonDefinition: 'RunDefinition',
      },
      'Runs_StartRun.projectZipFile': {
        defaultFilename: 'project.zip',
        defaultContentType: 'application/zip',
        zip: true,
      },
    },
  },
  {
    id: 'azure_machinelearningservices_runhistory',
    openapiFile: 'src/spec/runhistory/openapi.json',
    sourceFile: 'src/spec/runhistory/openapi.json',
    specModule: 'src/spec/runhistory/spec.ts',
    typesModule: 'src/spec/runhistory/types.ts',
    typePrefix: 'RunHistory',
    specConstant: 'runHistorySpec',
  },
  {
    // The v2 API (Azure Resource Manager, api-version 2024-10-01): jobs, code versions, computes.
    id: 'azure_machinelearningservices_v2',
    openapiFile: 'src/spec/arm/openapi.json',
    sourceFile: 'src/spec/arm/openapi.json',
    specModule: 'src/spec/arm/spec.ts',
    typesModule: 'src/spec/arm/types.ts',
    typePrefix: 'V2',
    specConstant: 'v2Spec',
  },
];
