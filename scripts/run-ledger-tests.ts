/**
 * npm run test:ledger — runs every test named in the security ledger on its own, so that a test
 * that only passes after another one (shared state in its file) is found.
 *
 *   tsx scripts/run-ledger-tests.ts [--workers 2] [--only PW-6,AU-4] [--since REF] [--ledger docs/SECURITY.md]
 *
 * `--list` prints the jobs without running them. `--since REF` runs only the rows a change can have
 * broken: rows that are new or changed since the git revision REF, and rows whose test file changed
 * since REF. Without it, every row runs (a full run: `.ci/run` does one on every commit; see
 * docs/SECURITY.md for its duration).
 *
 * "On its own" means: a fresh test worker (forks pool, isolated modules) running that file with a
 * test-name filter that selects exactly that test (each backend's copy of a describe.each block
 * counts as the same test), its describe blocks' hooks and nothing else. One Vitest instance per
 * worker process runs the tests one after another, so Vite's transform cache is paid for once,
 * not once per test; `--workers` such processes share the list (two are safe: migrations hold a
 * PostgreSQL advisory lock, and test servers start on copies of one migrated template database).
 * Each job's line says where its time went (costOf); the summary adds them up. Exits 1 naming
 * every test that failed, errored or selected nothing.
 */
import { execFileSync, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { createInterface } from 'node:readline';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { createVitest } from 'vitest/node';
import type { Vitest } from 'vitest/node';
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

type Module = Awaited<ReturnType<Vitest['runTestFiles']>>['testModules'][number];
type Case = ReturnType<Module['children']['allTests']> extends Iterable<infer T> ? T : never;

/**
 * Where a job's time went, from Vitest's own diagnostics: "start" is everything before the test
 * file is imported (a fresh forked worker, its runner and environment), "import" the test file
 * and everything it imports, "hooks" its describe blocks' beforeAll/afterAll/…Each, "tests" the
 * selected tests themselves.
 */
function costOf(wall: number, modules: Module[], ran: Case[]): string {
  const diagnostics = modules.map((module) => module.diagnostic());
  const sum = (values: number[]) => values.reduce((a, b) => a + b, 0);
  const imported = sum(diagnostics.map((d) => d.collectDuration + d.setupDuration));
  const body = sum(diagnostics.map((d) => d.duration));
  const tests = sum(ran.map((test) => test.diagnostic()?.duration ?? 0));
  const s = (ms: number) => (Math.max(0, ms) / 1000).toFixed(1);
  return `start ${s(wall - imported - body)}, import ${s(imported)}, hooks ${s(body - tests)}, tests ${s(tests)}`;
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
      const cost = costOf(Date.now() - started, modules, ran);
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
        console.log(`FAIL ${label} (${seconds} s; ${cost}): ${why}`);
      } else {
        console.log(`ok   ${label} (${ran.length} run, ${seconds} s; ${cost})`);
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
    // Tells the parent this shard ran every one of its jobs (a crash never prints it).
    console.log(`shard ${index}/${count} done`);
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
  const lines: string[] = [];
  const runWorkers = (count: number, only: string | undefined, sink: string[]) =>
    Promise.all(
      Array.from({ length: count }, (_, index) => {
        const args = [
          ...process.execArgv,
          process.argv[1]!,
          '--ledger',
          values.ledger!,
          '--shard',
          `${index}/${count}`,
        ];
        if (only) args.push('--only', only);
        if (values.since) args.push('--since', values.since);
        const child = spawn(process.execPath, args, { stdio: ['inherit', 'pipe', 'inherit'] });
        createInterface({ input: child.stdout }).on('line', (line) => {
          console.log(line);
          sink.push(line);
        });
        return new Promise<number>((done) => child.on('close', (code) => done(code ?? 1)));
      }),
    );
  let codes = await runWorkers(workers, values.only, lines);
  // A job that failed runs once more, alone (one worker, nothing else of this run beside it): a test
  // that depends on another one fails alone every time, so the second run keeps finding it, while a
  // timing margin that the parallel run's load broke (EN-2's and EN-8's 10 ms) gets a quiet machine.
  // Both results are printed; the step fails when the second run fails too.
  const firstFailures = lines.filter((line) => line.startsWith('FAIL '));
  const retryIds = firstFailures.flatMap(
    (line) => /^FAIL ((?:[A-Z]+-\d+(?:, )?)+) /.exec(line)?.[1]?.split(', ') ?? [],
  );
  const retryLines: string[] = [];
  const shardsDone = lines.filter((line) => /^shard \d+\/\d+ done$/.test(line)).length;
  if (firstFailures.length > 0 && retryIds.length > 0 && shardsDone === workers) {
    console.log(
      `ledger tests: ${firstFailures.length} failed; running them again, alone, one worker: ${retryIds.join(', ')}`,
    );
    codes = [...codes.map(() => 0), ...(await runWorkers(1, retryIds.join(','), retryLines))];
  }
  const minutes = ((Date.now() - started) / 60_000).toFixed(1);
  const retried = retryLines.length > 0 || firstFailures.length === 0;
  const failures =
    retried && firstFailures.length > 0
      ? retryLines.filter((line) => line.startsWith('FAIL '))
      : firstFailures;
  const failed = failures.length > 0 || codes.some((code) => code !== 0);
  if (firstFailures.length > 0 && retried) {
    console.log(
      `ledger tests: ${firstFailures.length - failures.length} of ${firstFailures.length} that failed in the parallel run passed alone (listed above: FAIL, then ok)`,
    );
  }
  console.log(
    `ledger tests: where the time went, summed over the jobs: ${totals([...lines, ...retryLines])}`,
  );
  console.log(
    `ledger tests: CPU time of the test processes (not PostgreSQL's or Redis's): ${childCpuMinutes()} min`,
  );
  if (failures.length > 0) {
    console.log(`ledger tests: ${failures.length} of ${all.length} failed on their own:`);
    for (const line of failures) console.log(`  ${line}`);
  } else if (failed) {
    console.log('ledger tests: a worker process failed (its output is above)');
  }
  console.log(
    `ledger tests: ${failed ? 'FAILED' : `all ${all.length} passed on their own`} in ${minutes} min, ${workers} worker(s), load average ${loadavg()
      .map((n) => n.toFixed(2))
      .join(' ')}`,
  );
  process.exit(failed ? 1 : 0);
}

/** The jobs' "start …, import …, hooks …, tests …" figures (see costOf) added up, in minutes. */
function totals(lines: string[]): string {
  const sums = new Map<string, number>();
  for (const line of lines) {
    for (const [, part, seconds] of line.matchAll(/\b(start|import|hooks|tests) (\d+\.\d)\b/g))
      sums.set(part!, (sums.get(part!) ?? 0) + Number(seconds));
  }
  return [...sums].map(([part, seconds]) => `${part} ${(seconds / 60).toFixed(1)} min`).join(', ');
}

/** User + system CPU of this process's finished children and theirs (/proc/self/stat cutime, cstime). */
function childCpuMinutes(): string {
  try {
    const fields = readFileSync('/proc/self/stat', 'utf8').split(') ')[1]!.split(' ');
    // Fields 16 and 17 of stat(5), counted after "pid (comm) ": indices 13 and 14 here.
    const ticks = Number(fields[13]) + Number(fields[14]);
    return (ticks / 100 / 60).toFixed(1); // USER_HZ is 100 on Linux
  } catch {
    return '?';
  }
}

await main();
