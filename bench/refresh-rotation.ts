/**
 * The refresh rotation alone on PostgreSQL, without HTTP or GraphQL: SessionService.refresh on
 * CHAINS concurrent sessions (each presents its latest refresh token), N refreshes after 500 of
 * warm-up. Prints the statements per refresh (at the `pg` driver), the JS CPU per refresh of
 * this process and the CPU per refresh of the PostgreSQL backends serving its connections (from
 * /proc: run it on the database's machine). `npx tsx bench/refresh-rotation.ts`; CHAINS=16 N=3000.
 */
import { readFileSync } from 'node:fs';
import { MemoryLivenessCache } from '../src/auth/liveness-cache.js';
import { SessionService } from '../src/auth/session.service.js';
import { recordDriverQueries } from '../test/helpers/driver-queries.js';
import { insertUser, openSecurityStack } from '../test/helpers/security-stack.js';

const CHAINS = Number(process.env.CHAINS ?? 16);
const N = Number(process.env.N ?? 3000);

const stack = await openSecurityStack('postgresql');
const sessions = new SessionService(stack.accessTokens, new MemoryLivenessCache(), stack.box, stack.events, {
  refreshTokenTtlSeconds: 3600,
  refreshGraceSeconds: 2,
  accessTokenTtlSeconds: 900,
  livenessCacheSeconds: 30,
  sessionMaxLifetimeSeconds: 30 * 86_400,
  mfaSessionMaxLifetimeSeconds: 43_200,
  mfaSessionIdleTimeoutSeconds: 1800,
});
const client = { ip: '203.0.113.7', userAgent: 'bench/1.0' };
const tokens: string[] = [];
for (let i = 0; i < CHAINS; i += 1) {
  const user = await insertUser(stack.orm, `rotation-bench-${i}@example.com`);
  tokens.push((await sessions.create(stack.orm.em.fork(), user, ['pwd'], client)).tokens.refreshToken);
}

async function run(count: number): Promise<void> {
  let started = 0;
  await Promise.all(
    tokens.map(async (_, i) => {
      while (started < count) {
        started += 1;
        const outcome = await sessions.refresh(stack.orm.em.fork(), tokens[i]!, client);
        if (outcome.kind !== 'success') throw new Error('a refresh failed');
        tokens[i] = outcome.signedIn.tokens.refreshToken;
      }
    }),
  );
}

/** User + system CPU ticks (1/100 s) of these processes so far. */
function ticks(pids: number[]): number {
  return pids.reduce((sum, pid) => {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
    return sum + Number(fields[11]) + Number(fields[12]);
  }, 0);
}

await run(500);
const backends = (
  await stack.orm.em
    .getConnection()
    .execute<Array<{ pid: number }>>('select pid from pg_stat_activity where datname = current_database()')
).map((r: { pid: number }) => r.pid);
// Counted at the driver: the rotation goes to `pg` directly (src/storage/pooled-query.ts).
const driver = recordDriverQueries();
const pg0 = ticks(backends);
const cpu0 = process.cpuUsage();
const t0 = performance.now();
await run(N);
const seconds = (performance.now() - t0) / 1000;
const cpu = process.cpuUsage(cpu0);
console.log({
  refreshes: N,
  chains: CHAINS,
  statementsPerRefresh: driver.texts.length / N,
  refreshesPerSecond: Math.round(N / seconds),
  jsCpuMicrosPerRefresh: Math.round((cpu.user + cpu.system) / N),
  postgresCpuMicrosPerRefresh: Math.round(((ticks(backends) - pg0) * 10_000) / N),
  load: readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' '),
});
await stack.close();
