import { loadConfig } from '../config.js';
import { migrate, openOrm } from '../storage/orm.js';

const config = loadConfig();
const orm = await openOrm(config.database);
try {
  const applied = await migrate(orm);
  console.log(applied.length ? `applied: ${applied.join(', ')}` : 'database is up to date');
} finally {
  await orm.close(true);
}
