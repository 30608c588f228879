import type { DocumentTypeDecoration } from '@graphql-typed-document-node/core';
import { PlintoError } from './plinto-error.js';

/** A generated document: typed, and its text via toString(). */
export type Document<TResult, TVariables> = DocumentTypeDecoration<TResult, TVariables> & {
  toString(): string;
};

interface GraphQLBody<T> {
  data?: T | null;
  errors?: Array<{ message: string; extensions?: { code?: string; retryAfter?: number; reason?: string } }>;
}

export interface GraphQLRequest<TResult, TVariables> {
  fetch: typeof fetch;
  url: string;
  document: Document<TResult, TVariables>;
  variables: TVariables | undefined;
  headers: Record<string, string>;
  /** 'include' for the browser cookie transport (the HttpOnly refresh cookie must travel). */
  credentials: RequestCredentials;
}

/**
 * One POST to the GraphQL endpoint. A top-level error (UNAUTHENTICATED, RATE_LIMITED, …) becomes
 * a PlintoError; expected outcomes stay in the data as result-union members.
 */
export async function postGraphQL<TResult, TVariables>(
  request: GraphQLRequest<TResult, TVariables>,
): Promise<TResult> {
  const response = await request.fetch(request.url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...request.headers },
    body: JSON.stringify({ query: request.document.toString(), variables: request.variables ?? {} }),
    credentials: request.credentials,
  });
  let body: GraphQLBody<TResult>;
  try {
    body = (await response.json()) as GraphQLBody<TResult>;
  } catch {
    throw new PlintoError(
      'BAD_RESPONSE',
      `Unexpected response (HTTP ${response.status}).`,
      null,
      response.status,
    );
  }
  const first = body.errors?.[0];
  if (first) {
    const header = Number(response.headers.get('retry-after'));
    const retryAfter =
      first.extensions?.retryAfter ?? (Number.isFinite(header) && header > 0 ? header : null);
    throw new PlintoError(
      first.extensions?.code ?? 'UNKNOWN',
      first.message,
      retryAfter,
      response.status,
      typeof first.extensions?.reason === 'string' ? first.extensions.reason : null,
    );
  }
  if (!body.data) throw new PlintoError('BAD_RESPONSE', 'The response had no data.', null, response.status);
  return body.data;
}
