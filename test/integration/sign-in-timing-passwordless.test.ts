import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { User } from '../../src/storage/entities/index.js';
import { gql, SIGN_IN, uniqueEmail } from '../helpers/graphql.js';
import { useServer } from '../helpers/use-server.js';

const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
};

/** The sign-in timing test's method, for accounts that have no password at all. */
describe('sign-in timing, accounts without a password', () => {
  // A real cost, so that a skipped hash would show as a gap of tens of milliseconds.
  const ctx = useServer('postgresql', { BCRYPT_COST: '10' });

  it('takes the same time for an account without a password as for an unknown email', async () => {
    const email = uniqueEmail('nopw');
    const now = new Date();
    await ctx.server.app.services.orm.em
      .fork()
      .insert(User, { id: randomUUID(), email, passwordHash: null, createdAt: now, updatedAt: now });
    const timed = async (address: string) => {
      const started = performance.now();
      const response = await gql(ctx.server.url, SIGN_IN, { email: address, password: 'not the password 9' });
      const elapsed = performance.now() - started;
      expect(response.body.data?.signIn.__typename).toBe('InvalidCredentials');
      // Keep the per-account failure counter from locking the account: this measures the hash path.
      await ctx.server.app.services.loginFailures.clear(address);
      return elapsed;
    };
    const passwordless: number[] = [];
    const unknown: number[] = [];
    for (let i = 0; i < 21; i += 1) {
      passwordless.push(await timed(email));
      unknown.push(await timed(uniqueEmail('ghost')));
    }
    // The dummy verify runs for both: no hash skipped, so no gap of a bcrypt(10) verify (~60 ms).
    expect(median(passwordless)).toBeGreaterThan(20);
    // 20 ms, a third of that gap: under a loaded CI a 10 ms bound failed on noise (10.2–13.8 ms).
    expect(Math.abs(median(passwordless) - median(unknown))).toBeLessThan(20);
  });
});
