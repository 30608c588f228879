/**
 * npm run mutation:scores — the mutation score of each module in the committed incremental file
 * (reports/stryker-incremental.json), as the Markdown table docs/SECURITY.md carries.
 *
 *   tsx scripts/mutation-scores.ts [--file reports/stryker-incremental.json]
 *
 * Score as Stryker counts it: detected (killed + timeout) / valid mutants (everything but compile
 * and runtime errors and ignored mutants); "covered" leaves out the mutants no test reaches.
 */
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';

const { values } = parseArgs({
  options: { file: { type: 'string', default: 'reports/stryker-incremental.json' } },
});

interface Report {
  files: Record<string, { mutants: { status: string }[] }>;
}
const report = JSON.parse(readFileSync(values.file!, 'utf8')) as Report;

const percent = (part: number, whole: number) =>
  whole === 0 ? 'n/a' : `${((100 * part) / whole).toFixed(1)} %`;
const totals = { killed: 0, survived: 0, noCoverage: 0, timeout: 0, valid: 0 };
const rows: string[] = [];
for (const [file, { mutants }] of Object.entries(report.files).sort(([a], [b]) => a.localeCompare(b))) {
  const count = (status: string) => mutants.filter((m) => m.status === status).length;
  const killed = count('Killed');
  const timeout = count('Timeout');
  const survived = count('Survived');
  const noCoverage = count('NoCoverage');
  const valid = killed + timeout + survived + noCoverage;
  totals.killed += killed;
  totals.timeout += timeout;
  totals.survived += survived;
  totals.noCoverage += noCoverage;
  totals.valid += valid;
  rows.push(
    `| ${file} | ${percent(killed + timeout, valid)} | ${percent(killed + timeout, valid - noCoverage)} | ${killed + timeout} | ${survived} | ${noCoverage} |`,
  );
}
console.log('| module | score | score of covered | killed | survived | no coverage |');
console.log('| --- | --- | --- | --- | --- | --- |');
for (const row of rows) console.log(row);
const detected = totals.killed + totals.timeout;
console.log(
  `| all of them | ${percent(detected, totals.valid)} | ${percent(detected, totals.valid - totals.noCoverage)} | ${detected} | ${totals.survived} | ${totals.noCoverage} |`,
);
