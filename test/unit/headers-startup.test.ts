import type helmet from 'helmet';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { securityHeaders } from '../../src/security/headers.js';

/**
 * securityHeaders() runs helmet's middleware once at startup against a recording response and
 * refuses to start if helmet no longer sets its headers synchronously (a future release): it must
 * fail then, not serve responses without the headers. helmet itself is the real one; only its
 * timing (or its headers) is changed here, to play that future release.
 */
const behaviour = vi.hoisted(() => ({ current: 'real' as 'real' | 'late-next' | 'no-headers' }));
vi.mock('helmet', async (importOriginal) => {
  const real = (await importOriginal<{ default: typeof helmet }>()).default;
  const wrapped = (options: Parameters<typeof helmet>[0]) => {
    const middleware = real(options);
    return ((req, res, next) => {
      if (behaviour.current === 'late-next') return middleware(req, res, () => setImmediate(next));
      if (behaviour.current === 'no-headers') return next();
      return middleware(req, res, next);
    }) as ReturnType<typeof helmet>;
  };
  return { default: wrapped };
});

afterEach(() => {
  behaviour.current = 'real';
});

describe('security headers at startup', () => {
  it('refuses to start when helmet hands on asynchronously, even though it set its headers', () => {
    behaviour.current = 'late-next';
    expect(() => securityHeaders()).toThrow(new Error('helmet did not set its headers synchronously'));
  });

  it('refuses to start when helmet sets no header', () => {
    behaviour.current = 'no-headers';
    expect(() => securityHeaders()).toThrow(new Error('helmet did not set its headers synchronously'));
  });

  it('starts with helmet as it is', () => {
    expect(() => securityHeaders()).not.toThrow();
  });
});
