import { createAdmin } from '../auth/create-admin.js';
import { OneTimeTokenService } from '../auth/one-time-token.service.js';
import { InvalidInputError } from '../domain-errors.js';
import { tokenLink } from '../mail/templates.js';
import { migrate, openOrm } from '../storage/orm.js';
import { configOrExit } from './config-or-exit.js';
import { invalidateProfilesOnUserRowChange } from './shared-profile-cache.js';

// npm run create-admin -- EMAIL
const email = process.argv[2];
if (!email) {
  console.error('usage: npm run create-admin -- EMAIL');
  process.exit(2);
}
const config = configOrExit();
const orm = await openOrm(config.database);
// A promotion must show in `me` on the running servers at once, like one made through the admin API.
const closeProfileCache = invalidateProfilesOnUserRowChange(orm, config);
try {
  if (!config.production) await migrate(orm);
  const outcome = await createAdmin(orm.em.fork(), email, new OneTimeTokenService(config));
  switch (outcome.kind) {
    case 'already-admin':
      console.log(`${outcome.email} is already an administrator (no change).`);
      break;
    case 'promoted':
      console.log(
        `${outcome.email} is now an administrator. Admin operations need a session with a second factor.`,
      );
      break;
    case 'created': {
      const minutes = Math.round(config.passwordResetTtlSeconds / 60);
      console.log(
        `Created administrator ${outcome.email}. Set its password (single use, ${minutes} minutes):`,
      );
      console.log(tokenLink(config.appUrl, '/reset-password', outcome.setPasswordToken));
      break;
    }
  }
} catch (error) {
  if (error instanceof InvalidInputError) {
    console.error(error.message);
    process.exitCode = 1;
  } else throw error;
} finally {
  await closeProfileCache();
  await orm.close(true);
}
