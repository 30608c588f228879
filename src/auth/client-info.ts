export interface ClientInfo {
  /** The client IP, as resolved by Express under TRUST_PROXY. */
  ip: string | null;
  userAgent: string | null;
}
