import { configOrExit } from './config-or-exit.js';
import { SecretBox } from '../security/crypto.js';
import { SigningKeyStore } from '../security/signing-keys.js';
import { openOrm } from '../storage/orm.js';

// Makes a new signing key; the previous one stays in the JWKS until its tokens have expired.
const config = configOrExit();
const orm = await openOrm(config.database);
try {
  const store = new SigningKeyStore(
    () => orm.em.fork(),
    new SecretBox(config.authSecret, config.authSecretPrevious),
    config.accessTokenTtlSeconds,
  );
  await store.init();
  const kid = await store.rotate();
  console.log(`new signing key ${kid}; replicas pick it up within a minute`);
} finally {
  await orm.close(true);
}
