export { PlintoClient, createIdTokenNonce, readSocialCallback } from './plinto-client.js';
export type { PlintoClientOptions, ReauthenticateRefusal, SocialCallback } from './plinto-client.js';
export { PlintoWebhookAdmin } from './webhook-admin.js';
export { PlintoError } from './plinto-error.js';
export { passkeyResponseJSON } from './passkeys.js';
export type { PasskeyCredential, PublicKeyCredentialLike } from './passkeys.js';
export { MemoryTokenStore } from './token-store.js';
export type { StoredTokens, TokenStore } from './token-store.js';
export {
  BrowserTokenStore,
  SecureTokenStore,
  browserStorage,
  memoryStorage,
  secureStorage,
} from './storage.js';
export type { SecureKeyValueStorage, StorageMode } from './storage.js';
export type { Document } from './graphql-request.js';
export * from '../generated/graphql.js';
