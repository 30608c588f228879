/**
 * npm run check:ledger — every row of the security ledger must name a test that exists and runs.
 *
 *   tsx scripts/check-security-ledger.ts [--ledger docs/SECURITY.md] [--root .]
 *
 * Exits 1 and lists every problem when a named file or test is missing, ambiguous or skipped.
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { checkLedger, parseLedger } from './security-ledger.js';

const { values } = parseArgs({
  options: {
    ledger: { type: 'string', default: 'docs/SECURITY.md' },
    root: { type: 'string', default: '.' },
  },
});
const root = resolve(values.root!);
const ledgerPath = resolve(root, values.ledger!);

let problems: string[];
let rows = 0;
try {
  const ledger = parseLedger(readFileSync(ledgerPath, 'utf8'));
  rows = ledger.length;
  problems = checkLedger(ledger, root);
} catch (error) {
  problems = [`${ledgerPath}: ${(error as Error).message}`];
}

if (problems.length > 0) {
  console.error(`security ledger: ${problems.length} problem(s) in ${values.ledger}`);
  for (const problem of problems) console.error(`  - ${problem}`);
  process.exit(1);
}
console.log(`security ledger: ${rows} claims, each names an existing test that runs`);
