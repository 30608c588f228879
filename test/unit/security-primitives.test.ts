import { describe, expect, it } from 'vitest';
import { normaliseEmail, parseEmail } from '../../src/auth/email.js';
import { ServiceBusyError } from '../../src/domain-errors.js';
import { Metrics } from '../../src/observability/metrics.js';
import { randomToken, SealedValueError, SecretBox, sha256Hex } from '../../src/security/crypto.js';
import { AbandonedRequestError, HashQueue } from '../../src/security/hash-queue.js';
import { hashScheme, PasswordService } from '../../src/security/password.service.js';
import { checkPasswordPolicy } from '../../src/security/password-policy.js';

describe('email normalisation', () => {
  it('trims, lower-cases and NFKC-normalises', () => {
    expect(normaliseEmail('  Alice@Example.COM ')).toBe('alice@example.com');
    // Fullwidth letters fold to ASCII under NFKC: one account, not two look-alikes.
    expect(normaliseEmail('ＡＬＩＣＥ@example.com')).toBe('alice@example.com');
    expect(parseEmail('not-an-email')).toBeNull();
    expect(parseEmail('a\u200b@example.com')).toBeNull();
    expect(parseEmail(`${'a'.repeat(250)}@example.com`)).toBeNull();
  });
});

describe('password policy', () => {
  it('normalises with NFKC before measuring and hashing', () => {
    const check = checkPasswordPolicy('ｐａｓｓｗｏｒｄ-ﬁne-42', 'bcrypt');
    expect(check).toEqual({ ok: true, password: 'password-fine-42' });
  });

  it('counts bcrypt’s limit in UTF-8 bytes, not characters', async () => {
    const service = new PasswordService(
      { scheme: 'bcrypt', bcryptCost: 4, prehashKeys: [Buffer.alloc(32, 7)] },
      new HashQueue(2, 10),
      new Metrics(),
    );
    expect(await service.hash('ü'.repeat(36))).toMatch(/^\$2b\$/); // 72 bytes: plain bcrypt
    const long = await service.hash('ü'.repeat(37)); // 74 bytes, 37 characters: pre-hashed
    expect(long).toMatch(/^bcrypt-hmac:\$2b\$/);
    expect((await service.verify('ü'.repeat(37), long)).ok).toBe(true);
    expect((await service.verify('ü'.repeat(36), long)).ok).toBe(false);
    expect(checkPasswordPolicy('ü'.repeat(37), 'bcrypt').ok).toBe(true);
  });

  it('rejects input over 1 KiB before anything else', () => {
    expect(checkPasswordPolicy('x'.repeat(1025), 'argon2id')).toEqual({
      ok: false,
      reasons: ['Password is longer than 1024 bytes.'],
    });
  });
});

describe('hash schemes', () => {
  it('recognises each stored form and nothing else', () => {
    expect(hashScheme(`$2b$12$${'a'.repeat(53)}`)).toBe('bcrypt');
    expect(hashScheme('$argon2id$v=19$m=19456,t=2,p=1$c2FsdA$aGFzaA')).toBe('argon2id');
    expect(hashScheme(`sha256:${'0'.repeat(64)}`)).toBe('sha256-legacy');
    expect(hashScheme('0'.repeat(64))).toBeNull();
    expect(hashScheme('plain text')).toBeNull();
  });

  it('never matches a bcrypt hash with a password longer than 72 bytes that shares its prefix', async () => {
    const service = new PasswordService(
      { scheme: 'bcrypt', bcryptCost: 4 },
      new HashQueue(2, 10),
      new Metrics(),
    );
    const base = 'k'.repeat(72);
    const stored = await service.hash(base);
    expect((await service.verify(base, stored)).ok).toBe(true);
    expect((await service.verify(`${base}extra`, stored)).ok).toBe(false);
  });
});

describe('SecretBox', () => {
  const box = new SecretBox('a-test-secret-that-is-long-enough-0123');

  it('round-trips and never stores the plain text', () => {
    const sealed = box.seal('totp', 'JBSWY3DPEHPK3PXP');
    expect(sealed).not.toContain('JBSWY3DPEHPK3PXP');
    expect(box.open('totp', sealed)).toBe('JBSWY3DPEHPK3PXP');
    expect(box.seal('totp', 'same')).not.toBe(box.seal('totp', 'same'));
  });

  it('refuses a tampered value, another purpose, or another secret', () => {
    const sealed = box.seal('totp', 'secret');
    const [v, iv, body, tag] = sealed.split('.');
    const flipped = Buffer.from(body!, 'base64url');
    flipped[0] = flipped[0]! ^ 1;
    expect(() => box.open('totp', [v, iv, flipped.toString('base64url'), tag].join('.'))).toThrow();
    expect(() => box.open('signing-key', sealed)).toThrow();
    expect(() => new SecretBox('another-secret-that-is-long-enough-99').open('totp', sealed)).toThrow();
  });

  it('opens values of AUTH_SECRET_PREVIOUS during a rotation, and seals only with the current secret', () => {
    const previous = 'the-previous-secret-that-is-long-enough-01';
    const current = 'the-current-secret-that-is-long-enough-002';
    const old = new SecretBox(previous).seal('totp', 'JBSWY3DPEHPK3PXP');
    const rotating = new SecretBox(current, previous);
    expect(rotating.openDetailed('totp', old)).toEqual({
      plaintext: 'JBSWY3DPEHPK3PXP',
      sealedWith: 'previous',
    });
    const fresh = rotating.seal('totp', 'JBSWY3DPEHPK3PXP');
    expect(rotating.openDetailed('totp', fresh).sealedWith).toBe('current');
    expect(new SecretBox(current).open('totp', fresh)).toBe('JBSWY3DPEHPK3PXP');
    expect(() => new SecretBox(previous).open('totp', fresh)).toThrow(SealedValueError);
    // Without the previous secret, the old value is refused with an error that names the secrets, not the cipher.
    expect(() => new SecretBox(current).open('totp', old)).toThrow(/cannot be opened with AUTH_SECRET/);
  });

  it('derives keyed-hash keys per purpose, the current secret first and the previous one after', () => {
    const previous = 'the-previous-secret-that-is-long-enough-01';
    const current = 'the-current-secret-that-is-long-enough-002';
    const [currentKey, previousKey, ...rest] = new SecretBox(current, previous).macKeys('email');
    expect(rest).toEqual([]);
    expect(currentKey).toEqual(new SecretBox(current).macKeys('email')[0]);
    expect(previousKey).toEqual(new SecretBox(previous).macKeys('email')[0]);
    expect(currentKey).not.toEqual(previousKey);
    expect(currentKey).not.toEqual(new SecretBox(current).macKeys('recovery-code')[0]);
    expect(currentKey).toHaveLength(32);
  });

  it('makes 256-bit tokens and stores them as SHA-256', () => {
    const token = randomToken();
    expect(Buffer.from(token, 'base64url')).toHaveLength(32);
    expect(sha256Hex(token)).toMatch(/^[0-9a-f]{64}$/);
  });
});

