import { AsyncLocalStorage } from 'node:async_hooks';

export interface RequestContext {
  requestId: string;
  /** The GraphQL operation of this request, once known (set by the GraphQL metrics plugin). */
  graphqlOperation?: string;
}

/** The current request, wherever its work continues (resolvers, services, formatError). */
export const requestContext = new AsyncLocalStorage<RequestContext>();
