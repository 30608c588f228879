export interface ClientInfo {
  /** The client IP, as resolved by Express under TRUST_PROXY. */
  ip: string | null;
  userAgent: string | null;
  /** True once the client has closed its connection: a password hash still waiting is skipped. */
  gone?: () => boolean;
  /** The device cookie the request carried (DeviceCookies checks it), if any. */
  device?: string | null;
  /** Sets the device cookie on the answer (HTTP requests only). */
  rememberDevice?: (cookie: string) => void;
}