describe('HashQueue', () => {
  it('runs at most `concurrency` tasks and refuses past the queue limit instead of growing', async () => {
    const queue = new HashQueue(2, 3);
    let running = 0;
    let peak = 0;
    const releases: Array<() => void> = [];
    const task = () =>
      queue.run(async () => {
        running += 1;
        peak = Math.max(peak, running);
        await new Promise<void>((resolve) => releases.push(resolve));
        running -= 1;
      });
    const accepted = Array.from({ length: 5 }, task);
    await expect(task()).rejects.toBeInstanceOf(ServiceBusyError);
    expect(queue.depth).toBe(3);
    while (releases.length || queue.depth) {
      releases.shift()?.();
      await new Promise((resolve) => setImmediate(resolve));
    }
    await Promise.all(accepted);
    expect(peak).toBe(2);
  });

  it('drops a waiting caller whose client left before its turn, without running its task', async () => {
    const queue = new HashQueue(1, 10);
    let release!: () => void;
    const started: string[] = [];
    const first = queue.run(async () => {
      started.push('first');
      await new Promise<void>((resolve) => (release = resolve));
    });
    let leftGone = false;
    const left = queue.run(
      async () => started.push('left'),
      () => leftGone,
    );
    const stayed = queue.run(
      async () => started.push('stayed'),
      () => false,
    );
    expect(queue.depth).toBe(2);
    leftGone = true;
    release();
    await first;
    await expect(left).rejects.toBeInstanceOf(AbandonedRequestError);
    await stayed;
    expect(started).toEqual(['first', 'stayed']);
    expect(queue.abandoned).toBe(1);
    expect(queue.inFlight).toBe(0);
    expect(queue.depth).toBe(0);
  });

  it('refuses a caller that is already gone, and frees the slot when every waiter is gone', async () => {
    const queue = new HashQueue(1, 10);
    await expect(
      queue.run(
        async () => 'never',
        () => true,
      ),
    ).rejects.toBeInstanceOf(AbandonedRequestError);
    let release!: () => void;
    const first = queue.run(() => new Promise<void>((resolve) => (release = resolve)));
    let gone = false;
    const waiters = [1, 2, 3].map(() =>
      queue.run(
        async () => 'ran',
        () => gone,
      ),
    );
    gone = true;
    release();
    await first;
    for (const waiter of waiters) await expect(waiter).rejects.toBeInstanceOf(AbandonedRequestError);
    expect(queue.abandoned).toBe(4);
    expect(queue.inFlight).toBe(0);
    // The slot is free again: the next caller runs at once.
    await expect(queue.run(async () => 'next')).resolves.toBe('next');
  });

  it('counts the hashes in flight, frees a slot when a task fails, and says why it refuses', async () => {
    const queue = new HashQueue(2, 1);
    const releases: Array<() => void> = [];
    const held = () => queue.run(() => new Promise<void>((resolve) => releases.push(resolve)));
    const running = [held(), held()];
    expect(queue.inFlight).toBe(2);
    const waiting = held();
    expect(queue.depth).toBe(1);
    const busy = await queue.run(async () => 'never').catch((error: unknown) => error);
    expect(busy).toBeInstanceOf(ServiceBusyError);
    expect((busy as Error).message).toBe('The server is busy; retry shortly.');
    const gone = await queue
      .run(
        async () => 'never',
        () => true,
      )
      .catch((error: unknown) => error);
    expect(gone).toBeInstanceOf(ServiceBusyError);
    expect((gone as Error).message).toBe('The request was abandoned by its client.');
    // The waiter takes over the first slot: still two in flight, none waiting.
    releases.shift()!();
    await running[0];
    expect(queue.inFlight).toBe(2);
    expect(queue.depth).toBe(0);
    releases.shift()!();
    await running[1];
    expect(queue.inFlight).toBe(1);
    await new Promise((resolve) => setImmediate(resolve));
    releases.shift()!();
    await waiting;
    expect(queue.inFlight).toBe(0);
    // A failing task gives its slot back too.
    const failure = new Error('hash failed');
    await expect(queue.run(() => Promise.reject(failure))).rejects.toBe(failure);
    expect(queue.inFlight).toBe(0);
    expect(queue.abandoned).toBe(1);
  });
});
