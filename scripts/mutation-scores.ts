/**
 * npm run mutation:scores — the mutation score of each module in the committed incremental file
 * (reports/stryker-incremental.json), as the Markdown table docs/SECURITY.md carries.
 *
 *   tsx scripts/mutation-scores.ts [--file reports/stryker-incremental.json]
 *
 * Score as Stryker counts it: detected (killed + timeout) / valid mutants (everything but compile
 * and runtime errors and ignored mutants); "covered" leaves out the mutants no test reaches. After
 * the modules, the totals of each directory and of all modules.
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
interface Totals {
  modules: number;
  detected: number;
  survived: number;
  noCoverage: number;
  valid: number;
}
const empty = (): Totals => ({ modules: 0, detected: 0, survived: 0, noCoverage: 0, valid: 0 });
const row = (label: string, t: Totals) =>
  `| ${label} | ${percent(t.detected, t.valid)} | ${percent(t.detected, t.valid - t.noCoverage)} | ${t.detected} | ${t.survived} | ${t.noCoverage} |`;
const totals = empty();
// Per directory (src/security, src/auth): the target is stated for each.
const byDirectory = new Map<string, Totals>();
const rows: string[] = [];
for (const [file, { mutants }] of Object.entries(report.files).sort(([a], [b]) => a.localeCompare(b))) {
  const count = (status: string) => mutants.filter((m) => m.status === status).length;
  const detected = count('Killed') + count('Timeout');
  const survived = count('Survived');
  const noCoverage = count('NoCoverage');
  const counts: Totals = {
    modules: 1,
    detected,
    survived,
    noCoverage,
    valid: detected + survived + noCoverage,
  };
  const directory = file.slice(0, file.lastIndexOf('/'));
  if (!byDirectory.has(directory)) byDirectory.set(directory, empty());
  for (const sum of [totals, byDirectory.get(directory)!]) {
    for (const key of Object.keys(sum) as Array<keyof Totals>) sum[key] += counts[key];
  }
  rows.push(row(file, counts));
}
console.log('| module | score | score of covered | killed | survived | no coverage |');
console.log('| --- | --- | --- | --- | --- | --- |');
for (const line of rows) console.log(line);
for (const [directory, sum] of [...byDirectory].sort(([a], [b]) => a.localeCompare(b))) {
  console.log(row(`${directory}/ (${sum.modules} modules)`, sum));
}
console.log(row(`all of them (${totals.modules} modules)`, totals));
