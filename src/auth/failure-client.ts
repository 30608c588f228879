import { randomBytes } from 'node:crypto';
import { clientNetwork } from '../security/client-key.js';
import { safeEqual } from '../security/crypto.js';
import type { KeyedHash } from '../security/crypto.js';
import type { ClientInfo } from './client-info.js';
import { normaliseEmail } from './email.js';

/** The long-lived device cookie: set on a successful password sign-in, HttpOnly. */
export const DEVICE_COOKIE_NAME = 'plinto_device';
export const DEVICE_COOKIE_MAX_AGE_SECONDS = 400 * 86400;
/** HKDF label of the key that MACs device cookies. */
export const DEVICE_COOKIE_KEY_LABEL = 'device-cookie';

/** Who is failing, for the growing delays of the sign-in failure counter. */
export interface FailureClient {
  /** `d:<device id>` for a device cookie that proves an earlier sign-in to this account, else `n:<network>`. */
  key: string;
  /** The device has signed in to this account before: the account-wide ceiling does not apply to it. */
  knownDevice: boolean;
}

/**
 * Device cookies are `<device id>.<MAC>` where the MAC (HMAC under a key derived from AUTH_SECRET)
 * binds the device id to one account's address: it cannot be forged, and a cookie earned on the
 * attacker's own account counts for nothing on the victim's.
 */
export class DeviceCookies {
  constructor(private readonly mac: KeyedHash) {}

  /** The client a failure or a check is counted for. */
  clientOf(email: string, client: ClientInfo): FailureClient {
    const device = this.deviceOf(email, client.device ?? null);
    if (device) return { key: `d:${device}`, knownDevice: true };
    // IPv4 /24, IPv6 /64: an attacker cannot rotate through the addresses of one block.
    return { key: `n:${clientNetwork(client.ip) ?? 'unknown'}`, knownDevice: false };
  }

  /** The cookie to set after a successful sign-in: the same device id when it had one for this account. */
  cookieFor(email: string, client: ClientInfo): string {
    const device = this.deviceOf(email, client.device ?? null) ?? randomBytes(16).toString('base64url');
    return `${device}.${this.sign(device, email)}`;
  }

  private deviceOf(email: string, cookie: string | null): string | null {
    if (!cookie || cookie.length > 200) return null;
    const dot = cookie.indexOf('.');
    if (dot <= 0) return null;
    const device = cookie.slice(0, dot);
    if (!/^[A-Za-z0-9_-]{22}$/.test(device)) return null;
    return safeEqual(cookie.slice(dot + 1), this.sign(device, email)) ? device : null;
  }

  private sign(device: string, email: string): string {
    return this.mac.hex(`${device}|${normaliseEmail(email)}`);
  }
}
