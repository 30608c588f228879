import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { AuditEvent, Passkey, PasskeyChallenge, Session, User } from '../../src/storage/entities/index.js';
import { sha256Hex } from '../../src/security/crypto.js';
import { BACKENDS } from '../helpers/database.js';
import { bearer, gql, ME, SIGN_IN_SUCCESS_FIELDS, signUpUser, uniqueEmail } from '../helpers/graphql.js';
import type { SignedInUser } from '../helpers/graphql.js';
import { accessTokenAmr, codeAt, complete, enrolledUser, withinOneStep } from '../helpers/mfa.js';
import { useMailServer } from '../helpers/use-server.js';
import { SoftwareAuthenticator, strangerKey } from '../helpers/webauthn.js';

const ORIGIN = 'http://plinto.test'; // APP_URL of the test servers: the default RP ID and origin
const BEGIN_REGISTRATION = `mutation { beginPasskeyRegistration {
  __typename ... on PasskeyOptions { options } ... on StepUpRequired { code maxAgeSeconds } } }`;
const FINISH_REGISTRATION = `mutation($response: String!, $name: String) {
  finishPasskeyRegistration(response: $response, name: $name) {
    __typename
    ... on Passkey { id name createdAt lastUsedAt backupEligible backedUp transports aaguid }
    ... on UserError { code message }
  } }`;
const PASSKEYS = `query { passkeys { id name lastUsedAt backupEligible backedUp transports } }`;
const RENAME = `mutation($id: ID!, $name: String!) { renamePasskey(id: $id, name: $name) {
  __typename ... on Passkey { id name } ... on UserError { code } } }`;
const REMOVE = `mutation($id: ID!) { removePasskey(id: $id) {
  __typename ... on PasskeyRemoved { id } ... on UserError { code } } }`;
const BEGIN_SIGN_IN = `mutation($email: String) { beginPasskeySignIn(email: $email) { options } }`;
const FINISH_SIGN_IN = `mutation($response: String!) { finishPasskeySignIn(response: $response) {
  ${SIGN_IN_SUCCESS_FIELDS}
  ... on MfaChallenge { challengeToken }
} }`;

