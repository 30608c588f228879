import { parseArgs } from 'node:util';
import { configOrExit } from './config-or-exit.js';
import { SecretBox } from '../security/crypto.js';
import { SigningKeyStore } from '../security/signing-keys.js';
import { openOrm } from '../storage/orm.js';

// npm run rotate-keys                 new signing key; the previous one stays in the JWKS until its tokens expire
// npm run rotate-keys -- --revoke KID  a compromised key leaves the JWKS at once and is no longer accepted
let revoke: string | undefined;
try {
  revoke = parseArgs({ options: { revoke: { type: 'string' } }, strict: true }).values.revoke;
} catch {
  console.error('usage: npm run rotate-keys [-- --revoke KID]');
  process.exit(2);
}
const config = configOrExit();
const orm = await openOrm(config.database);
let exitCode = 0;
try {
  const store = new SigningKeyStore(
    () => orm.em.fork(),
    new SecretBox(config.authSecret, config.authSecretPrevious),
    config.accessTokenTtlSeconds,
  );
  await store.init();
  const reload = `every replica stops accepting it within SIGNING_KEY_RELOAD_SECONDS (${config.signingKeyReloadSeconds} s)`;
  if (revoke !== undefined) {
    const result = await store.revoke(revoke);
    if (!result.revoked) {
      console.error(`no signing key ${revoke}; nothing revoked`);
      exitCode = 1;
    } else {
      console.log(
        `revoked signing key ${revoke}: removed from the JWKS; ${reload}` +
          (result.replacedBy ? `; new signing key ${result.replacedBy}` : ''),
      );
    }
  } else {
    const kid = await store.rotate();
    console.log(`new signing key ${kid}; replicas pick it up within ${config.signingKeyReloadSeconds} s`);
  }
} finally {
  await orm.close(true);
}
process.exit(exitCode);
