#!/usr/bin/env node
/**
 * Builds the emulator's dashboard into dist/dashboard: the page's TypeScript (already type-checked
 * by `tsc -p src/emulator/dashboard/page`) and uPlot bundled into one script, the styles (with
 * uPlot's) into one sheet, and the HTML and icon copied. Everything the page loads ships in the
 * package: nothing comes from a CDN. esbuild-wasm: pure JS and WebAssembly, no install script.
 */
const fs = require('fs');
const path = require('path');
const esbuild = require('esbuild-wasm');

const root = path.resolve(__dirname, '..');
const page = path.join(root, 'src/emulator/dashboard/page');
const out = path.join(root, 'dist/dashboard');
/** The v2 API's version, from its OpenAPI file: the one source of truth the client uses too. */
const armApiVersion = JSON.parse(fs.readFileSync(path.join(root, 'src/spec/arm/openapi.json'), 'utf8')).info.version;

async function main() {
  fs.mkdirSync(out, { recursive: true });
  const common = { bundle: true, minify: true, legalComments: 'eof', logLevel: 'warning', absWorkingDir: root };
  await esbuild.build({
    ...common,
    entryPoints: [path.join(page, 'main.ts')],
    outfile: path.join(out, 'app.js'),
    platform: 'browser',
    format: 'iife',
    target: ['chrome109', 'firefox115', 'safari16'],
    define: { ARM_API_VERSION: JSON.stringify(armApiVersion) },
  });
  await esbuild.build({ ...common, entryPoints: [path.join(page, 'styles.css')], outfile: path.join(out, 'app.css') });
  for (const file of ['index.html', 'icon.svg']) fs.copyFileSync(path.join(page, file), path.join(out, file));
  await esbuild.stop?.();
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