describe.each(BACKENDS)('passkeys (%s)', (backend) => {
  const ctx = useMailServer(backend, { SIGNUP_MODE: 'immediate' });
  const url = () => ctx.server.url;
  const fork = () => ctx.server.app.services.orm.em.fork();

  async function registrationOptions(user: SignedInUser): Promise<string> {
    const begin = await gql(url(), BEGIN_REGISTRATION, {}, bearer(user.accessToken));
    const result = begin.body.data?.beginPasskeyRegistration;
    if (result?.__typename !== 'PasskeyOptions') throw new Error(`no options: ${begin.text}`);
    return result.options as string;
  }

  async function finishRegistration(user: SignedInUser, response: string, name?: string) {
    const finish = await gql(url(), FINISH_REGISTRATION, { response, name }, bearer(user.accessToken));
    return finish.body.data?.finishPasskeyRegistration;
  }

  /** A new user with one passkey on a new software authenticator. */
  async function userWithPasskey(
    authenticator = new SoftwareAuthenticator(ORIGIN),
    user?: SignedInUser,
  ): Promise<{ user: SignedInUser; authenticator: SoftwareAuthenticator; passkeyId: string }> {
    const owner = user ?? (await signUpUser(url()));
    const added = await finishRegistration(
      owner,
      authenticator.register(await registrationOptions(owner)),
      'Laptop',
    );
    if (added?.__typename !== 'Passkey') throw new Error(`not added: ${JSON.stringify(added)}`);
    return { user: owner, authenticator, passkeyId: added.id as string };
  }

  async function signInOptions(email?: string): Promise<string> {
    const begin = await gql(url(), BEGIN_SIGN_IN, { email });
    const options = begin.body.data?.beginPasskeySignIn?.options;
    if (typeof options !== 'string') throw new Error(`no options: ${begin.text}`);
    return options;
  }

  async function finishSignIn(response: string) {
    const finish = await gql(url(), FINISH_SIGN_IN, { response });
    return finish.body.data?.finishPasskeySignIn;
  }

  const failures = (userId: string) =>
    fork().count(AuditEvent, { userId, kind: 'passkey_sign_in', result: 'failure' });

  it('registers a passkey (attestation none) and signs in with it alone: a session, amr hwk user mfa', async () => {
    const { user, passkeyId } = await userWithPasskey();
    const stored = await fork().findOneOrFail(Passkey, { id: passkeyId });
    expect(stored.name).toBe('Laptop');
    expect(stored.signCount).toBe(1);
    expect(stored.transports).toBe('internal');
    expect(stored.aaguid).toBe('00000000-0000-0000-0000-000000000000');
    const listed = await gql(url(), PASSKEYS, {}, bearer(user.accessToken));
    expect(listed.body.data?.passkeys).toEqual([
      {
        id: passkeyId,
        name: 'Laptop',
        lastUsedAt: null,
        backupEligible: false,
        backedUp: false,
        transports: ['internal'],
      },
    ]);

    const authenticator = new SoftwareAuthenticator(ORIGIN);
    const second = await userWithPasskey(authenticator);
    // Discoverable: no address, an empty allow-list, the authenticator picks its credential.
    const options = await signInOptions();
    expect(JSON.parse(options)).toMatchObject({
      rpId: 'plinto.test',
      allowCredentials: [],
      userVerification: 'preferred',
    });
    const result = await finishSignIn(authenticator.assert(options));
    expect(result?.__typename).toBe('SignInSuccess');
    expect(result.user.id).toBe(second.user.userId);
    expect(accessTokenAmr(result.tokens.accessToken)).toEqual(['hwk', 'user', 'mfa']);
    const me = await gql(url(), ME, {}, bearer(result.tokens.accessToken));
    expect(me.body.data?.me.id).toBe(second.user.userId);
    const used = await fork().findOneOrFail(Passkey, { id: second.passkeyId });
    expect(used.signCount).toBe(2);
    expect(used.lastUsedAt).not.toBeNull();
    const events = await fork().find(AuditEvent, { userId: second.user.userId, kind: { $like: 'passkey%' } });
    expect(events.map((e) => `${e.kind}:${e.result}`).sort()).toEqual([
      'passkey_added:success',
      'passkey_sign_in:success',
    ]);
  });

  it('mails the owner when a passkey is added and when one is removed', async () => {
    const { user, authenticator } = await userWithPasskey();
    await ctx.smtp.waitFor(user.email, /A passkey was added/);
    const second = await finishRegistration(
      user,
      authenticator.register(await registrationOptions(user)),
      'Phone',
    );
    expect(second?.__typename).toBe('Passkey');
    const removed = await gql(url(), REMOVE, { id: second.id }, bearer(user.accessToken));
    expect(removed.body.data?.removePasskey).toEqual({ __typename: 'PasskeyRemoved', id: second.id });
    const mail = await ctx.smtp.waitFor(user.email, /A passkey was removed/);
    expect(mail.text).toContain('"Phone"');
  });

  it('signs in with an address: that account’s credential ids are allowed, and its passkey answers', async () => {
    const { user, authenticator, passkeyId } = await userWithPasskey();
    const options = await signInOptions(user.email);
    const stored = await fork().findOneOrFail(Passkey, { id: passkeyId });
    expect(JSON.parse(options).allowCredentials).toEqual([{ id: stored.credentialId, type: 'public-key' }]);
    const result = await finishSignIn(authenticator.assert(options));
    expect(result?.__typename).toBe('SignInSuccess');
    expect(result.user.id).toBe(user.userId);
  });

  it('asks a TOTP user for the code after a passkey without user verification, and not after one with it', async () => {
    await withinOneStep();
    const user = await enrolledUser(url());
    const authenticator = new SoftwareAuthenticator(ORIGIN);
    await userWithPasskey(authenticator, user);

    const unverified = await finishSignIn(
      authenticator.assert(await signInOptions(), { userVerified: false }),
    );
    expect(unverified?.__typename).toBe('MfaChallenge');
    const done = await complete(url(), unverified.challengeToken, codeAt(user.secret));
    expect(done?.__typename).toBe('SignInSuccess');
    expect(accessTokenAmr(done.tokens.accessToken)).toEqual(['hwk', 'otp', 'mfa']);

    const verified = await finishSignIn(authenticator.assert(await signInOptions()));
    expect(verified?.__typename).toBe('SignInSuccess');
    expect(accessTokenAmr(verified.tokens.accessToken)).toEqual(['hwk', 'user', 'mfa']);
  });

  it('marks a synced passkey (backup eligible, backed up) as such, with amr swk', async () => {
    const authenticator = new SoftwareAuthenticator(ORIGIN, { backupEligible: true });
    const { user } = await userWithPasskey(authenticator);
    const listed = await gql(url(), PASSKEYS, {}, bearer(user.accessToken));
    expect(listed.body.data?.passkeys[0]).toMatchObject({ backupEligible: true, backedUp: true });
    const result = await finishSignIn(authenticator.assert(await signInOptions()));
    expect(accessTokenAmr(result.tokens.accessToken)).toEqual(['swk', 'user', 'mfa']);
  });

  describe('refusals', () => {
    it('refuses a registration answered for another origin or another RP ID, or with a used challenge', async () => {
      const user = await signUpUser(url());
      const authenticator = new SoftwareAuthenticator(ORIGIN);
      const wrongOrigin = authenticator.register(await registrationOptions(user), {
        origin: 'https://evil.test',
      });
      expect((await finishRegistration(user, wrongOrigin))?.code).toBe('INVALID_PASSKEY_RESPONSE');
      const wrongRp = authenticator.register(await registrationOptions(user), { rpId: 'evil.test' });
      expect((await finishRegistration(user, wrongRp))?.code).toBe('INVALID_PASSKEY_RESPONSE');
      const good = authenticator.register(await registrationOptions(user));
      expect((await finishRegistration(user, good))?.__typename).toBe('Passkey');
      // The same answer again: its challenge was used.
      expect((await finishRegistration(user, good))?.code).toBe('INVALID_PASSKEY_RESPONSE');
      expect(await fork().count(Passkey, { user: user.userId })).toBe(1);
    });

    it('refuses a registration challenge of another user', async () => {
      const alice = await signUpUser(url());
      const mallory = await signUpUser(url());
      const answer = new SoftwareAuthenticator(ORIGIN).register(await registrationOptions(alice));
      expect((await finishRegistration(mallory, answer))?.code).toBe('INVALID_PASSKEY_RESPONSE');
      expect(await fork().count(Passkey, { user: { $in: [alice.userId, mallory.userId] } })).toBe(0);
    });

    it('refuses a sign-in answered for another origin', async () => {
      const { user, authenticator } = await userWithPasskey();
      const result = await finishSignIn(
        authenticator.assert(await signInOptions(), { origin: 'https://evil.test' }),
      );
      expect(result).toMatchObject({ __typename: 'InvalidCredentials', code: 'INVALID_CREDENTIALS' });
      expect(await failures(user.userId)).toBe(1);
    });

    it('refuses a sign-in signed for another RP ID', async () => {
      const { user, authenticator } = await userWithPasskey();
      const result = await finishSignIn(authenticator.assert(await signInOptions(), { rpId: 'evil.test' }));
      expect(result?.__typename).toBe('InvalidCredentials');
      expect(await failures(user.userId)).toBe(1);
    });

    it('refuses a replayed answer: each challenge is used once', async () => {
      const { authenticator } = await userWithPasskey();
      const answer = authenticator.assert(await signInOptions());
      expect((await finishSignIn(answer))?.__typename).toBe('SignInSuccess');
      expect((await finishSignIn(answer))?.__typename).toBe('InvalidCredentials');
    });

    it('refuses an answer to an expired challenge (five minutes)', async () => {
      const { user, authenticator } = await userWithPasskey();
      const options = await signInOptions();
      const challenge = JSON.parse(options).challenge as string;
      const row = await fork().findOneOrFail(PasskeyChallenge, { challengeHash: sha256Hex(challenge) });
      expect(row.expiresAt.getTime() - row.createdAt.getTime()).toBe(300_000);
      await fork().nativeUpdate(
        PasskeyChallenge,
        { challengeHash: sha256Hex(challenge) },
        { expiresAt: new Date(Date.now() - 1000) },
      );
      expect((await finishSignIn(authenticator.assert(options)))?.__typename).toBe('InvalidCredentials');
      expect(await failures(user.userId)).toBe(1);
    });

    it('refuses a challenge the server never issued', async () => {
      const { authenticator } = await userWithPasskey();
      const options = await signInOptions();
      const forged = authenticator.assert(options, { challenge: Buffer.alloc(32, 7).toString('base64url') });
      expect((await finishSignIn(forged))?.__typename).toBe('InvalidCredentials');
    });

    it('refuses a signature made by another key', async () => {
      const { user, authenticator } = await userWithPasskey();
      const result = await finishSignIn(
        authenticator.assert(await signInOptions(), { signWith: strangerKey() }),
      );
      expect(result?.__typename).toBe('InvalidCredentials');
      expect(await failures(user.userId)).toBe(1);
      expect(await fork().count(Session, { user: user.userId })).toBe(1); // the sign-up's only
    });

    it('refuses a counter that went backwards, and audits a suspected clone', async () => {
      const { user, authenticator, passkeyId } = await userWithPasskey();
      expect((await finishSignIn(authenticator.assert(await signInOptions())))?.__typename).toBe(
        'SignInSuccess',
      );
      expect((await finishSignIn(authenticator.assert(await signInOptions())))?.__typename).toBe(
        'SignInSuccess',
      );
      // The stored counter is 3 now; a copy of the key that counts from its own past says 2.
      const cloned = await finishSignIn(authenticator.assert(await signInOptions(), { counter: 2 }));
      expect(cloned?.__typename).toBe('InvalidCredentials');
      const same = await finishSignIn(authenticator.assert(await signInOptions(), { counter: 3 }));
      expect(same?.__typename).toBe('InvalidCredentials');
      expect((await fork().findOneOrFail(Passkey, { id: passkeyId })).signCount).toBe(3);
      const events = await fork().find(AuditEvent, {
        userId: user.userId,
        kind: { $in: ['passkey_clone_detected', 'passkey_sign_in'] },
        result: { $in: ['detected', 'rejected'] },
      });
      expect(events.map((e) => `${e.kind}:${e.result}`).sort()).toEqual([
        'passkey_clone_detected:detected',
        'passkey_clone_detected:detected',
        'passkey_sign_in:rejected',
        'passkey_sign_in:rejected',
      ]);
    });

    it('accepts an authenticator that never counts (counter 0 every time)', async () => {
      const authenticator = new SoftwareAuthenticator(ORIGIN, { countsSignatures: false });
      await userWithPasskey(authenticator);
      expect((await finishSignIn(authenticator.assert(await signInOptions())))?.__typename).toBe(
        'SignInSuccess',
      );
      expect((await finishSignIn(authenticator.assert(await signInOptions())))?.__typename).toBe(
        'SignInSuccess',
      );
    });

    it('refuses the credential of another user for a challenge that named an address', async () => {
      const alice = await userWithPasskey();
      const mallory = await userWithPasskey();
      const options = await signInOptions(alice.user.email);
      const answer = mallory.authenticator.assert(options, {
        credential: mallory.authenticator.credentials[0],
      });
      const result = await finishSignIn(answer);
      expect(result?.__typename).toBe('InvalidCredentials');
      expect(await failures(mallory.user.userId)).toBe(1);
    });

    it('refuses a credential whose user handle names another user', async () => {
      const alice = await userWithPasskey();
      const mallory = await userWithPasskey();
      const credential = {
        ...mallory.authenticator.credentials[0]!,
        userHandle: alice.authenticator.credentials[0]!.userHandle,
      };
      const result = await finishSignIn(mallory.authenticator.assert(await signInOptions(), { credential }));
      expect(result?.__typename).toBe('InvalidCredentials');
    });

    it('refuses an unknown credential and malformed answers with InvalidCredentials, never an error', async () => {
      const stranger = new SoftwareAuthenticator(ORIGIN);
      stranger.register(JSON.stringify({ challenge: 'x', rp: { id: 'plinto.test' }, user: { id: 'AAAA' } }));
      expect((await finishSignIn(stranger.assert(await signInOptions())))?.__typename).toBe(
        'InvalidCredentials',
      );
      for (const junk of ['', 'not json', '{}', '{"id":"a b","response":{}}', 'x'.repeat(70_000)]) {
        const response = await gql(url(), FINISH_SIGN_IN, { response: junk });
        expect(response.body.errors, junk.slice(0, 20)).toBeUndefined();
        expect(response.body.data?.finishPasskeySignIn.__typename).toBe('InvalidCredentials');
      }
    });
  });

  describe('anti-enumeration', () => {
    it('answers an unknown address and one without passkeys with stable decoy ids of the same shape', async () => {
      const { user } = await userWithPasskey();
      const nobody = uniqueEmail('nobody');
      const withoutPasskey = await signUpUser(url());
      const shape = (options: string) => {
        const parsed = JSON.parse(options);
        return {
          keys: Object.keys(parsed).sort(),
          allow: parsed.allowCredentials.map((c: Record<string, unknown>) => Object.keys(c).sort()),
          lengths: parsed.allowCredentials.map((c: { id: string }) => Math.sign(c.id.length)),
        };
      };
      const real = JSON.parse(await signInOptions(user.email));
      const first = JSON.parse(await signInOptions(nobody));
      const again = JSON.parse(await signInOptions(nobody.toUpperCase()));
      expect(first.allowCredentials).toEqual(again.allowCredentials);
      expect(first.allowCredentials.length).toBeGreaterThan(0);
      expect(first.challenge).not.toBe(again.challenge);
      expect(Object.keys(real).sort()).toEqual(Object.keys(first).sort());
      expect(shape(await signInOptions(withoutPasskey.email)).keys).toEqual(
        shape(await signInOptions(nobody)).keys,
      );
      expect(shape(await signInOptions(withoutPasskey.email)).allow).toEqual(
        (JSON.parse(await signInOptions(withoutPasskey.email)).allowCredentials as unknown[]).map(() => [
          'id',
          'type',
        ]),
      );
      expect(real.allowCredentials.map((c: Record<string, unknown>) => Object.keys(c).sort())).toEqual([
        ['id', 'type'],
      ]);
      const known = new Set((await fork().find(Passkey, {})).map((p) => p.credentialId));
      for (const decoy of first.allowCredentials) expect(known.has(decoy.id)).toBe(false);
    });
  });

  describe('management', () => {
    it('renames and removes with step-up, and never removes the last way to sign in', async () => {
      const { user, authenticator, passkeyId } = await userWithPasskey();
      const renamed = await gql(
        url(),
        RENAME,
        { id: passkeyId, name: '  Work key ' },
        bearer(user.accessToken),
      );
      expect(renamed.body.data?.renamePasskey).toEqual({
        __typename: 'Passkey',
        id: passkeyId,
        name: 'Work key',
      });
      const tooLong = await gql(
        url(),
        RENAME,
        { id: passkeyId, name: 'x'.repeat(101) },
        bearer(user.accessToken),
      );
      expect(tooLong.body.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');

      // A user with a password may remove the only passkey.
      const removed = await gql(url(), REMOVE, { id: passkeyId }, bearer(user.accessToken));
      expect(removed.body.data?.removePasskey.__typename).toBe('PasskeyRemoved');
      const again = await gql(url(), REMOVE, { id: passkeyId }, bearer(user.accessToken));
      expect(again.body.data?.removePasskey).toEqual({
        __typename: 'PasskeyNotFound',
        code: 'PASSKEY_NOT_FOUND',
      });
      void authenticator;

      // Another user's passkey is "not found".
      const other = await userWithPasskey();
      const foreign = await gql(url(), REMOVE, { id: other.passkeyId }, bearer(user.accessToken));
      expect(foreign.body.data?.removePasskey.__typename).toBe('PasskeyNotFound');
      const foreignRename = await gql(
        url(),
        RENAME,
        { id: other.passkeyId, name: 'mine' },
        bearer(user.accessToken),
      );
      expect(foreignRename.body.data?.renamePasskey.__typename).toBe('PasskeyNotFound');
    });

    it('refuses to remove the only passkey of a user without a password, and allows it with a second one', async () => {
      const { user, authenticator, passkeyId } = await userWithPasskey();
      await fork().nativeUpdate(User, { id: user.userId }, { passwordHash: null });
      const refused = await gql(url(), REMOVE, { id: passkeyId }, bearer(user.accessToken));
      expect(refused.body.data?.removePasskey).toEqual({
        __typename: 'LastSignInMethod',
        code: 'LAST_SIGN_IN_METHOD',
      });
      expect(await fork().count(Passkey, { user: user.userId })).toBe(1);
      const second = await finishRegistration(user, authenticator.register(await registrationOptions(user)));
      expect(second?.name).toBe('Passkey');
      const removed = await gql(url(), REMOVE, { id: passkeyId }, bearer(user.accessToken));
      expect(removed.body.data?.removePasskey.__typename).toBe('PasskeyRemoved');
      const last = await gql(url(), REMOVE, { id: second.id }, bearer(user.accessToken));
      expect(last.body.data?.removePasskey.__typename).toBe('LastSignInMethod');
    });

    it('answers StepUpRequired to registration, rename and removal from a session older than the step-up window', async () => {
      const { user, passkeyId } = await userWithPasskey();
      await fork().nativeUpdate(
        Session,
        { id: user.sessionId },
        // The step-up clock: the session's last primary authentication (and its sign-in).
        {
          createdAt: new Date(Date.now() - 10 * 60_000),
          authenticatedAt: new Date(Date.now() - 10 * 60_000),
        },
      );
      const auth = bearer(user.accessToken);
      const begin = await gql(url(), BEGIN_REGISTRATION, {}, auth);
      expect(begin.body.data?.beginPasskeyRegistration).toEqual({
        __typename: 'StepUpRequired',
        code: 'STEP_UP_REQUIRED',
        maxAgeSeconds: 300,
      });
      const rename = await gql(url(), RENAME, { id: passkeyId, name: 'x' }, auth);
      expect(rename.body.data?.renamePasskey.__typename).toBe('StepUpRequired');
      const remove = await gql(url(), REMOVE, { id: passkeyId }, auth);
      expect(remove.body.data?.removePasskey.__typename).toBe('StepUpRequired');
      expect(await fork().count(Passkey, { id: passkeyId, name: 'Laptop' })).toBe(1);
    });

    it('needs a signed-in user for every management field', async () => {
      for (const query of [BEGIN_REGISTRATION, PASSKEYS]) {
        const response = await gql(url(), query);
        expect(response.body.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
      }
      const finish = await gql(url(), FINISH_REGISTRATION, { response: '{}' });
      expect(finish.body.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
      const remove = await gql(url(), REMOVE, { id: randomUUID() });
      expect(remove.body.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
    });
  });
});
