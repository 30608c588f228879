export { MemoryTokenStore, PlintoClient, PlintoError } from './plinto-client.js';
export type { PlintoClientOptions, StoredTokens, TokenStore } from './plinto-client.js';
export * from '../generated/graphql.js';
