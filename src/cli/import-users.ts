import { readFileSync } from 'node:fs';
import { importUsers, parseImportFile } from '../auth/import-users.js';
import { configOrExit } from './config-or-exit.js';
import { migrate, openOrm } from '../storage/orm.js';

// npm run import-users -- FILE.jsonl
const file = process.argv[2];
if (!file) {
  console.error('usage: npm run import-users -- FILE.jsonl');
  process.exit(2);
}
const parsed = parseImportFile(readFileSync(file, 'utf8'));
if (!parsed.ok) {
  console.error(`Nothing imported: ${parsed.errors.length} problem(s) in ${file}`);
  for (const error of parsed.errors) console.error(`  ${error}`);
  process.exit(1);
}
const config = configOrExit();
const orm = await openOrm(config.database);
try {
  if (!config.production) await migrate(orm);
  // Wrapping costs one bcrypt per cheap hash: about 4 a second per core at cost 12.
  const report = await importUsers(orm.em.fork(), parsed.records, { wrapCost: config.bcryptCost });
  for (const d of report.duplicatesInFile)
    console.log(`  skipped line ${d.line}: ${d.email} appears earlier in the file`);
  for (const d of report.alreadyRegistered)
    console.log(`  skipped line ${d.line}: ${d.email} is already registered`);
  console.log(
    `imported ${report.imported}, skipped ${report.duplicatesInFile.length} duplicate(s) in the file, ` +
      `${report.alreadyRegistered.length} already registered`,
  );
} finally {
  await orm.close(true);
}
