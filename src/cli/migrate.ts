import { configOrExit } from './config-or-exit.js';
import { migrate, openOrm } from '../storage/orm.js';

const config = configOrExit();
const orm = await openOrm(config.database);
try {
  const applied = await migrate(orm);
  console.log(applied.length ? `applied: ${applied.join(', ')}` : 'database is up to date');
} finally {
  await orm.close(true);
}
