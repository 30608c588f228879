import { gql, makeOperation } from '@urql/core';
import type { AnyVariables, CombinedError, Exchange, Operation, TypedDocumentNode } from '@urql/core';
import { authExchange } from '@urql/exchange-auth';
import { hasUnauthenticated } from './auth-errors.js';
import type { Document } from './graphql-request.js';
import type { PlintoClient } from './plinto-client.js';

export interface PlintoAuthExchangeOptions {
  /** Holds the tokens and does the refresh; sign in through it (its signIn, signUp, … store the tokens). */
  client: PlintoClient;
}

/** Where an operation records the access token it was sent with (urql's context is open-ended). */
const SENT_WITH = 'plintoAccessToken';

function sentWith(operation: Operation): string | null {
  const value = (operation.context as Record<string, unknown>)[SENT_WITH];
  return typeof value === 'string' ? value : null;
}

/**
 * urql's authExchange, configured for Plinto: place it before fetchExchange. Adds
 * `Authorization: Bearer <access token>`; when the server answers UNAUTHENTICATED, refreshes once
 * and retries the operation once. authExchange holds operations back while a refresh runs; an
 * operation that failed with the old token after the refresh finished is retried without a
 * second refresh. When the server refuses the refresh the client clears its tokens and calls its
 * `onSignOut`; the retried operation then returns UNAUTHENTICATED.
 */
export function plintoAuthExchange({ client }: PlintoAuthExchangeOptions): Exchange {
  return authExchange(async (utils) => {
    await client.accessToken(); // loads the stored tokens once; addAuthToOperation is synchronous
    let failedWith: string | null = null;
    return {
      addAuthToOperation(operation: Operation): Operation {
        const token = client.currentAccessToken();
        // POST always: urql would send queries as GET, which Plinto's CSRF prevention refuses (and
        // variables in URLs end up in proxy logs).
        const marked = makeOperation(operation.kind, operation, {
          ...operation.context,
          preferGetMethod: false,
          [SENT_WITH]: token,
        });
        return token ? utils.appendHeaders(marked, { authorization: `Bearer ${token}` }) : marked;
      },
      didAuthError(error: CombinedError, operation: Operation): boolean {
        const token = sentWith(operation);
        if (token === null || !hasUnauthenticated(error.graphQLErrors)) return false;
        failedWith = token;
        return true;
      },
      async refreshAuth(): Promise<void> {
        const token = failedWith ?? client.currentAccessToken();
        // A refused refresh clears the tokens (and calls onSignOut): the retry then goes without one.
        if (token !== null) await client.refreshAfterUnauthenticated(token);
      },
    };
  });
}

/** A generated (string) document as the DocumentNode urql's typed methods want, with its types kept. */
export function toDocumentNode<TResult, TVariables extends AnyVariables>(
  document: Document<TResult, TVariables>,
): TypedDocumentNode<TResult, TVariables> {
  return gql<TResult, TVariables>(document.toString());
}
