import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { SignJWT, decodeJwt, exportJWK, generateKeyPair } from 'jose';
import type { JWTPayload } from 'jose';
import Provider from 'oidc-provider';

/**
 * A real OpenID provider (oidc-provider 9) on a loopback port, for the social sign-in tests: its
 * discovery, JWKS, authorization, development login and consent pages, token and userinfo
 * endpoints. The tests hold its signing key, so they can sign ID tokens its JWKS vouches for.
 */
export interface LocalOidcProvider {
  issuer: string;
  /** Accounts by login: the login page accepts any password for these. */
  accounts: Map<string, { email?: string; email_verified?: boolean }>;
  /** When set, every ID token the token endpoint answers is re-signed (same key) with these changes. */
  tamper: ((claims: JWTPayload) => JWTPayload) | null;
  /** Signs an ID token with the provider's own key (for signInWithIdToken). */
  signIdToken(claims: JWTPayload): Promise<string>;
  close(): Promise<void>;
}

export interface LocalClient {
  client_id: string;
  client_secret: string;
  redirect_uris: string[];
}

export async function startOidcProvider(clients: LocalClient[]): Promise<LocalOidcProvider> {
  const { privateKey } = await generateKeyPair('RS256', { extractable: true });
  const kid = `test-${Date.now().toString(36)}`;
  const privateJwk = { ...(await exportJWK(privateKey)), kid, alg: 'RS256', use: 'sig' };
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const issuer = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const accounts = new Map<string, { email?: string; email_verified?: boolean }>();
  const local: LocalOidcProvider = {
    issuer,
    accounts,
    tamper: null,
    signIdToken: (claims) => new SignJWT(claims).setProtectedHeader({ alg: 'RS256', kid }).sign(privateKey),
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
  const provider = new Provider(issuer, {
    clients: clients.map((c) => ({
      ...c,
      token_endpoint_auth_method: 'client_secret_post',
      grant_types: ['authorization_code'],
      response_types: ['code'],
    })),
    jwks: { keys: [privateJwk] },
    cookies: { keys: ['plinto-test-cookie-key'] },
    claims: { openid: ['sub'], email: ['email', 'email_verified'] },
    pkce: { required: () => true },
    features: { devInteractions: { enabled: true } },
    findAccount: (_ctx: unknown, id: string) => {
      const account = accounts.get(id);
      if (!account) return undefined;
      return { accountId: id, claims: () => ({ sub: id, ...account }) };
    },
  });
  provider.use(async (ctx, next) => {
    await next();
    const body = ctx.body as { id_token?: string } | undefined;
    if (ctx.path === '/token' && local.tamper && body?.id_token) {
      body.id_token = await local.signIdToken(local.tamper(decodeJwt(body.id_token)));
    }
  });
  server.on('request', provider.callback());
  return local;
}

/** A browser's cookies, for one host: enough to walk oidc-provider's login and consent over HTTP. */
class CookieJar {
  private readonly cookies = new Map<string, string>();

  store(response: Response): void {
    for (const line of response.headers.getSetCookie()) {
      const [pair] = line.split(';');
      const index = pair!.indexOf('=');
      const name = pair!.slice(0, index).trim();
      const value = pair!.slice(index + 1).trim();
      if (/expires=Thu, 01 Jan 1970/i.test(line) || value === '') this.cookies.delete(name);
      else this.cookies.set(name, value);
    }
  }

  header(): string {
    return [...this.cookies].map(([k, v]) => `${k}=${v}`).join('; ');
  }
}

/**
 * Walks the authorization request like a browser: the provider's login page (as `login`), its
 * consent page, until the provider redirects somewhere outside itself (Plinto's callback); returns
 * that URL. `consent: false` aborts at the consent page instead (the user says no).
 */
export async function authorizeAtProvider(
  authorizationUrl: string,
  login: string,
  options: { consent?: boolean } = {},
): Promise<string> {
  const jar = new CookieJar();
  const origin = new URL(authorizationUrl).origin;
  let next = authorizationUrl;
  let method = 'GET';
  let body: URLSearchParams | undefined;
  for (let step = 0; step < 20; step += 1) {
    const response = await fetch(next, {
      method,
      body,
      redirect: 'manual',
      headers: {
        cookie: jar.header(),
        ...(body ? { 'content-type': 'application/x-www-form-urlencoded' } : {}),
      },
    });
    jar.store(response);
    method = 'GET';
    body = undefined;
    const location = response.headers.get('location');
    if (location) {
      const target = new URL(location, next);
      if (target.origin !== origin) return target.href;
      next = target.href;
      continue;
    }
    const html = await response.text();
    if (response.status !== 200)
      throw new Error(`provider answered ${response.status}: ${html.slice(0, 300)}`);
    const action = /<form[^>]*action="([^"]+)"/.exec(html)?.[1];
    const prompt = /name="prompt" value="(\w+)"/.exec(html)?.[1];
    if (!action) throw new Error(`no form on the provider's page: ${html.slice(0, 300)}`);
    const submit = new URL(action.replaceAll('&amp;', '&'), next).href;
    if (prompt === 'login') {
      body = new URLSearchParams({ prompt: 'login', login, password: 'any' });
      method = 'POST';
      next = submit;
    } else if (options.consent === false) {
      next = `${submit}/abort`;
    } else {
      body = new URLSearchParams({ prompt: 'consent' });
      method = 'POST';
      next = submit;
    }
  }
  throw new Error('the provider never redirected back');
}
