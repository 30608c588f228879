/**
 * The floor for `me` (issue 24): the least a GraphQL server on this stack must do to answer
 * `query { me { id email } }` with instant revocation. Apollo Server 5 on Express 5, the access
 * token verified with jose (EdDSA, algorithm, issuer and audience pinned), and ONE Redis GET that
 * both says the session is live and holds the profile. No Plinto code, no database, no logging,
 * no metrics, no rate limits, no security headers: a lower bound, not a product.
 *
 * `npm run bench` starts it next to the Plinto server and runs the same load against both. Plain
 * JavaScript on purpose: it runs on the same `node` as the built Plinto server, nothing compiled.
 *
 * Environment: PORT, HOST (default 127.0.0.1), REDIS_URL, REDIS_KEY_PREFIX. On start it makes a
 * key pair, a user and a session (in Redis), then prints one JSON line: {"port":…,"token":"…"}.
 */
/* global process, console */
import { randomUUID } from 'node:crypto';
import { createServer } from 'node:http';
import { ApolloServer } from '@apollo/server';
import { expressMiddleware } from '@as-integrations/express5';
import express from 'express';
import { Redis } from 'ioredis';
import { SignJWT, exportJWK, generateKeyPair, importJWK, jwtVerify } from 'jose';

const ISSUER = 'http://floor.bench';
const AUDIENCE = 'floor';
const prefix = process.env.REDIS_KEY_PREFIX ?? 'plinto-floor:';
const redis = new Redis(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379', { enableOfflineQueue: true });

const { publicKey, privateKey } = await generateKeyPair('EdDSA', { crv: 'Ed25519', extractable: true });
// Verified with a key imported from its JWK, as a server verifying its own published keys would.
const verificationKey = await importJWK(await exportJWK(publicKey), 'EdDSA');

const user = { id: randomUUID(), email: 'floor@example.com' };
const sessionId = randomUUID();
await redis.set(`${prefix}session:${sessionId}`, JSON.stringify(user), 'EX', 3600);
const token = await new SignJWT({ sid: sessionId })
  .setProtectedHeader({ alg: 'EdDSA', typ: 'at+jwt' })
  .setSubject(user.id)
  .setIssuer(ISSUER)
  .setAudience(AUDIENCE)
  .setIssuedAt()
  .setExpirationTime('1h')
  .sign(privateKey);

/** The caller's profile, or null: no token, a bad token, or a session not live in Redis. */
async function authenticate(header) {
  if (!header?.startsWith('Bearer ')) return null;
  try {
    const { payload } = await jwtVerify(header.slice(7), verificationKey, {
      algorithms: ['EdDSA'],
      typ: 'at+jwt',
      issuer: ISSUER,
      audience: AUDIENCE,
    });
    if (typeof payload.sid !== 'string') return null;
    const cached = await redis.get(`${prefix}session:${payload.sid}`);
    return cached ? JSON.parse(cached) : null;
  } catch {
    return null;
  }
}

const apollo = new ApolloServer({
  typeDefs: `type User { id: ID! email: String! }
    type Query { me: User }`,
  resolvers: { Query: { me: (_parent, _args, context) => context.user } },
  introspection: false,
});
await apollo.start();

const app = express();
app.disable('x-powered-by');
app.set('etag', false);
app.use(
  '/graphql',
  express.json({ limit: '100kb' }),
  expressMiddleware(apollo, {
    context: async ({ req }) => ({ user: await authenticate(req.get('authorization')) }),
  }),
);
const server = createServer(app);
server.keepAliveTimeout = 5_000;
server.listen(Number(process.env.PORT ?? 0), process.env.HOST ?? '127.0.0.1', () => {
  console.log(JSON.stringify({ port: server.address().port, token }));
});

const stop = () => {
  server.close();
  server.closeAllConnections();
  void redis
    .del(`${prefix}session:${sessionId}`)
    .finally(() => redis.disconnect())
    .finally(() => process.exit(0));
};
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
