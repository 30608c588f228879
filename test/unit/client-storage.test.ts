import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  BrowserTokenStore,
  PlintoClient,
  browserStorage,
  memoryStorage,
  secureStorage,
} from '../../client/src/index.js';
import type { SecureKeyValueStorage } from '../../client/src/index.js';

/** An in-memory stand-in for expo-secure-store / react-native-keychain, recording every call. */
function fakeSecureStorage(): SecureKeyValueStorage & { values: Map<string, string>; calls: string[] } {
  const values = new Map<string, string>();
  const calls: string[] = [];
  return {
    values,
    calls,
    getItem: async (key) => (calls.push(`get ${key}`), values.get(key) ?? null),
    setItem: async (key, value) => void (calls.push(`set ${key}`), values.set(key, value)),
    removeItem: async (key) => void (calls.push(`remove ${key}`), values.delete(key)),
  };
}

describe('@plinto/client storage modes', () => {
  it('browser mode keeps only the access token, in memory, and asks for the cookie transport', () => {
    const mode = browserStorage();
    expect(mode.refreshTransport).toBe('cookie');
    mode.tokenStore.set({ accessToken: 'a1', refreshToken: 'must-not-be-kept' });
    expect(mode.tokenStore.get()).toEqual({ accessToken: 'a1', refreshToken: null });
    mode.tokenStore.set(null);
    expect(mode.tokenStore.get()).toBeNull();
    expect(new BrowserTokenStore().get()).toBeNull();
  });

  it('memory mode keeps both tokens and uses the payload transport', () => {
    const mode = memoryStorage();
    expect(mode.refreshTransport).toBe('payload');
    mode.tokenStore.set({ accessToken: 'a1', refreshToken: 'r1' });
    expect(mode.tokenStore.get()).toEqual({ accessToken: 'a1', refreshToken: 'r1' });
  });

  it('secure-storage mode writes one JSON value under its key and removes it on sign-out', async () => {
    const storage = fakeSecureStorage();
    const mode = secureStorage(storage, 'app.plinto');
    expect(mode.refreshTransport).toBe('payload');
    await mode.tokenStore.set({ accessToken: 'a1', refreshToken: 'r1' });
    expect(JSON.parse(storage.values.get('app.plinto')!)).toEqual({ accessToken: 'a1', refreshToken: 'r1' });
    expect(await mode.tokenStore.get()).toEqual({ accessToken: 'a1', refreshToken: 'r1' });
    await mode.tokenStore.set(null);
    expect(storage.values.has('app.plinto')).toBe(false);
    expect(storage.calls).toEqual(['set app.plinto', 'get app.plinto', 'remove app.plinto']);
  });

  it('secure-storage mode reads an unreadable value as signed out', async () => {
    const storage = fakeSecureStorage();
    storage.values.set('plinto.tokens', '{not json');
    expect(await secureStorage(storage).tokenStore.get()).toBeNull();
    storage.values.set('plinto.tokens', JSON.stringify({ refreshToken: 'r1' }));
    expect(await secureStorage(storage).tokenStore.get()).toBeNull();
  });

  it('a client in secure-storage mode reads its tokens from the platform storage', async () => {
    const storage = fakeSecureStorage();
    storage.values.set('plinto.tokens', JSON.stringify({ accessToken: 'stored', refreshToken: 'r' }));
    const client = new PlintoClient({ url: 'http://127.0.0.1:9/graphql', ...secureStorage(storage) });
    expect(client.currentAccessToken()).toBeNull();
    expect(await client.accessToken()).toBe('stored');
    expect(client.currentAccessToken()).toBe('stored');
  });

  it('ties the package version to the server version (the schema it ships)', () => {
    const server = JSON.parse(readFileSync('package.json', 'utf8')) as { version: string };
    const client = JSON.parse(readFileSync('client/package.json', 'utf8')) as { version: string };
    expect(client.version).toBe(server.version);
  });
});
