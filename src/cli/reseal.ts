import { configOrExit } from './config-or-exit.js';
import { createLogger } from '../observability/logger.js';
import { SecretBox } from '../security/crypto.js';
import { scanSealedValues } from '../security/sealed-values.js';
import type { ColumnScan } from '../security/sealed-values.js';
import { verifyDatabase } from '../startup-checks.js';
import { StartupRefusal, unexpectedRefusal } from '../startup-refusal.js';
import { openOrm } from '../storage/orm.js';

/*
 * npm run reseal (node dist/src/cli/reseal.js in the image): re-seals every value that only
 * AUTH_SECRET_PREVIOUS opens under AUTH_SECRET, then checks every sealed value again. Exit 0 means
 * nothing depends on the previous secret any more: remove AUTH_SECRET_PREVIOUS. Safe to run while
 * replicas serve (they must already have the new AUTH_SECRET and the old one as AUTH_SECRET_PREVIOUS),
 * and safe to run again.
 */
const config = configOrExit();
const logger = createLogger(config.logLevel);
const box = new SecretBox(config.authSecret, config.authSecretPrevious);

function line(scan: ColumnScan): string {
  const parts = [`${scan.checked} checked`];
  if (scan.resealed) parts.push(`${scan.resealed} re-sealed`);
  if (scan.unopenable) parts.push(`${scan.unopenable} open with neither secret`);
  return `  ${scan.column.label}: ${parts.join(', ')}`;
}

let exitCode = 0;
const orm = await openOrm(config.database).catch((error: unknown) => {
  console.error(`reseal failed: ${unexpectedRefusal(error).message}`);
  process.exit(1);
});
try {
  await verifyDatabase(orm, config, false, logger);
  const resealed = await scanSealedValues(() => orm.em.fork(), box, { reseal: true });
  // A second pass proves the result: a row a replica changed meanwhile is counted again here.
  const after = await scanSealedValues(() => orm.em.fork(), box);
  for (const [i, scan] of after.entries())
    console.log(line({ ...scan, resealed: resealed[i]?.resealed ?? 0 }));
  const left = after.reduce((n, s) => n + s.underPrevious, 0);
  const unreadable = after.reduce((n, s) => n + s.unopenable, 0);
  if (unreadable > 0) {
    console.error(
      `${unreadable} sealed value(s) open with neither AUTH_SECRET nor AUTH_SECRET_PREVIOUS: ` +
        'they were sealed with another secret; set that one as AUTH_SECRET_PREVIOUS and run this again.',
    );
    exitCode = 1;
  } else if (left > 0) {
    console.error(
      `${left} value(s) still sealed with AUTH_SECRET_PREVIOUS (changed while re-sealing): run this again.`,
    );
    exitCode = 1;
  } else {
    console.log(
      config.authSecretPrevious
        ? 'Every sealed value opens with AUTH_SECRET: AUTH_SECRET_PREVIOUS can now be removed.'
        : 'Every sealed value opens with AUTH_SECRET.',
    );
  }
} catch (error) {
  const refusal = error instanceof StartupRefusal ? error : unexpectedRefusal(error);
  logger.debug({ err: error }, 'reseal failed');
  console.error(`reseal failed: ${refusal.message}`);
  exitCode = 1;
} finally {
  await orm.close(true);
}
process.exit(exitCode);
