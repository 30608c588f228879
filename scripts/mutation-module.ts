/**
 * npm run mutation:module -- src/auth/session.service.ts [more files or globs…]
 *
 * Runs Stryker (npm run mutation's config) over some modules only, and merges their results into
 * the committed incremental file. Stryker itself would write an incremental file holding only the
 * modules of the run, dropping every other module's results; this script gives Stryker a copy,
 * then puts the modules it tested (and the test files it saw) back into
 * reports/stryker-incremental.json. Extra Stryker options follow `--`, e.g. `-- --concurrency 2`.
 */
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, matchesGlob } from 'node:path';

const INCREMENTAL = 'reports/stryker-incremental.json';
const separator = process.argv.indexOf('--');
const modules = process.argv.slice(2, separator === -1 ? undefined : separator);
const extra = separator === -1 ? [] : process.argv.slice(separator + 1);
if (modules.length === 0) {
  console.error('usage: npm run mutation:module -- FILE_OR_GLOB [...] [-- stryker options]');
  process.exit(2);
}

// `--merge FILE MODULE…`: only merge an incremental file a Stryker run already wrote (e.g. the
// partial one an interrupted run saves), for the given modules.
const mergeOnly = modules[0] === '--merge' ? modules[1] : undefined;
if (mergeOnly) modules.splice(0, 2);
const scratch = mergeOnly ?? join(mkdtempSync(join(tmpdir(), 'plinto-mutation-')), 'incremental.json');
if (!mergeOnly) {
  if (existsSync(INCREMENTAL)) copyFileSync(INCREMENTAL, scratch);
  const run = spawnSync(
    'npm',
    [
      'run',
      '--silent',
      'mutation',
      '--',
      '--mutate',
      modules.join(','),
      '--incrementalFile',
      scratch,
      ...extra,
    ],
    { stdio: 'inherit' },
  );
  if (run.status !== 0 || !existsSync(scratch)) {
    console.error(`stryker failed (exit ${run.status}); ${INCREMENTAL} is unchanged`);
    process.exit(run.status ?? 1);
  }
}

interface TestDefinition {
  id: string;
  name: string;
}
interface MutantResult {
  coveredBy?: string[];
  killedBy?: string[];
}
interface Report {
  files: Record<string, { mutants: MutantResult[] }>;
  testFiles?: Record<string, { tests: TestDefinition[] }>;
  [key: string]: unknown;
}

/**
 * Stryker numbers the tests of each run from 0, so two runs' ids collide: each report's ids
 * become "file › test name", the same in every run (the ids are only references inside a report).
 */
function withStableTestIds(report: Report): Report {
  const ids = new Map<string, string>();
  for (const [file, { tests }] of Object.entries(report.testFiles ?? {})) {
    const seen = new Map<string, number>();
    for (const test of tests) {
      const base = `${file} › ${test.name}`;
      const n = seen.get(base) ?? 0;
      seen.set(base, n + 1);
      const id = n === 0 ? base : `${base} #${n + 1}`;
      ids.set(test.id, id);
      test.id = id;
    }
  }
  const map = (list?: string[]) => list?.map((id) => ids.get(id) ?? id);
  for (const { mutants } of Object.values(report.files)) {
    for (const mutant of mutants) {
      mutant.coveredBy = map(mutant.coveredBy);
      mutant.killedBy = map(mutant.killedBy);
    }
  }
  return report;
}

const read = (file: string) => withStableTestIds(JSON.parse(readFileSync(file, 'utf8')) as Report);
const fresh = read(scratch);
const merged: Report = existsSync(INCREMENTAL) ? read(INCREMENTAL) : { ...fresh, files: {}, testFiles: {} };
// Only the modules of this run: a partial report also carries the other modules' old results.
const tested = Object.entries(fresh.files).filter(([file]) =>
  modules.some((glob) => matchesGlob(file, glob)),
);
merged.files = { ...merged.files, ...Object.fromEntries(tested) };
merged.testFiles = { ...merged.testFiles, ...fresh.testFiles };
writeFileSync(INCREMENTAL, `${JSON.stringify(merged, null, 2)}\n`);
console.log(`merged ${tested.map(([file]) => file).join(', ')} into ${INCREMENTAL}`);
