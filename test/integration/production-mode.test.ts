import { describe, expect, it } from 'vitest';
import { useServer } from '../helpers/use-server.js';

describe('the GraphQL endpoint in production mode', () => {
  const ctx = useServer('postgresql', {
    NODE_ENV: 'production',
    SMTP_URL: 'smtp://127.0.0.1:2525',
    // Production refuses test-only bcrypt costs; nothing here hashes a password.
    BCRYPT_COST: undefined,
  });

  it('serves no Apollo landing page to a browser opening /graphql', async () => {
    const response = await fetch(`${ctx.server.url}/graphql`, {
      headers: { accept: 'text/html,application/xhtml+xml,*/*;q=0.8', 'apollo-require-preflight': 'true' },
    });
    const text = await response.text();
    expect(response.headers.get('content-type') ?? '').not.toMatch(/html/);
    expect(text).not.toMatch(/<html|<!DOCTYPE|apollo/i);
    expect(response.status).toBe(400);
  });
});
