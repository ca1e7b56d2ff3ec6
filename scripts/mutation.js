#!/usr/bin/env node
/**
 * `npm run test:mutation [-- http auth workflow]`: StrykerJS over each folder of the request
 * path in turn (stryker.config.cjs), then the scores of every folder that has a report, from
 * reports/mutation/<folder>.json. `--report` prints the scores alone, without running. What
 * follows `--` goes to Stryker, e.g. `-- --mutate 'src/http/transport.ts'` to test part of a
 * folder first: a later run of the folder reuses those results (its incremental file).
 *
 * Score = detected / (detected + survived + no coverage), detected = killed + timed out.
 * Mutants that do not compile or crash the runner, and ignored ones, are left out, as Stryker does.
 */
const { spawnSync } = require('child_process');
const fs = require('fs');
const path = require('path');

const FOLDERS = ['http', 'auth', 'workflow'];
const ROOT = path.join(__dirname, '..');
// The package's exports do not name its bin.
const STRYKER = path.join(ROOT, 'node_modules', '@stryker-mutator', 'core', 'bin', 'stryker.js');
const REPORTS = path.join(ROOT, 'reports', 'mutation');

function count(report) {
  const c = { Killed: 0, Timeout: 0, Survived: 0, NoCoverage: 0, other: 0 };
  for (const file of Object.values(report.files)) {
    for (const mutant of file.mutants) {
      if (mutant.status in c) c[mutant.status]++;
      else c.other++;
    }
  }
  return c;
}

function percent(part, whole) {
  return whole ? `${((100 * part) / whole).toFixed(1)} %` : 'n/a';
}

function row(name, c) {
  const detected = c.Killed + c.Timeout;
  const valid = detected + c.Survived + c.NoCoverage;
  return [name, valid, c.Killed, c.Timeout, c.Survived, c.NoCoverage, percent(detected, valid), percent(detected, detected + c.Survived)];
}

function summary(dir = REPORTS) {
  const rows = [];
  const total = { Killed: 0, Timeout: 0, Survived: 0, NoCoverage: 0, other: 0 };
  for (const folder of FOLDERS) {
    const file = path.join(dir, `${folder}.json`);
    if (!fs.existsSync(file)) continue;
    const c = count(JSON.parse(fs.readFileSync(file, 'utf8')));
    for (const key of Object.keys(total)) total[key] += c[key];
    rows.push(row(`src/${folder}/`, c));
  }
  if (rows.length === 0) return 'No mutation report yet: run `npm run test:mutation`.';
  if (rows.length > 1) rows.push(row('all', total));
  const head = ['folder', 'mutants', 'killed', 'timeout', 'survived', 'no cover', 'score', 'of covered'];
  const table = [head, ...rows].map((r) => r.map(String));
  const widths = head.map((_, i) => Math.max(...table.map((r) => r[i].length)));
  return table.map((r) => r.map((cell, i) => (i === 0 ? cell.padEnd(widths[i]) : cell.padStart(widths[i]))).join('  ')).join('\n');
}

function main(argv) {
  const dashes = argv.indexOf('--');
  const args = dashes < 0 ? argv : argv.slice(0, dashes);
  const strykerArgs = dashes < 0 ? [] : argv.slice(dashes + 1);
  if (!args.includes('--report')) {
    const folders = args.length ? args : FOLDERS;
    for (const folder of folders) {
      if (!FOLDERS.includes(folder)) {
        console.error(`Unknown folder ${JSON.stringify(folder)}: use ${FOLDERS.join(', ')}.`);
        return 2;
      }
    }
    for (const folder of folders) {
      console.log(`\n== StrykerJS over src/${folder}/`);
      const run = spawnSync(process.execPath, [STRYKER, 'run', 'stryker.config.cjs', ...strykerArgs], {
        cwd: ROOT,
        env: { ...process.env, MUTATION_FOLDER: folder },
        stdio: 'inherit',
      });
      if (run.status !== 0) return run.status ?? 1;
    }
  }
  console.log(`\n${summary()}`);
  return 0;
}

if (require.main === module) process.exitCode = main(process.argv.slice(2));

module.exports = { count, summary };
