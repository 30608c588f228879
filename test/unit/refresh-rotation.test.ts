import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import type { ClientInfo } from '../../src/auth/client-info.js';
import { GRACE_SEAL_PURPOSE } from '../../src/auth/refresh-rotation.js';
import { MemoryLivenessCache } from '../../src/auth/liveness-cache.js';
import { SessionService } from '../../src/auth/session.service.js';
import type { SessionSettings, SignedIn } from '../../src/auth/session.service.js';
import type { UserProfile } from '../../src/auth/user.service.js';
import { sha256Hex } from '../../src/security/crypto.js';
import { AuditEvent, RefreshToken, Session, User } from '../../src/storage/entities/index.js';
import { BACKENDS } from '../helpers/database.js';
import { insertUser, openSecurityStack } from '../helpers/security-stack.js';
import type { SecurityStack } from '../helpers/security-stack.js';

/**
 * Refresh-token rotation (src/auth/refresh-rotation.ts) on a real database and a fake clock, without
 * a server: the fast proof of TK-3, TK-7, TK-11 and the session-lifetime rules, which Stryker runs
 * against every mutant of the module in seconds.
 */
const SETTINGS: SessionSettings = {
  refreshTokenTtlSeconds: 3600,
  refreshGraceSeconds: 10,
  accessTokenTtlSeconds: 900,
  livenessCacheSeconds: 30,
  sessionMaxLifetimeSeconds: 86_400,
  mfaSessionMaxLifetimeSeconds: 43_200,
  mfaSessionIdleTimeoutSeconds: 1800,
};
const T0 = new Date('2026-12-01T10:00:00.000Z');
const PHONE = { ip: '203.0.113.7', userAgent: 'PlintoPhone/1.0' };
const SAME_NETWORK = { ip: '203.0.113.99', userAgent: 'PlintoPhone/1.0' };
const OTHER_NETWORK = { ip: '198.51.100.7', userAgent: 'PlintoPhone/1.0' };
const OTHER_AGENT = { ip: '203.0.113.7', userAgent: 'Thief/2.0' };

const at = (seconds: number) => vi.setSystemTime(new Date(T0.getTime() + seconds * 1000));

