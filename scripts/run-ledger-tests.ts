/**
 * npm run test:ledger — runs every test named in the security ledger on its own, so that a test
 * that only passes after another one (shared state in its file) is found.
 *
 *   tsx scripts/run-ledger-tests.ts [--workers 2] [--only PW-6,AU-4] [--since REF] [--ledger docs/SECURITY.md]
 *
 * `--list` prints the jobs without running them. `--since REF` runs only the rows a change can have broken: rows that are new or changed since
 * the git revision REF, and rows whose test file changed since REF (CI: `--since HEAD~1`, the
 * previous commit of main). Without it, every row runs (a full run: see docs/SECURITY.md for its
 * duration).
 *
 * "On its own" means: a fresh test worker (forks pool, isolated modules) running that file with a
 * test-name filter that selects exactly that test (each backend's copy of a describe.each block
 * counts as the same test), its describe blocks' hooks and nothing else. One Vitest instance per
 * worker process runs the tests one after another, so Vite's transform cache is paid for once,
 * not once per test; `--workers` such processes share the list. Exits 1 naming every test that
 * failed, errored or selected nothing.
 */
import { execFileSync, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { createVitest } from 'vitest/node';
import { collectTests, findTests, parseLedger } from './security-ledger.js';

const { values } = parseArgs({
  options: {
    ledger: { type: 'string', default: 'docs/SECURITY.md' },
    workers: { type: 'string', default: '2' },
    only: { type: 'string' },
    shard: { type: 'string' },
    since: { type: 'string' },
    list: { type: 'boolean', default: false },
  },
});
const root = resolve('.');

interface Job {
  ids: string[];
  file: string;
  pattern: string;
}

const escape = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
/** A vitest title as written (`%s`, `$name` placeholders) as a regular expression source. */
const titleSource = (title: string) => escape(title).replace(/%[sdifjoO#%]|\\\$[\w.]+/g, '.*');

const git = (...args: string[]) => execFileSync('git', args, { cwd: root, encoding: 'utf8' });

/** Row keys (id, file, test) of the ledger at REF, and the files changed since REF. */
function changedSince(ref: string): { rowsBefore: Set<string>; files: Set<string> } {
  let before = '';
  try {
    before = git('show', `${ref}:${values.ledger!}`);
  } catch {
    // The ledger did not exist at REF: every row is new.
  }
  const files = new Set(git('diff', '--name-only', ref, '--').split('\n').filter(Boolean));
  const rowsBefore = new Set(parseLedger(before).map((row) => `${row.id}\n${row.file}\n${row.test}`));
  return { rowsBefore, files };
}

/** The ledger's tests as (file, anchored full-name pattern) jobs, one per distinct test. */
function jobs(): Job[] {
  const only = values.only ? new Set(values.only.split(',')) : null;
  const since = values.since ? changedSince(values.since) : null;
  const byKey = new Map<string, Job>();
  for (const row of parseLedger(readFileSync(resolve(root, values.ledger!), 'utf8'))) {
    if (only && !only.has(row.id)) continue;
    if (since && since.rowsBefore.has(`${row.id}\n${row.file}\n${row.test}`) && !since.files.has(row.file))
      continue;
    const cases = findTests(collectTests(readFileSync(resolve(root, row.file), 'utf8'), row.file), row.test);
    if (cases.length !== 1)
      throw new Error(`${row.id}: ${row.test} names ${cases.length} tests (npm run check:ledger)`);
    // vitest matches -t against "file describe… title", joined by spaces.
    const pattern = `(?:^| )${cases[0]!.path.map(titleSource).join(' ')}$`;
    const key = `${row.file}\n${pattern}`;
    const job = byKey.get(key) ?? { ids: [], file: row.file, pattern };
    job.ids.push(row.id);
    byKey.set(key, job);
  }
  return [...byKey.values()];
}

/** Runs the jobs of one shard in this process; the failures, as lines. */
async function runShard(list: Job[]): Promise<string[]> {
  const failures: string[] = [];
  const vitest = await createVitest('test', {
    watch: false,
    reporters: [{}], // silent: this script prints one line per test
    sequence: { shuffle: false },
    passWithNoTests: true,
  });
  await vitest.standalone(); // reporters and the test file list, without running anything yet
  try {
    for (const job of list) {
      const started = Date.now();
      vitest.setGlobalTestNamePattern(new RegExp(job.pattern));
      const file = resolve(root, job.file);
      const result = await vitest.runTestFiles([file]);
      // The result lists every module this Vitest instance has run so far: only this job's file counts.
      const modules = result.testModules.filter((module) => module.moduleId === file);
      const tests = modules.flatMap((module) => [...module.children.allTests()]);
      const ran = [...new Map(tests.map((test) => [test.id, test])).values()].filter((test) =>
        ['passed', 'failed'].includes(test.result().state),
      );
      const failed = ran.filter((test) => test.result().state === 'failed');
      const moduleErrors = modules.flatMap((module) => module.errors());
      const seconds = ((Date.now() - started) / 1000).toFixed(1);
      const label = `${job.ids.join(', ')} ${job.file}`;
      if (
        ran.length === 0 ||
        failed.length > 0 ||
        moduleErrors.length > 0 ||
        result.unhandledErrors.length > 0
      ) {
        const why =
          ran.length === 0
            ? 'selected no test'
            : [
                ...failed.flatMap((test) => test.result().errors ?? []),
                ...moduleErrors,
                ...result.unhandledErrors,
              ]
                .map((error) => String((error as { message?: string }).message ?? error).split('\n')[0])
                .join(' | ');
        failures.push(`${label}: ${why}`);
        console.log(`FAIL ${label} (${seconds} s): ${why}`);
      } else {
        console.log(`ok   ${label} (${ran.length} run, ${seconds} s)`);
      }
    }
  } finally {
    await vitest.close();
  }
  return failures;
}

async function main(): Promise<void> {
  const all = jobs();
  if (values.shard) {
    const [index, count] = values.shard.split('/').map(Number) as [number, number];
    const failures = await runShard(all.filter((_, i) => i % count === index));
    process.exit(failures.length > 0 ? 1 : 0);
  }
  if (values.list) {
    for (const job of all) console.log(`${job.ids.join(', ')}\t${job.file}`);
    process.exit(0);
  }
  if (all.length === 0) {
    console.log(`ledger tests: no row changed since ${values.since}`);
    process.exit(0);
  }
  const workers = Math.max(1, Math.min(Number(values.workers), all.length));
  const started = Date.now();
  console.log(`ledger tests: ${all.length} tests, each on its own, ${workers} worker(s)`);
  const codes = await Promise.all(
    Array.from({ length: workers }, (_, index) => {
      const args = [
        ...process.execArgv,
        process.argv[1]!,
        '--ledger',
        values.ledger!,
        '--shard',
        `${index}/${workers}`,
      ];
      if (values.only) args.push('--only', values.only);
      if (values.since) args.push('--since', values.since);
      const child = spawn(process.execPath, args, { stdio: 'inherit' });
      return new Promise<number>((done) => child.on('exit', (code) => done(code ?? 1)));
    }),
  );
  const minutes = ((Date.now() - started) / 60_000).toFixed(1);
  const failed = codes.some((code) => code !== 0);
  console.log(`ledger tests: ${failed ? 'FAILED' : 'all passed on their own'} in ${minutes} min`);
  process.exit(failed ? 1 : 0);
}

await main();
