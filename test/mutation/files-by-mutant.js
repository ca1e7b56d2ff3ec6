/**
 * Which test files cover which mutants, learnt in Stryker's dry run and read in each mutant's
 * run, so that a mutant's jest run loads only the files whose tests cover it. Stryker already
 * runs only those tests (by name), but jest still loads every related file to find them, and
 * each file imports most of src/ again: most of a killed mutant's time.
 *
 * The dry run runs in one worker and the mutants in all of them, so the map is a file, in the
 * worker's directory (Stryker's sandbox, new for each run): one JSON line per test file.
 */
const fs = require('fs');
const path = require('path');

const MAP_FILE = '.mutants-by-test-file.jsonl';
const ACTIVE_MUTANT = '__STRYKER_ACTIVE_MUTANT__';

const mapPath = () => path.join(process.cwd(), MAP_FILE);

/** In a Stryker worker, and in its dry run (no mutant active). */
const inDryRun = () => process.env.STRYKER_MUTATOR_WORKER !== undefined && process.env[ACTIVE_MUTANT] === undefined;

function record(testPath, mutantIds) {
  fs.appendFileSync(mapPath(), `${JSON.stringify({ testPath, mutants: [...mutantIds] })}\n`);
}

let cache;
/** testPath -> Set of mutant ids; undefined when there is no map (not under Stryker, or no dry run here). */
function read() {
  let stat;
  try {
    stat = fs.statSync(mapPath());
  } catch {
    return undefined;
  }
  if (!cache || cache.mtimeMs !== stat.mtimeMs || cache.size !== stat.size) {
    const byFile = new Map();
    for (const line of fs.readFileSync(mapPath(), 'utf8').split('\n')) {
      if (!line) continue;
      const { testPath, mutants } = JSON.parse(line);
      const set = byFile.get(testPath) ?? new Set();
      for (const id of mutants) set.add(String(id));
      byFile.set(testPath, set);
    }
    cache = { mtimeMs: stat.mtimeMs, size: stat.size, byFile };
  }
  return cache.byFile;
}

/** The tests to load for the active mutant: those of files known to cover it, and any file the map does not know. */
function filesFor(tests) {
  const mutant = process.env[ACTIVE_MUTANT];
  if (mutant === undefined) return tests;
  const byFile = read();
  if (!byFile) return tests;
  const kept = tests.filter((test) => !byFile.has(test.path) || byFile.get(test.path).has(mutant));
  return kept.length ? kept : tests;
}

module.exports = { MAP_FILE, ACTIVE_MUTANT, inDryRun, record, filesFor };
