import type { ApolloServerPlugin, GraphQLRequestListener } from '@apollo/server';
import type { Context } from '../context.js';
import type { Metrics } from './metrics.js';
import { requestContextOf } from './request-context.js';

const OPERATION_NAME = /^[A-Za-z_][A-Za-z0-9_]{0,63}$/;
/** Clients choose operation names: past this many distinct ones, new names count as `other`. */
const MAX_OPERATION_NAMES = 200;

/**
 * Counts GraphQL operations by operation name, type and outcome: `success` (no top-level error;
 * a result-union error such as InvalidCredentials is data), `error`, or `invalid` (the document
 * did not parse or validate).
 */
export function graphqlMetricsPlugin(metrics: Metrics): ApolloServerPlugin<Context> {
  const seenNames = new Set<string>();
  const label = (name: string | null | undefined): string => {
    if (!name) return 'anonymous';
    // A name already counted passed the pattern when it was first seen: no regex per request.
    if (seenNames.has(name)) return name;
    if (!OPERATION_NAME.test(name)) return 'other';
    if (seenNames.size >= MAX_OPERATION_NAMES) return 'other';
    seenNames.add(name);
    return name;
  };
  /** One counter series per (name, type, outcome), looked up once (bounded by the names above). */
  const series = new Map<string, { inc(): void }>();
  const count = (operation: string, type: string, outcome: string) => {
    const key = `${operation} ${type} ${outcome}`;
    let found = series.get(key);
    if (!found) {
      found = metrics.graphqlOperations.labels({ operation, type, outcome });
      series.set(key, found);
    }
    found.inc();
  };
  // One listener for every request: it keeps no per-request state (the request's context is its
  // argument), so no object or closure is made per request (issue 24, profile).
  const listener: GraphQLRequestListener<Context> = {
    async willSendResponse(context) {
      const operation = context.operation;
      const name = operation ? label(context.operationName ?? operation.name?.value) : 'invalid';
      const outcome = !operation ? 'invalid' : context.errors?.length ? 'error' : 'success';
      count(name, operation?.operation ?? 'unknown', outcome);
      const current = requestContextOf(context.contextValue.req);
      if (current) current.graphqlOperation = name;
    },
  };
  return {
    async requestDidStart() {
      return listener;
    },
  };
}
