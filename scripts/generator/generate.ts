/**
 * Produces the generated modules' text from the OpenAPI files, without writing anything:
 * `main.ts` writes them, and a test compares them with the committed files.
 */
import * as fs from 'fs';
import * as path from 'path';
import { GENERATOR_ENTRIES } from './config';
import { openapiToSpec, type OpenAPIDocument } from './openapi-to-spec';
import { renderSpecModule, renderTypesModule } from './render';

export interface GeneratedFile {
  /** Relative to the repository root. */
  file: string;
  content: string;
}

export function generateAll(repoRoot: string): GeneratedFile[] {
  const files: GeneratedFile[] = [];
  for (const entry of GENERATOR_ENTRIES) {
    const openapi = JSON.parse(fs.readFileSync(path.join(repoRoot, entry.openapiFile), 'utf8')) as OpenAPIDocument;
    const spec = openapiToSpec({ id: entry.id, openapi, fileParts: entry.fileParts });
    files.push({ file: entry.specModule, content: renderSpecModule(spec, entry) });
    files.push({ file: entry.typesModule, content: renderTypesModule(spec, entry) });
  }
  return files;
}
