/**
 * `npm run subset -- <api> <public swagger file>`: writes the project's OpenAPI file for an API as
 * a subset of the public description: the operations listed in SUBSETS, the paths that hold them,
 * and every definition and parameter they reach. Nothing is edited but the info block, so each
 * operation stays exactly as Azure/azure-rest-api-specs has it.
 */
import * as fs from 'fs';
import * as path from 'path';
import { SUBSETS } from './subset-config';

type Json = Record<string, unknown>;
const HTTP_METHODS = new Set(['get', 'put', 'post', 'delete', 'patch', 'head', 'options']);

/** Every local $ref (`#/definitions/X`, `#/parameters/Y`) under `value`. */
function refsIn(value: unknown, out: Set<string>): Set<string> {
  if (Array.isArray(value)) for (const item of value) refsIn(item, out);
  else if (value && typeof value === 'object') {
    for (const [key, child] of Object.entries(value)) {
      if (key === '$ref' && typeof child === 'string' && child.startsWith('#/')) out.add(child);
      else refsIn(child, out);
    }
  }
  return out;
}

export function subsetOf(source: Json, operations: readonly string[], info: Json): Json {
  const wanted = new Set(operations);
  const paths: Json = {};
  for (const [route, item] of Object.entries(source.paths as Record<string, Json>)) {
    const kept: Json = {};
    for (const [method, operation] of Object.entries(item)) {
      if (!HTTP_METHODS.has(method))
        kept[method] = operation; // path-level parameters
      else if (wanted.delete(String((operation as Json).operationId))) kept[method] = operation;
    }
    if (Object.keys(kept).some((key) => HTTP_METHODS.has(key))) paths[route] = kept;
  }
  if (wanted.size) throw new Error(`not in the source: ${[...wanted].join(', ')}`);

  // The closure of what the kept paths reach.
  const reached = new Set<string>();
  const queue = [...refsIn(paths, new Set())];
  while (queue.length) {
    const ref = queue.pop()!;
    if (reached.has(ref)) continue;
    reached.add(ref);
    const [, section, name] = ref.split('/');
    const target = (source[section] as Json | undefined)?.[name];
    if (target === undefined) throw new Error(`${ref} does not resolve`);
    queue.push(...refsIn(target, new Set()));
  }
  const pick = (section: string) => {
    const all = (source[section] ?? {}) as Json;
    return Object.fromEntries(
      Object.keys(all)
        .filter((name) => reached.has(`#/${section}/${name}`))
        .map((name) => [name, all[name]]),
    );
  };
  const out: Json = {};
  for (const [key, value] of Object.entries(source)) {
    if (key === 'info') out.info = info;
    else if (key === 'paths') out.paths = paths;
    else if (key === 'definitions' || key === 'parameters') out[key] = pick(key);
    else out[key] = value;
  }
  return out;
}

/** Sets the value at a JSON pointer that must exist already (a correction names what it replaces). */
export function correct(document: Json, pointer: string, value: unknown): void {
  const keys = pointer
    .split('/')
    .slice(1)
    .map((k) => k.replace(/~1/g, '/').replace(/~0/g, '~'));
  const last = keys.pop()!;
  let node: unknown = document;
  for (const key of keys) node = (node as Json | undefined)?.[key];
  if (!node || typeof node !== 'object' || !(last in (node as Json))) throw new Error(`correction ${pointer}: nothing there to correct`);
  (node as Json)[last] = value;
}

function main(argv: string[]): number {
  const [api, sourceFile] = argv;
  const entry = SUBSETS[api];
  if (!entry || !sourceFile) {
    console.error(`usage: npm run subset -- <${Object.keys(SUBSETS).join('|')}> <public swagger file>`);
    return 2;
  }
  const source = JSON.parse(fs.readFileSync(sourceFile, 'utf8')) as Json;
  const subset = subsetOf(source, entry.operations, { ...(source.info as Json), title: entry.title, description: entry.description });
  for (const { pointer, value } of entry.corrections ?? []) correct(subset, pointer, value);
  if (entry.corrections?.length) {
    const info = subset.info as Json;
    info['x-corrections'] = entry.corrections.map(({ pointer, reason }) => `${pointer}: ${reason}`);
  }
  const target = path.join(process.cwd(), entry.openapiFile);
  fs.writeFileSync(target, `${JSON.stringify(subset, null, 2)}\n`);
  console.log(`wrote ${entry.openapiFile}: ${entry.operations.length} operations, ${Object.keys(subset.definitions as Json).length} definitions`);
  return 0;
}

if (require.main === module) process.exitCode = main(process.argv.slice(2));
