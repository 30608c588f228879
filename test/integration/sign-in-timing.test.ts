import { describe, expect, it } from 'vitest';
import { gql, SIGN_IN, signUpUser, uniqueEmail } from '../helpers/graphql.js';
import { useServer } from '../helpers/use-server.js';

const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
};

describe('sign-in timing', () => {
  // A real cost, so that a skipped hash would show as a gap of tens of milliseconds.
  const ctx = useServer('postgresql', { BCRYPT_COST: '10' });

  it('takes the same time for an unknown email as for a wrong password (dummy verify)', async () => {
    const user = await signUpUser(ctx.server.url);
    const timed = async (email: string) => {
      const started = performance.now();
      const response = await gql(ctx.server.url, SIGN_IN, { email, password: 'not the password 9' });
      const elapsed = performance.now() - started;
      expect(response.body.data?.signIn.__typename).toBe('InvalidCredentials');
      // Keep the per-account failure counter from locking the account: this measures the hash path.
      await ctx.server.app.services.loginFailures.clear(email);
      return elapsed;
    };
    const known: number[] = [];
    const unknown: number[] = [];
    for (let i = 0; i < 21; i += 1) {
      known.push(await timed(user.email));
      unknown.push(await timed(uniqueEmail('ghost')));
    }
    // bcrypt(10) costs ~60 ms here: skipping it for unknown users would be a 60 ms gap.
    expect(median(known)).toBeGreaterThan(20);
    expect(Math.abs(median(known) - median(unknown))).toBeLessThan(10);
  });
});
