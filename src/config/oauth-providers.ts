import { readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';

/**
 * Social sign-in providers (OAUTH_PROVIDERS_FILE, JSON or YAML; or OAUTH_PROVIDERS, JSON). Each
 * entry is a preset (google, microsoft, apple, gitlab, github) or a generic OpenID provider with
 * an `issuer`. Every problem of the file is collected, so the refusal at start lists them all.
 */

export type OAuthProviderKind = 'oidc' | 'github';

export interface AppleClientKey {
  teamId: string;
  keyId: string;
  /** PKCS#8 PEM of the Sign in with Apple key (ES256). */
  privateKey: string;
}

export interface OAuthProviderConfig {
  readonly id: string;
  readonly name: string;
  readonly kind: OAuthProviderKind;
  /** OIDC discovery (`/.well-known/openid-configuration`); null for GitHub (explicit endpoints). */
  readonly issuer: string | null;
  /** GitHub (OAuth 2.0 without OIDC): its endpoints and API base. */
  readonly authorizationEndpoint: string | null;
  readonly tokenEndpoint: string | null;
  readonly apiBaseUrl: string | null;
  readonly clientId: string;
  readonly clientSecret: string | null;
  /** Apple: the client secret is a short JWT signed with this key. */
  readonly appleKey: AppleClientKey | null;
  readonly scopes: readonly string[];
  /** The provider's verified email may be matched to an existing account (link) and marks a new one verified. */
  readonly trustEmail: boolean;
  /** Audiences an ID token may carry: the client id, then the native apps' ids. */
  readonly audiences: readonly string[];
  /** Apple answers with form_post when name or email is asked for. */
  readonly responseMode: 'query' | 'form_post';
}

const PRESETS = ['google', 'microsoft', 'apple', 'gitlab', 'github'] as const;
type Preset = (typeof PRESETS)[number];

const entrySchema = z
  .object({
    id: z.string().regex(/^[a-z0-9][a-z0-9-]{0,31}$/, 'lower-case letters, digits and dashes, at most 32'),
    preset: z.enum(PRESETS).optional(),
    name: z.string().min(1).max(64).optional(),
    issuer: z.url({ message: 'must be an absolute URL' }).optional(),
    /** Microsoft: the tenant id or domain (the issuer is per tenant). */
    tenant: z
      .string()
      .regex(/^[A-Za-z0-9.-]{1,64}$/, 'a tenant id or domain')
      .optional(),
    authorizationEndpoint: z.url().optional(),
    tokenEndpoint: z.url().optional(),
    apiBaseUrl: z.url().optional(),
    clientId: z.string().min(1),
    clientSecret: z.string().min(1).optional(),
    appleKey: z
      .object({ teamId: z.string().min(1), keyId: z.string().min(1), privateKey: z.string().min(1) })
      .strict()
      .optional(),
    scopes: z.array(z.string().regex(/^[\x21\x23-\x5b\x5d-\x7e]+$/, 'a scope token')).optional(),
    trustEmail: z.boolean().optional(),
    audiences: z.array(z.string().min(1)).optional(),
  })
  .strict();

const fileSchema = z.array(entrySchema);
type Entry = z.infer<typeof entrySchema>;

interface PresetDefaults {
  name: string;
  kind: OAuthProviderKind;
  issuer: (entry: Entry, problems: string[], where: string) => string | null;
  scopes: string[];
  responseMode?: 'form_post';
}

const PRESET_DEFAULTS: Record<Preset, PresetDefaults> = {
  google: {
    name: 'Google',
    kind: 'oidc',
    issuer: () => 'https://accounts.google.com',
    scopes: ['openid', 'email', 'profile'],
  },
  microsoft: {
    name: 'Microsoft',
    kind: 'oidc',
    // One tenant's issuer: the multi-tenant `common` endpoint has no single issuer to check against.
    issuer: (entry, problems, where) => {
      if (!entry.tenant) {
        problems.push(`${where}.tenant: required for the microsoft preset (a tenant id, or "consumers")`);
        return null;
      }
      const tenant = entry.tenant === 'consumers' ? '9188040d-6c67-4c5b-b112-36a304b66dad' : entry.tenant;
      return `https://login.microsoftonline.com/${tenant}/v2.0`;
    },
    scopes: ['openid', 'email', 'profile'],
  },
  apple: {
    name: 'Apple',
    kind: 'oidc',
    issuer: () => 'https://appleid.apple.com',
    scopes: ['openid', 'email'],
    responseMode: 'form_post',
  },
  gitlab: {
    name: 'GitLab',
    kind: 'oidc',
    issuer: (entry) => entry.issuer ?? 'https://gitlab.com',
    scopes: ['openid', 'email', 'profile'],
  },
  github: { name: 'GitHub', kind: 'github', issuer: () => null, scopes: ['read:user', 'user:email'] },
};

export const GITHUB_DEFAULTS = {
  authorizationEndpoint: 'https://github.com/login/oauth/authorize',
  tokenEndpoint: 'https://github.com/login/oauth/access_token',
  apiBaseUrl: 'https://api.github.com',
} as const;

/** http:// only for a provider on this machine (tests, development), never in production. */
function isLoopbackHttp(url: string): boolean {
  const { protocol, hostname } = new URL(url);
  return protocol === 'http:' && ['127.0.0.1', 'localhost', '[::1]'].includes(hostname);
}

function checkUrl(url: string | null, field: string, production: boolean, problems: string[]): void {
  if (url === null) return;
  if (url.startsWith('https://')) return;
  if (!production && isLoopbackHttp(url)) return;
  problems.push(
    `${field}: must be https://${production ? '' : ' (http:// only on loopback outside production)'}`,
  );
}

function resolveEntry(
  entry: Entry,
  where: string,
  production: boolean,
  problems: string[],
): OAuthProviderConfig | null {
  const preset = entry.preset ? PRESET_DEFAULTS[entry.preset] : null;
  const kind: OAuthProviderKind = preset?.kind ?? 'oidc';
  const issuer = preset ? preset.issuer(entry, problems, where) : (entry.issuer ?? null);
  if (kind === 'oidc' && !issuer && !preset) problems.push(`${where}.issuer: required (or a preset)`);
  if (entry.preset && entry.preset !== 'gitlab' && entry.issuer) {
    problems.push(`${where}.issuer: set by the ${entry.preset} preset`);
  }
  const isApple = entry.preset === 'apple';
  if (isApple && !entry.appleKey && !entry.clientSecret) {
    problems.push(`${where}.appleKey: required for the apple preset (teamId, keyId, privateKey)`);
  }
  if (!isApple && entry.appleKey) problems.push(`${where}.appleKey: only for the apple preset`);
  if (!isApple && !entry.clientSecret) problems.push(`${where}.clientSecret: required`);
  if (kind !== 'github' && (entry.authorizationEndpoint || entry.tokenEndpoint || entry.apiBaseUrl)) {
    problems.push(
      `${where}: explicit endpoints are for the github preset; OpenID providers use issuer discovery`,
    );
  }
  const github = kind === 'github';
  const authorizationEndpoint = github
    ? (entry.authorizationEndpoint ?? GITHUB_DEFAULTS.authorizationEndpoint)
    : null;
  const tokenEndpoint = github ? (entry.tokenEndpoint ?? GITHUB_DEFAULTS.tokenEndpoint) : null;
  const apiBaseUrl = github ? (entry.apiBaseUrl ?? GITHUB_DEFAULTS.apiBaseUrl).replace(/\/+$/, '') : null;
  checkUrl(issuer, `${where}.issuer`, production, problems);
  checkUrl(authorizationEndpoint, `${where}.authorizationEndpoint`, production, problems);
  checkUrl(tokenEndpoint, `${where}.tokenEndpoint`, production, problems);
  checkUrl(apiBaseUrl, `${where}.apiBaseUrl`, production, problems);
  const scopes = entry.scopes ?? preset?.scopes ?? ['openid', 'email', 'profile'];
  if (kind === 'oidc' && !scopes.includes('openid')) problems.push(`${where}.scopes: must include openid`);
  if (entry.appleKey) {
    if (!/-----BEGIN PRIVATE KEY-----/.test(entry.appleKey.privateKey)) {
      problems.push(`${where}.appleKey.privateKey: a PKCS#8 PEM (-----BEGIN PRIVATE KEY-----)`);
    }
  }
  return {
    id: entry.id,
    name: entry.name ?? preset?.name ?? entry.id,
    kind,
    issuer: issuer?.replace(/\/+$/, '') ?? null,
    authorizationEndpoint,
    tokenEndpoint,
    apiBaseUrl,
    clientId: entry.clientId,
    clientSecret: entry.clientSecret ?? null,
    appleKey: entry.appleKey ?? null,
    scopes,
    trustEmail: entry.trustEmail ?? false,
    audiences: [entry.clientId, ...(entry.audiences ?? [])],
    responseMode: preset?.responseMode ?? 'query',
  };
}

/** Validates the parsed file; pushes one line per problem (prefixed with `source`). */
export function parseOAuthProviders(
  raw: unknown,
  source: string,
  production: boolean,
  problems: string[],
): OAuthProviderConfig[] {
  const parsed = fileSchema.safeParse(raw);
  if (!parsed.success) {
    for (const issue of parsed.error.issues) {
      problems.push(`${source}${issue.path.map((p) => `[${String(p)}]`).join('')}: ${issue.message}`);
    }
    return [];
  }
  const before = problems.length;
  const seen = new Set<string>();
  const providers: OAuthProviderConfig[] = [];
  parsed.data.forEach((entry, index) => {
    const where = `${source}[${index}]`;
    if (seen.has(entry.id)) problems.push(`${where}.id: "${entry.id}" is listed twice`);
    seen.add(entry.id);
    const provider = resolveEntry(entry, where, production, problems);
    if (provider) providers.push(provider);
  });
  return problems.length === before ? providers : [];
}

/** Reads OAUTH_PROVIDERS_FILE (JSON or YAML) or OAUTH_PROVIDERS (JSON); both set is a problem. */
export function loadOAuthProviders(
  file: string | undefined,
  inline: string | undefined,
  production: boolean,
  problems: string[],
): OAuthProviderConfig[] {
  if (file && inline) {
    problems.push('OAUTH_PROVIDERS: set OAUTH_PROVIDERS_FILE or OAUTH_PROVIDERS, not both');
    return [];
  }
  if (!file && !inline) return [];
  const source = file ? 'OAUTH_PROVIDERS_FILE' : 'OAUTH_PROVIDERS';
  let raw: unknown;
  try {
    if (file) {
      const text = readFileSync(file, 'utf8');
      raw = /\.ya?ml$/i.test(file) ? parseYaml(text) : JSON.parse(text);
    } else {
      raw = JSON.parse(inline!);
    }
  } catch (error) {
    const what =
      (error as NodeJS.ErrnoException).code === 'ENOENT' ? 'file not found' : 'not valid JSON/YAML';
    problems.push(`${source}: ${what}`);
    return [];
  }
  return parseOAuthProviders(raw, source, production, problems);
}

/**
 * OAUTH_REDIRECT_ALLOWLIST: where a social sign-in may return to, besides CORS_ORIGINS. Entries are
 * origins (`https://app.example`) or app deep-link schemes (`com.example.app:`).
 */
export function parseRedirectAllowlist(value: string | undefined, problems: string[]): string[] {
  if (!value) return [];
  const entries: string[] = [];
  for (const part of value
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)) {
    if (/^[a-z][a-z0-9+.-]*:$/i.test(part) && !/^(https?|javascript|data|vbscript|file):$/i.test(part)) {
      entries.push(part.toLowerCase());
      continue;
    }
    try {
      const url = new URL(part);
      if ((url.protocol === 'https:' || url.protocol === 'http:') && url.origin !== 'null') {
        entries.push(url.origin);
        continue;
      }
    } catch {
      // reported below
    }
    problems.push(
      `OAUTH_REDIRECT_ALLOWLIST: "${part}" is neither an http(s) origin nor an app scheme (like com.example.app:)`,
    );
  }
  return entries;
}
