export { PlintoClient } from './plinto-client.js';
export type { PlintoClientOptions } from './plinto-client.js';
export { PlintoWebhookAdmin } from './webhook-admin.js';
export { PlintoError } from './plinto-error.js';
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
