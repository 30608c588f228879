import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.js';
import { dataDir, problemsOf } from '../helpers/config.js';

const webauthnProblems = (env: Record<string, string>) =>
  problemsOf({ DATA_DIR: dataDir(), ...env }).filter((p) => p.startsWith('WEBAUTHN_'));
const production = (env: Record<string, string>) =>
  webauthnProblems({ NODE_ENV: 'production', APP_URL: 'https://auth.example.com', ...env });

describe('passkey relying-party configuration (WEBAUTHN_*)', () => {
  it('defaults to APP_URL: its host as RP ID, its origin as the only origin, "Plinto" as the name', () => {
    const config = loadConfig({ DATA_DIR: dataDir(), APP_URL: 'https://auth.example.com/' });
    expect(config.webauthn).toEqual({
      rpId: 'auth.example.com',
      rpName: 'Plinto',
      origins: ['https://auth.example.com'],
    });
  });

  it('takes a parent domain as RP ID, several origins and native app origins', () => {
    const config = loadConfig({
      DATA_DIR: dataDir(),
      APP_URL: 'https://auth.example.com',
      WEBAUTHN_RP_ID: 'example.com',
      WEBAUTHN_RP_NAME: 'Example',
      WEBAUTHN_ORIGINS: 'https://auth.example.com, https://app.example.com, android:apk-key-hash:AbC_d-9',
    });
    expect(config.webauthn).toEqual({
      rpId: 'example.com',
      rpName: 'Example',
      origins: ['https://auth.example.com', 'https://app.example.com', 'android:apk-key-hash:AbC_d-9'],
    });
    expect(
      production({
        WEBAUTHN_RP_ID: 'example.com',
        WEBAUTHN_ORIGINS: 'https://auth.example.com, https://app.example.com, android:apk-key-hash:AbC_d-9',
      }),
    ).toEqual([]);
  });

  it('refuses in production an RP ID that is not a registrable suffix of every web origin', () => {
    expect(
      production({ WEBAUTHN_RP_ID: 'example.com', WEBAUTHN_ORIGINS: 'https://auth.example.org' }),
    ).toEqual([
      'WEBAUTHN_RP_ID: "example.com" is not a registrable suffix of the origin host "auth.example.org" (WEBAUTHN_ORIGINS)',
    ]);
    // A suffix on a label boundary only: "badexample.com" does not end in ".example.com".
    expect(
      production({ WEBAUTHN_RP_ID: 'example.com', WEBAUTHN_ORIGINS: 'https://badexample.com' }),
    ).toHaveLength(1);
    // The default origin (APP_URL's) counts too.
    expect(production({ WEBAUTHN_RP_ID: 'other.example.com' })).toHaveLength(1);
    expect(production({ WEBAUTHN_RP_ID: 'com' })).toEqual([
      'WEBAUTHN_RP_ID: "com" is a top-level name, not a registrable domain',
    ]);
    // With the defaults the RP ID is the host of the only origin: nothing to refuse.
    expect(production({})).toEqual([]);
  });

  it('refuses malformed values everywhere, and lets development use any matching setting', () => {
    expect(webauthnProblems({ WEBAUTHN_ORIGINS: 'not an origin' })[0]).toMatch(/is not an origin/);
    expect(webauthnProblems({ WEBAUTHN_RP_ID: 'https://example.com' })[0]).toMatch(/is not a domain name/);
    expect(
      webauthnProblems({ WEBAUTHN_RP_ID: 'example.com', WEBAUTHN_ORIGINS: 'http://localhost:4000' }),
    ).toEqual([]);
  });
});
