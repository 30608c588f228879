import { describe, expect, it } from 'vitest';
import { PlintoClient, passkeyResponseJSON } from '../../client/src/index.js';
import type { PublicKeyCredentialLike } from '../../client/src/index.js';
import { STRONG_PASSWORD, uniqueEmail } from '../helpers/graphql.js';
import { useServer } from '../helpers/use-server.js';
import { SoftwareAuthenticator } from '../helpers/webauthn.js';

/** What navigator.credentials returns, rebuilt from the software authenticator's JSON (ArrayBuffers). */
function asPublicKeyCredential(json: string): PublicKeyCredentialLike {
  const parsed = JSON.parse(json);
  const buffer = (value: string) => {
    const bytes = Buffer.from(value, 'base64url');
    return bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;
  };
  const r = parsed.response;
  return {
    id: parsed.id,
    rawId: buffer(parsed.rawId),
    type: parsed.type,
    authenticatorAttachment: parsed.authenticatorAttachment,
    response: {
      clientDataJSON: buffer(r.clientDataJSON),
      ...(r.attestationObject
        ? { attestationObject: buffer(r.attestationObject), getTransports: () => r.transports }
        : {}),
      ...(r.authenticatorData ? { authenticatorData: buffer(r.authenticatorData) } : {}),
      ...(r.signature ? { signature: buffer(r.signature) } : {}),
      ...(r.userHandle ? { userHandle: buffer(r.userHandle) } : {}),
    },
    getClientExtensionResults: () => ({}),
  };
}

describe('the typed client’s passkey helpers (PostgreSQL + Redis)', () => {
  const ctx = useServer('postgresql');
  const newClient = () => new PlintoClient({ url: `${ctx.server.url}/graphql` });

  it('serialises a PublicKeyCredential exactly as its JSON form', () => {
    const authenticator = new SoftwareAuthenticator('http://plinto.test');
    const json = authenticator.register(
      JSON.stringify({ challenge: 'AAAA', rp: { id: 'plinto.test' }, user: { id: 'AAAA' } }),
    );
    expect(JSON.parse(passkeyResponseJSON(asPublicKeyCredential(json)))).toEqual(JSON.parse(json));
    const assertion = authenticator.assert(JSON.stringify({ challenge: 'AAAA', rpId: 'plinto.test' }));
    expect(JSON.parse(passkeyResponseJSON(asPublicKeyCredential(assertion)))).toEqual(JSON.parse(assertion));
  });

  it('adds, lists, renames and removes a passkey, and signs in with navigator.credentials results', async () => {
    const client = newClient();
    const email = uniqueEmail('client-passkey');
    expect((await client.signUp({ email, password: STRONG_PASSWORD })).__typename).toBe('SignInSuccess');
    const authenticator = new SoftwareAuthenticator('http://plinto.test');

    const begin = await client.beginPasskeyRegistration();
    if (begin.__typename !== 'PasskeyOptions') throw new Error(begin.__typename);
    expect(begin.options).toMatchObject({ rp: { id: 'plinto.test' }, attestation: 'none' });
    const created = asPublicKeyCredential(authenticator.register(JSON.stringify(begin.options)));
    const added = await client.finishPasskeyRegistration(created, 'Desk key');
    if (added.__typename !== 'Passkey') throw new Error(added.__typename);
    expect((await client.passkeys()).map((p) => p.name)).toEqual(['Desk key']);
    const renamed = await client.renamePasskey(added.id, 'Work key');
    expect(renamed.__typename === 'Passkey' && renamed.name).toBe('Work key');

    const signedIn = newClient();
    const options = await signedIn.beginPasskeySignIn(email);
    const result = await signedIn.finishPasskeySignIn(
      asPublicKeyCredential(authenticator.assert(JSON.stringify(options))),
    );
    if (result.__typename !== 'SignInSuccess') throw new Error(result.__typename);
    expect(result.user.email).toBe(email);
    expect((await signedIn.me()).email).toBe(email);

    const removed = await client.removePasskey(added.id);
    expect(removed).toEqual({ __typename: 'PasskeyRemoved', id: added.id });
    expect(await client.passkeys()).toEqual([]);
  });
});
