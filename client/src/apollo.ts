import { ApolloLink } from '@apollo/client';
import { parse } from 'graphql';
import type { DocumentNode } from 'graphql';
import type { TypedDocumentNode } from '@graphql-typed-document-node/core';
import { defer, from, mergeMap, of } from 'rxjs';
import type { Observable } from 'rxjs';
import { hasUnauthenticated } from './auth-errors.js';
import type { Document } from './graphql-request.js';
import type { PlintoClient } from './plinto-client.js';

export interface PlintoAuthLinkOptions {
  /** Holds the tokens and does the refresh; sign in through it (its signIn, signUp, … store the tokens). */
  client: PlintoClient;
}

/**
 * An Apollo Client link, placed before the HttpLink: adds `Authorization: Bearer <access token>`;
 * when the server answers UNAUTHENTICATED, refreshes once (one refresh in flight however many
 * operations failed together) and retries the operation once with the new token. When the server
 * refuses the refresh the client clears its tokens and calls its `onSignOut`, and the operation
 * returns the original UNAUTHENTICATED error. A refresh that fails on the network errors the
 * operation and keeps the session (the next operation tries again).
 */
export function createPlintoAuthLink({ client }: PlintoAuthLinkOptions): ApolloLink {
  return new ApolloLink((operation, forward) => {
    const send = (token: string | null): Observable<ApolloLink.Result> => {
      operation.setContext(({ headers }: { headers?: Record<string, string> }) => {
        // Any casing of an earlier Authorization goes: two would be merged into one invalid value.
        const next = Object.fromEntries(
          Object.entries(headers ?? {}).filter(([name]) => name.toLowerCase() !== 'authorization'),
        );
        if (token) next.authorization = `Bearer ${token}`;
        return { headers: next };
      });
      return forward(operation);
    };
    return from(client.accessToken()).pipe(
      mergeMap((sentWith) => {
        let retried = false;
        return send(sentWith).pipe(
          mergeMap((result) => {
            if (retried || sentWith === null || !hasUnauthenticated(result.errors)) return of(result);
            retried = true;
            return from(client.refreshAfterUnauthenticated(sentWith)).pipe(
              mergeMap((refreshed) =>
                refreshed ? defer(() => from(client.accessToken())).pipe(mergeMap(send)) : of(result),
              ),
            );
          }),
        );
      }),
    );
  });
}

/** A generated (string) document as the DocumentNode Apollo Client wants, with its types kept. */
export function toDocumentNode<TResult, TVariables>(
  document: Document<TResult, TVariables>,
): TypedDocumentNode<TResult, TVariables> {
  return parse(document.toString()) as DocumentNode as TypedDocumentNode<TResult, TVariables>;
}
