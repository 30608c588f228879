import { bearer, ME, REFRESH, SIGN_IN } from '../helpers/graphql.js';
import type { GraphQLResponse } from '../helpers/graphql.js';
import { gqlFrom } from '../helpers/local-address.js';

/** What one answer was: the union member, the error code, or the HTTP status when it was neither. */
export function outcome(response: GraphQLResponse, field: string): string {
  if (response.status >= 500) return `HTTP ${response.status}`;
  const code = response.body.errors?.[0]?.extensions?.code;
  if (code) return String(code);
  const data = response.body.data?.[field] as { __typename?: string; id?: string } | undefined;
  return data?.__typename ?? (data?.id ? 'User' : `HTTP ${response.status}`);
}

export interface TrafficLog {
  /** Every answer, in order, with the time it arrived. */
  answers: Array<{ at: number; operation: string; outcome: string }>;
  stop(): Promise<void>;
}

/**
 * Steady sign-in → refresh → me traffic for one account, spread over the given servers, one
 * request at a time, each sign-in from its own loopback address (the per-IP limit never refuses it).
 * Bounded: it ends at `stop()` or after `maxRounds`.
 */
export function steadyTraffic(
  urls: string[],
  account: { email: string; password: string },
  addressBlock: number,
  maxRounds = 500,
): TrafficLog {
  const answers: TrafficLog['answers'] = [];
  let stopped = false;
  const record = (operation: string, response: GraphQLResponse, field: string) => {
    const result = outcome(response, field);
    answers.push({ at: Date.now(), operation, outcome: result });
    return result;
  };
  const done = (async () => {
    for (let round = 0; round < maxRounds && !stopped; round += 1) {
      // A request that fails below HTTP (reset, refused) is an answer too: recorded, and fails the test.
      try {
        await oneRound(round);
      } catch (error) {
        answers.push({ at: Date.now(), operation: 'any', outcome: `network: ${(error as Error).message}` });
      }
    }
  })();
  async function oneRound(round: number): Promise<void> {
    const url = urls[round % urls.length]!;
    const other = urls[(round + 1) % urls.length]!;
    const ip = `127.${addressBlock}.${Math.floor(round / 250)}.${(round % 250) + 1}`;
    const signIn = await gqlFrom(url, ip, SIGN_IN, account);
    if (record('signIn', signIn, 'signIn') !== 'SignInSuccess') return;
    const tokens = signIn.body.data!.signIn.tokens;
    const refresh = await gqlFrom(other, ip, REFRESH, { refreshToken: tokens.refreshToken });
    if (record('refresh', refresh, 'refreshSession') !== 'SignInSuccess') return;
    const accessToken = refresh.body.data!.refreshSession.tokens.accessToken as string;
    record('me', await gqlFrom(url, ip, ME, {}, bearer(accessToken)), 'me');
  }
  return {
    answers,
    stop: async () => {
      stopped = true;
      await done;
    },
  };
}