describe.each(BACKENDS)('refresh rotation (%s)', (backend) => {
  let stack: SecurityStack;
  let sessions: SessionService;
  let user: UserProfile;
  let n = 0;

  beforeAll(async () => {
    stack = await openSecurityStack(backend);
  });
  afterAll(async () => {
    await stack?.close();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  const service = (settings: Partial<SessionSettings> = {}) =>
    new SessionService(stack.accessTokens, new MemoryLivenessCache(), stack.box, stack.events, {
      ...SETTINGS,
      ...settings,
    });

  /** A fresh user and session at T0 (fake clock), signed in with `amr`. */
  async function signIn(amr = ['pwd'], settings: Partial<SessionSettings> = {}, roles: string[] = []) {
    vi.useFakeTimers({ toFake: ['Date'] });
    at(0);
    sessions = service(settings);
    user = await insertUser(stack.orm, `rotation-${backend}-${++n}@example.com`, roles);
    return sessions.create(stack.orm.em.fork(), user, amr, PHONE);
  }
  const refresh = (token: string, client: ClientInfo = PHONE, svc = sessions) =>
    svc.refresh(stack.orm.em.fork(), token, client);
  const sessionRow = (id: string) => stack.orm.em.fork().findOneOrFail(Session, id);
  const setSession = (id: string, values: Partial<Session>) =>
    stack.orm.em.fork().nativeUpdate(Session, { id }, values);
  const audit = async (sessionId: string) =>
    (await stack.orm.em.fork().find(AuditEvent, { sessionId }, { orderBy: { createdAt: 'asc' } })).map(
      (e) => `${e.kind}:${e.result}:${e.userId === user.id ? 'user' : e.userId}`,
    );
  const success = (outcome: Awaited<ReturnType<SessionService['refresh']>>): SignedIn => {
    expect(outcome.kind).toBe('success');
    return (outcome as { signedIn: SignedIn }).signedIn;
  };

  it('rotates a live refresh token into a new pair, storing only its hash and sliding the session', async () => {
    const first = await signIn(['pwd'], {}, ['editor']);
    await stack.orm.em.fork().nativeUpdate(User, { id: user.id }, { roles: ['editor', 'support'] });
    at(60);
    const next = success(
      await refresh(first.tokens.refreshToken, { ip: `203.0.113.8${'0'.repeat(70)}`, userAgent: 'x' }),
    );
    const now = new Date(T0.getTime() + 60_000);

    expect(next.tokens.refreshToken).not.toBe(first.tokens.refreshToken);
    expect(next.tokens.refreshToken).toMatch(/^[A-Za-z0-9_-]{32,}$/);
    expect(next.tokens.refreshTokenExpiresAt).toEqual(new Date(now.getTime() + 3600_000));
    expect(next.tokens.accessTokenExpiresAt).toEqual(new Date(now.getTime() + 900_000));
    const claims = await stack.accessTokens.verify(next.tokens.accessToken);
    expect(claims).toMatchObject({
      userId: user.id,
      sessionId: first.session.id,
      amr: ['pwd'],
      // A refresh is no authentication: auth_time stays the sign-in's.
      authTime: T0,
      // Roles are read afresh at every refresh.
      roles: ['editor', 'support'],
    });
    expect(next.user).toEqual({
      id: user.id,
      email: user.email,
      emailVerifiedAt: null,
      totpEnabledAt: null,
      createdAt: T0,
      roles: ['editor', 'support'],
    });
    expect(next.session).toEqual({
      id: first.session.id,
      createdAt: T0,
      lastUsedAt: now,
      expiresAt: next.tokens.refreshTokenExpiresAt,
      ip: `203.0.113.8${'0'.repeat(53)}`,
      userAgent: PHONE.userAgent,
    });

    const em = stack.orm.em.fork();
    const old = await em.findOneOrFail(RefreshToken, { tokenHash: sha256Hex(first.tokens.refreshToken) });
    expect(old.rotatedAt).toEqual(now);
    const stored = await em.findOneOrFail(RefreshToken, { tokenHash: sha256Hex(next.tokens.refreshToken) });
    expect(stored.session.id).toBe(first.session.id);
    expect(stored.createdAt).toEqual(now);
    expect(stored.expiresAt).toEqual(next.tokens.refreshTokenExpiresAt);
    expect(stored.rotatedAt).toBeNull();
    expect(await em.count(RefreshToken, { tokenHash: next.tokens.refreshToken })).toBe(0);

    const row = await sessionRow(first.session.id);
    expect(row.lastUsedAt).toEqual(now);
    expect(row.expiresAt).toEqual(next.tokens.refreshTokenExpiresAt);
    expect(row.rotationCount).toBe(1);
    expect(row.ip).toBe(next.session.ip);
    // The grace pair: for the consumed token, sealed, for the window only.
    expect(row.graceForTokenHash).toBe(sha256Hex(first.tokens.refreshToken));
    expect(row.graceUntil).toEqual(new Date(now.getTime() + 10_000));
    const sealed = JSON.parse(stack.box.open(GRACE_SEAL_PURPOSE, row.gracePairEncrypted!)) as Record<
      string,
      unknown
    >;
    // Sealed before the rotation's read: the successor refresh token and what signs its access
    // token again (the jti and the issue time), the client; no access token, no expiry.
    expect(Object.keys(sealed).sort()).toEqual(['client', 'issuedAt', 'jti', 'refreshToken']);
    expect(sealed).toMatchObject({
      refreshToken: next.tokens.refreshToken,
      jti: claims?.tokenId,
      issuedAt: now.getTime(),
    });
    expect(row.gracePairEncrypted).not.toContain(next.tokens.refreshToken);

    // The new token rotates again; the count is an increment.
    at(120);
    const third = success(await refresh(next.tokens.refreshToken, { ip: null, userAgent: null }));
    expect((await sessionRow(first.session.id)).rotationCount).toBe(2);
    // No address in the request: the session keeps the one it had.
    expect(third.session.ip).toBe(next.session.ip);
    expect((await sessionRow(first.session.id)).ip).toBe(next.session.ip);
    // A routine refresh is counted but not written to the audit trail.
    expect(await audit(first.session.id)).toEqual([]);
    const counted = (await stack.metrics.authEvents.get()).values.find(
      (v) => v.labels.event === 'refresh' && v.labels.result === 'success',
    );
    expect(counted?.value).toBeGreaterThanOrEqual(2);
  });

  it('carries no empty method into the new access token of a session signed in without one', async () => {
    const first = await signIn([]);
    at(30);
    const next = success(await refresh(first.tokens.refreshToken));
    expect((await stack.accessTokens.verify(next.tokens.accessToken))?.amr).toEqual([]);
  });

  it('takes auth_time from the sign-in, or from the session’s start when the session has none', async () => {
    const first = await signIn(['pwd', 'mfa']);
    await setSession(first.session.id, { authenticatedAt: new Date(T0.getTime() + 5000) });
    at(30);
    const next = success(await refresh(first.tokens.refreshToken));
    expect((await stack.accessTokens.verify(next.tokens.accessToken))?.authTime).toEqual(
      new Date(T0.getTime() + 5000),
    );
    expect((await stack.accessTokens.verify(next.tokens.accessToken))?.amr).toEqual(['pwd', 'mfa']);
    await setSession(first.session.id, { authenticatedAt: null });
    at(60);
    const third = success(await refresh(next.tokens.refreshToken));
    expect((await stack.accessTokens.verify(third.tokens.accessToken))?.authTime).toEqual(T0);
  });

  it('refuses an empty or over-long token, and accepts a stored token of exactly 512 characters', async () => {
    const first = await signIn();
    const long = 'k'.repeat(512);
    const em = stack.orm.em.fork();
    await em.insert(RefreshToken, {
      tokenHash: sha256Hex(long),
      session: first.session.id,
      createdAt: T0,
      expiresAt: new Date(T0.getTime() + 3600_000),
    });
    const tooLong = `${long}k`;
    await em.insert(RefreshToken, {
      tokenHash: sha256Hex(tooLong),
      session: first.session.id,
      createdAt: T0,
      expiresAt: new Date(T0.getTime() + 3600_000),
    });
    await em.insert(RefreshToken, {
      tokenHash: sha256Hex(''),
      session: first.session.id,
      createdAt: T0,
      expiresAt: new Date(T0.getTime() + 3600_000),
    });
    const failures = () => stack.orm.em.fork().count(AuditEvent, { kind: 'refresh', result: 'failure' });
    const before = await failures();
    // Refused before any read (and not audited: nothing was looked up).
    expect(await refresh('')).toEqual({ kind: 'invalid-token' });
    expect(await refresh(tooLong)).toEqual({ kind: 'invalid-token' });
    expect(await failures()).toBe(before);
    // An unknown token is a failed refresh in the audit trail.
    expect(await refresh('not-a-token')).toEqual({ kind: 'invalid-token' });
    expect(await failures()).toBe(before + 1);
    success(await refresh(long));
  });

  it('gives the same client (same agent, same /24) the same pair again inside the grace window, audited', async () => {
    const first = await signIn();
    at(1);
    const next = success(await refresh(first.tokens.refreshToken));
    at(9.999);
    const again = success(await refresh(first.tokens.refreshToken, SAME_NETWORK));
    expect(again.tokens).toEqual(next.tokens);
    // The whole user, as a rotation shows it (the grace answer reads it afresh).
    expect(again.user).toMatchObject({ id: user.id, email: user.email, createdAt: T0 });
    expect(again.session.id).toBe(first.session.id);
    expect((await sessionRow(first.session.id)).revokedAt).toBeNull();
    expect((await sessionRow(first.session.id)).rotationCount).toBe(1);
    expect(await audit(first.session.id)).toEqual(['refresh_grace:success:user']);
    // The pair is still live.
    success(await refresh(next.tokens.refreshToken));
  });

  it.each([
    ['another network', OTHER_NETWORK],
    ['another user agent', OTHER_AGENT],
  ])('treats the old token from %s inside the window as reuse and revokes the session', async (_, client) => {
    const first = await signIn();
    at(1);
    const next = success(await refresh(first.tokens.refreshToken));
    at(2);
    expect(await refresh(first.tokens.refreshToken, client)).toEqual({ kind: 'invalid-token' });
    const row = await sessionRow(first.session.id);
    expect(row.revokedAt).toEqual(new Date(T0.getTime() + 2000));
    expect(row.revokedReason).toBe('refresh-reuse');
    expect(row.gracePairEncrypted).toBeNull();
    expect(await audit(first.session.id)).toEqual(['refresh_reuse_detected:detected:user']);
    expect(await refresh(next.tokens.refreshToken)).toEqual({ kind: 'invalid-token' });
  });

  it('treats the old token after the grace window as reuse, even from the same client', async () => {
    const first = await signIn();
    at(1);
    const next = success(await refresh(first.tokens.refreshToken));
    at(11);
    expect(await refresh(first.tokens.refreshToken)).toEqual({ kind: 'invalid-token' });
    expect((await sessionRow(first.session.id)).revokedReason).toBe('refresh-reuse');
    expect(await refresh(next.tokens.refreshToken)).toEqual({ kind: 'invalid-token' });
  });

  it('revokes the session when an old token is replayed during a later rotation’s grace window (TK-11)', async () => {
    const first = await signIn();
    at(1);
    const second = success(await refresh(first.tokens.refreshToken));
    at(20);
    const third = success(await refresh(second.tokens.refreshToken));
    at(21);
    expect(await refresh(first.tokens.refreshToken)).toEqual({ kind: 'invalid-token' });
    expect((await sessionRow(first.session.id)).revokedReason).toBe('refresh-reuse');
    expect(await refresh(third.tokens.refreshToken)).toEqual({ kind: 'invalid-token' });
  });

  it('without a grace window keeps no pair and treats any second use as reuse', async () => {
    const first = await signIn(['pwd'], { refreshGraceSeconds: 0 });
    at(1);
    success(await refresh(first.tokens.refreshToken));
    const row = await sessionRow(first.session.id);
    expect(row.graceForTokenHash).toBeNull();
    expect(row.graceUntil).toBeNull();
    expect(row.gracePairEncrypted).toBeNull();
    expect(row.rotationCount).toBe(1);
    expect(row.lastUsedAt).toEqual(new Date(T0.getTime() + 1000));
    expect(row.ip).toBe(PHONE.ip);
    expect(await refresh(first.tokens.refreshToken)).toEqual({ kind: 'invalid-token' });
    expect((await sessionRow(first.session.id)).revokedReason).toBe('refresh-reuse');
  });

  it('refuses a grace pair sealed without the client that rotated', async () => {
    const first = await signIn();
    at(1);
    const next = success(await refresh(first.tokens.refreshToken));
    await setSession(first.session.id, {
      gracePairEncrypted: stack.box.seal(
        GRACE_SEAL_PURPOSE,
        JSON.stringify({ ...next.tokens, client: undefined }),
      ),
    });
    expect(await refresh(first.tokens.refreshToken)).toEqual({ kind: 'invalid-token' });
    expect((await sessionRow(first.session.id)).revokedReason).toBe('refresh-reuse');
  });

  it('serves a grace pair sealed in the former format (the whole pair) to its client, and refuses one without a jti', async () => {
    const first = await signIn();
    at(1);
    const next = success(await refresh(first.tokens.refreshToken));
    const fingerprint = (
      JSON.parse(
        stack.box.open(GRACE_SEAL_PURPOSE, (await sessionRow(first.session.id)).gracePairEncrypted!),
      ) as { client: string }
    ).client;
    // Sealed before the upgrade: the access token itself, both expiries and the client.
    const former = {
      accessToken: 'former-access-token',
      accessTokenExpiresAt: '2026-12-01T10:15:01.000Z',
      refreshToken: next.tokens.refreshToken,
      refreshTokenExpiresAt: '2026-12-01T11:00:01.000Z',
      client: fingerprint,
    };
    await setSession(first.session.id, {
      gracePairEncrypted: stack.box.seal(GRACE_SEAL_PURPOSE, JSON.stringify(former)),
    });
    at(1.5);
    expect(success(await refresh(first.tokens.refreshToken)).tokens).toEqual({
      accessToken: 'former-access-token',
      accessTokenExpiresAt: new Date(former.accessTokenExpiresAt),
      refreshToken: next.tokens.refreshToken,
      refreshTokenExpiresAt: new Date(former.refreshTokenExpiresAt),
    });
    // Neither format (no access token, no jti): nothing to answer with, so reuse.
    await setSession(first.session.id, {
      gracePairEncrypted: stack.box.seal(
        GRACE_SEAL_PURPOSE,
        JSON.stringify({
          refreshToken: next.tokens.refreshToken,
          issuedAt: T0.getTime() + 1000,
          client: fingerprint,
        }),
      ),
    });
    expect(await refresh(first.tokens.refreshToken)).toEqual({ kind: 'invalid-token' });
    expect((await sessionRow(first.session.id)).revokedReason).toBe('refresh-reuse');
  });

  it('signs the grace answer’s access token with the roles of now when they changed inside the window', async () => {
    const first = await signIn(['pwd'], {}, ['editor']);
    at(1);
    const next = success(await refresh(first.tokens.refreshToken));
    await stack.orm.em.fork().nativeUpdate(User, { id: user.id }, { roles: ['support'] });
    at(2);
    const again = success(await refresh(first.tokens.refreshToken));
    expect(again.tokens.refreshToken).toBe(next.tokens.refreshToken);
    expect(again.tokens.accessTokenExpiresAt).toEqual(next.tokens.accessTokenExpiresAt);
    expect(again.tokens.refreshTokenExpiresAt).toEqual(next.tokens.refreshTokenExpiresAt);
    const [winner, grace] = await Promise.all([
      stack.accessTokens.verify(next.tokens.accessToken),
      stack.accessTokens.verify(again.tokens.accessToken),
    ]);
    expect(winner?.roles).toEqual(['editor']);
    expect(grace).toEqual({ ...winner, roles: ['support'] });
  });

  it('signs the grace answer’s access token with the session’s auth_time after a step-up, not its creation time', async () => {
    const first = await signIn();
    // A later primary authentication of the same session (a step-up): auth_time moves, created_at stays.
    // (Whole seconds: auth_time is a JWT NumericDate.)
    const steppedUp = new Date(T0.getTime() + 3000);
    await setSession(first.session.id, { authenticatedAt: steppedUp });
    at(4);
    const next = success(await refresh(first.tokens.refreshToken));
    at(5);
    const again = success(await refresh(first.tokens.refreshToken));
    const [winner, grace] = await Promise.all([
      stack.accessTokens.verify(next.tokens.accessToken),
      stack.accessTokens.verify(again.tokens.accessToken),
    ]);
    expect(winner?.authTime).toEqual(steppedUp);
    expect(grace?.authTime).toEqual(steppedUp);
    expect(again.tokens.accessToken).toBe(next.tokens.accessToken);
  });

  it('refuses, without revoking, a token at its expiry, of a revoked session, or of an expired session', async () => {
    // The token's own expiry: valid one millisecond before, refused at the instant.
    const first = await signIn();
    const hash = sha256Hex(first.tokens.refreshToken);
    await stack.orm.em
      .fork()
      .nativeUpdate(RefreshToken, { tokenHash: hash }, { expiresAt: new Date(T0.getTime() + 5000) });
    at(5);
    expect(await refresh(first.tokens.refreshToken)).toEqual({ kind: 'invalid-token' });
    expect((await sessionRow(first.session.id)).revokedAt).toBeNull();
    at(4.999);
    success(await refresh(first.tokens.refreshToken));

    // The session's expiry.
    const second = await signIn();
    await setSession(second.session.id, { expiresAt: new Date(T0.getTime() + 5000) });
    at(5);
    expect(await refresh(second.tokens.refreshToken)).toEqual({ kind: 'invalid-token' });
    at(4.999);
    success(await refresh(second.tokens.refreshToken));

    // A revoked session.
    const third = await signIn();
    await sessions.revoke(stack.orm.em.fork(), user.id, third.session.id, 'sign-out');
    expect(await refresh(third.tokens.refreshToken)).toEqual({ kind: 'invalid-token' });
    expect(await audit(third.session.id)).toEqual(['sign_out:success:user']);
  });

  it('ends a session at its absolute lifetime, and never slides the refresh expiry past it', async () => {
    const first = await signIn(['pwd'], { sessionMaxLifetimeSeconds: 5400 });
    // 40 minutes before the absolute end: the new token ends there, not an hour later.
    at(3000);
    await setSession(first.session.id, { expiresAt: new Date(T0.getTime() + 7200_000) });
    await stack.orm.em
      .fork()
      .nativeUpdate(
        RefreshToken,
        { tokenHash: sha256Hex(first.tokens.refreshToken) },
        { expiresAt: new Date(T0.getTime() + 7200_000) },
      );
    const next = success(await refresh(first.tokens.refreshToken));
    expect(next.tokens.refreshTokenExpiresAt).toEqual(new Date(T0.getTime() + 5400_000));
    // Rows written before the limit existed may outlive it: the read checks the absolute end itself.
    await setSession(first.session.id, { expiresAt: new Date(T0.getTime() + 9000_000) });
    await stack.orm.em
      .fork()
      .nativeUpdate(
        RefreshToken,
        { tokenHash: sha256Hex(next.tokens.refreshToken) },
        { expiresAt: new Date(T0.getTime() + 9000_000) },
      );
    at(5399.999);
    const last = success(await refresh(next.tokens.refreshToken));
    await setSession(first.session.id, { expiresAt: new Date(T0.getTime() + 9000_000) });
    await stack.orm.em
      .fork()
      .nativeUpdate(
        RefreshToken,
        { tokenHash: sha256Hex(last.tokens.refreshToken) },
        { expiresAt: new Date(T0.getTime() + 9000_000) },
      );
    at(5400);
    expect(await refresh(last.tokens.refreshToken)).toEqual({ kind: 'invalid-token' });
  });

  it('ends a second-factor session at its shorter lifetime and after its idle timeout, not a password one', async () => {
    const far = { expiresAt: new Date(T0.getTime() + 86_400_000) };
    const pushOut = async (signedIn: SignedIn, token: string) => {
      await setSession(signedIn.session.id, far);
      await stack.orm.em.fork().nativeUpdate(RefreshToken, { tokenHash: sha256Hex(token) }, far);
    };
    // Idle: refused at exactly the idle timeout since the last use, accepted just before.
    const mfa = await signIn(['pwd', 'mfa']);
    await pushOut(mfa, mfa.tokens.refreshToken);
    at(1799.999);
    const kept = success(await refresh(mfa.tokens.refreshToken));
    // A second-factor session's refresh ends at the idle timeout from now.
    expect(kept.tokens.refreshTokenExpiresAt).toEqual(new Date(T0.getTime() + 1799_999 + 1800_000));
    await pushOut(mfa, kept.tokens.refreshToken);
    at(1799.999 + 1800);
    expect(await refresh(kept.tokens.refreshToken)).toEqual({ kind: 'invalid-token' });

    // A password session idle as long is still refreshed.
    const pwd = await signIn(['pwd']);
    await pushOut(pwd, pwd.tokens.refreshToken);
    at(3500);
    success(await refresh(pwd.tokens.refreshToken));

    // The absolute end of a second-factor session is the shorter of the two maxima.
    const short = await signIn(['pwd', 'mfa'], {
      mfaSessionMaxLifetimeSeconds: 600,
      mfaSessionIdleTimeoutSeconds: 86_400,
    });
    await pushOut(short, short.tokens.refreshToken);
    at(600);
    expect(await refresh(short.tokens.refreshToken)).toEqual({ kind: 'invalid-token' });
    const long = await signIn(['pwd', 'mfa'], {
      mfaSessionMaxLifetimeSeconds: 90_000,
      sessionMaxLifetimeSeconds: 600,
      mfaSessionIdleTimeoutSeconds: 86_400,
    });
    await pushOut(long, long.tokens.refreshToken);
    at(600);
    expect(await refresh(long.tokens.refreshToken)).toEqual({ kind: 'invalid-token' });
  });

  it('lets exactly one of two concurrent refreshes rotate; the other gets the same pair', async () => {
    const first = await signIn();
    at(1);
    const [a, b] = await Promise.all([
      refresh(first.tokens.refreshToken),
      refresh(first.tokens.refreshToken),
    ]);
    expect(success(a).tokens).toEqual(success(b).tokens);
    const row = await sessionRow(first.session.id);
    expect(row.rotationCount).toBe(1);
    expect(row.revokedAt).toBeNull();
    expect(await stack.orm.em.fork().count(RefreshToken, { session: first.session.id })).toBe(2);
    expect(await audit(first.session.id)).toEqual(['refresh_grace:success:user']);
  });
});
