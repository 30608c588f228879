import { request } from 'node:http';
import type { GraphQLResponse } from './graphql.js';

/**
 * POSTs a GraphQL document from a chosen loopback source address (127.0.0.2, 127.0.0.3, …): a real
 * second client IP, without any proxy header, since Linux routes all of 127/8 to the loopback.
 */
export function gqlFrom<T = Record<string, any>>(
  url: string,
  localAddress: string,
  query: string,
  variables: Record<string, unknown> = {},
  headers: Record<string, string> = {},
): Promise<GraphQLResponse<T>> {
  const body = JSON.stringify({ query, variables });
  const target = new URL('/graphql', url);
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: target.hostname,
        port: target.port,
        path: target.pathname,
        method: 'POST',
        localAddress,
        headers: {
          'content-type': 'application/json',
          'content-length': Buffer.byteLength(body),
          ...headers,
        },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          const responseHeaders = new Headers();
          for (const [name, value] of Object.entries(res.headers)) {
            if (typeof value === 'string') responseHeaders.set(name, value);
            // Set-Cookie comes as an array: every cookie is kept.
            else if (Array.isArray(value)) for (const item of value) responseHeaders.append(name, item);
          }
          let parsed: GraphQLResponse<T>['body'] = {};
          try {
            parsed = JSON.parse(text) as GraphQLResponse<T>['body'];
          } catch {
            // not JSON: the caller asserts on status and text
          }
          resolve({ status: res.statusCode ?? 0, headers: responseHeaders, text, body: parsed });
        });
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}
