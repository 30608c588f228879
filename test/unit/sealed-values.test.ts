import type { EntityManager } from '@mikro-orm/core';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { GRACE_SEAL_PURPOSE } from '../../src/auth/refresh-rotation.js';
import { TOTP_SEAL_PURPOSE } from '../../src/auth/second-factor.service.js';
import { JOB_PURPOSE, MESSAGE_PURPOSE } from '../../src/mail/mail-outbox.js';
import { SecretBox } from '../../src/security/crypto.js';
import type { Opened } from '../../src/security/crypto.js';
import { SEALED_COLUMNS, scanSealedValues, unopenableSummary } from '../../src/security/sealed-values.js';
import type { ColumnScan } from '../../src/security/sealed-values.js';
import { SIGNING_KEY_SEAL_PURPOSE } from '../../src/security/signing-keys.js';
import { SigningKey, User } from '../../src/storage/entities/index.js';
import { SECRET_PURPOSE as WEBHOOK_SECRET_PURPOSE } from '../../src/webhooks/webhook-dispatcher.js';
import { PAYLOAD_PURPOSE as WEBHOOK_PAYLOAD_PURPOSE } from '../../src/webhooks/webhook-outbox.js';
import { STACK_SECRET, insertUser, openSecurityStack } from '../helpers/security-stack.js';
import type { SecurityStack } from '../helpers/security-stack.js';

/**
 * The scan of sealed columns (src/security/sealed-values.ts) behind the start-up check, readiness
 * and `npm run reseal`, on a real database: which secret opens each value, re-sealing under the
 * current secret as a compare-and-swap, batching and the per-column limit. Fast enough for Stryker.
 */
const NEW_SECRET = 'the-new-auth-secret-of-at-least-32-characters';
const oldBox = new SecretBox(STACK_SECRET);
const newBox = new SecretBox(NEW_SECRET);
/** The box of a rotation under way: AUTH_SECRET is the new secret, AUTH_SECRET_PREVIOUS the old. */
const rotating = new SecretBox(NEW_SECRET, STACK_SECRET);
const SIGNING = SEALED_COLUMNS[0]!;
const TOTP = SEALED_COLUMNS[1]!;

let stack: SecurityStack;
let n = 0;
beforeAll(async () => {
  stack = await openSecurityStack('sqlite');
});
afterAll(async () => {
  await stack?.close();
});
beforeEach(async () => {
  await stack.orm.em.fork().nativeDelete(SigningKey, {});
});
const em = () => stack.orm.em.fork();

/** Signing-key rows whose kids sort in the order given, with the sealed values given. */
async function keyRows(values: string[]): Promise<string[]> {
  const kids = values.map((_, i) => `kid-${String(i).padStart(4, '0')}`);
  await em().insertMany(
    SigningKey,
    values.map((sealed, i) => ({
      kid: kids[i]!,
      algorithm: 'EdDSA',
      publicJwk: '{}',
      privateKeyEncrypted: sealed,
      createdAt: new Date(),
      retiredAt: null,
    })),
  );
  return kids;
}
const stored = async (kid: string) => (await em().findOneOrFail(SigningKey, { kid })).privateKeyEncrypted;
const counts = (scan: ColumnScan) => ({
  checked: scan.checked,
  unopenable: scan.unopenable,
  underPrevious: scan.underPrevious,
  resealed: scan.resealed,
});

describe('sealed values', () => {
  it('lists every sealed column with its key, property and sealing purpose', () => {
    expect(SEALED_COLUMNS.map((c) => [c.label, c.entity, c.key, c.property, c.purpose])).toEqual([
      ['signing keys', SigningKey, 'kid', 'privateKeyEncrypted', SIGNING_KEY_SEAL_PURPOSE],
      ['TOTP secrets', User, 'id', 'totpSecretEncrypted', TOTP_SEAL_PURPOSE],
      ['pending TOTP enrollments', User, 'id', 'totpPendingSecretEncrypted', TOTP_SEAL_PURPOSE],
      ['refresh grace pairs', expect.anything(), 'id', 'gracePairEncrypted', GRACE_SEAL_PURPOSE],
      ['waiting mail jobs', expect.anything(), 'id', 'payload', JOB_PURPOSE],
      ['waiting mail messages', expect.anything(), 'id', 'message', MESSAGE_PURPOSE],
      ['webhook signing secrets', expect.anything(), 'id', 'secret', WEBHOOK_SECRET_PURPOSE],
      ['previous webhook signing secrets', expect.anything(), 'id', 'previousSecret', WEBHOOK_SECRET_PURPOSE],
      ['webhook payloads', expect.anything(), 'id', 'payload', WEBHOOK_PAYLOAD_PURPOSE],
    ]);
  });

  it('counts which secret opens each value, and changes nothing without reseal', async () => {
    const values = [
      newBox.seal(SIGNING.purpose, 'current-1'),
      oldBox.seal(SIGNING.purpose, 'previous-1'),
      'v1.not.a.value',
      newBox.seal(SIGNING.purpose, 'current-2'),
      newBox.seal(TOTP.purpose, 'another purpose'),
      oldBox.seal(SIGNING.purpose, 'previous-2'),
    ];
    const kids = await keyRows(values);
    const [scan] = await scanSealedValues(em, rotating, { columns: [SIGNING] });
    expect(scan!.column).toBe(SIGNING);
    expect(counts(scan!)).toEqual({ checked: 6, unopenable: 2, underPrevious: 2, resealed: 0 });
    for (const [i, kid] of kids.entries()) expect(await stored(kid)).toBe(values[i]);
    // Without AUTH_SECRET_PREVIOUS, the old values are unopenable too.
    const [alone] = await scanSealedValues(em, newBox, { columns: [SIGNING] });
    expect(counts(alone!)).toEqual({ checked: 6, unopenable: 4, underPrevious: 0, resealed: 0 });
  });

  it('re-seals what only the previous secret opens under the current one, and leaves the rest as it was', async () => {
    const values = [
      oldBox.seal(SIGNING.purpose, 'previous-1'),
      newBox.seal(SIGNING.purpose, 'current-1'),
      'v1.not.a.value',
      oldBox.seal(SIGNING.purpose, 'previous-2'),
    ];
    const kids = await keyRows(values);
    const [scan] = await scanSealedValues(em, rotating, { columns: [SIGNING], reseal: true });
    expect(counts(scan!)).toEqual({ checked: 4, unopenable: 1, underPrevious: 2, resealed: 2 });
    // The new secret alone opens them now, to the same plain text.
    expect(newBox.open(SIGNING.purpose, await stored(kids[0]!))).toBe('previous-1');
    expect(newBox.open(SIGNING.purpose, await stored(kids[3]!))).toBe('previous-2');
    expect(await stored(kids[1]!)).toBe(values[1]);
    expect(await stored(kids[2]!)).toBe(values[2]);
    const [again] = await scanSealedValues(em, rotating, { columns: [SIGNING], reseal: true });
    expect(counts(again!)).toEqual({ checked: 4, unopenable: 1, underPrevious: 0, resealed: 0 });
  });

  it('leaves a row that a running replica changed during the scan to that replica', async () => {
    const kids = await keyRows([
      oldBox.seal(SIGNING.purpose, 'old-1'),
      oldBox.seal(SIGNING.purpose, 'old-2'),
    ]);
    const replicas = newBox.seal(SIGNING.purpose, 'the replica’s value');
    let managers = 0;
    let raced = false;
    // The scan reads a batch with one EntityManager and writes with the next: before its first
    // write, a running replica re-seals the first row itself.
    const racing = (): EntityManager => {
      const manager = em();
      if (++managers !== 2) return manager;
      return new Proxy(manager, {
        get(target, property) {
          if (property !== 'nativeUpdate') return Reflect.get(target, property, target) as unknown;
          return async (...args: Parameters<EntityManager['nativeUpdate']>) => {
            if (!raced) {
              raced = true;
              await em().nativeUpdate(SigningKey, { kid: kids[0]! }, { privateKeyEncrypted: replicas });
            }
            return target.nativeUpdate(...args);
          };
        },
      });
    };
    const [scan] = await scanSealedValues(racing, rotating, { columns: [SIGNING], reseal: true });
    expect(raced).toBe(true);
    expect(counts(scan!)).toEqual({ checked: 2, unopenable: 0, underPrevious: 2, resealed: 1 });
    expect(await stored(kids[0]!)).toBe(replicas);
    expect(newBox.open(SIGNING.purpose, await stored(kids[1]!))).toBe('old-2');
  });

  it('reads in batches of 500 in key order until every row is checked, or the per-column limit', async () => {
    const values = Array.from({ length: 1001 }, (_, i) =>
      (i % 3 === 0 ? oldBox : newBox).seal(SIGNING.purpose, `value-${i}`),
    );
    await keyRows(values);
    const [all] = await scanSealedValues(em, rotating, { columns: [SIGNING] });
    expect(counts(all!)).toEqual({ checked: 1001, unopenable: 0, underPrevious: 334, resealed: 0 });
    const [exactly] = await scanSealedValues(em, rotating, { columns: [SIGNING], limitPerColumn: 1000 });
    expect(counts(exactly!)).toEqual({ checked: 1000, unopenable: 0, underPrevious: 334, resealed: 0 });
    const [some] = await scanSealedValues(em, rotating, { columns: [SIGNING], limitPerColumn: 502 });
    expect(counts(some!)).toEqual({ checked: 502, unopenable: 0, underPrevious: 168, resealed: 0 });
    const [few] = await scanSealedValues(em, rotating, { columns: [SIGNING], limitPerColumn: 4 });
    // Rows 0 and 3 of the first four, in kid order, are under the previous secret.
    expect(counts(few!)).toEqual({ checked: 4, unopenable: 0, underPrevious: 2, resealed: 0 });
    const [resealed] = await scanSealedValues(em, rotating, {
      columns: [SIGNING],
      reseal: true,
      limitPerColumn: 501,
    });
    expect(resealed!.resealed).toBe(167);
    const [after] = await scanSealedValues(em, rotating, { columns: [SIGNING] });
    expect(after!.underPrevious).toBe(334 - 167);
  });

  it('skips empty columns, scans every listed column by default, and names the columns with unopenable values', async () => {
    const sealed = await insertUser(stack.orm, `sealed-${++n}@example.com`);
    await insertUser(stack.orm, `plain-${++n}@example.com`);
    await em().nativeUpdate(User, { id: sealed.id }, { totpSecretEncrypted: 'v1.not.a.value' });
    await keyRows(['garbage-1', 'garbage-2', newBox.seal(SIGNING.purpose, 'fine')]);
    const scans = await scanSealedValues(em, newBox);
    expect(scans.map((s) => s.column)).toEqual([...SEALED_COLUMNS]);
    expect(counts(scans[1]!)).toEqual({ checked: 1, unopenable: 1, underPrevious: 0, resealed: 0 });
    expect(scans.slice(2).every((s) => s.checked === 0)).toBe(true);
    expect(unopenableSummary(scans)).toEqual(['signing keys (2)', 'TOTP secrets (1)']);
    expect(unopenableSummary(await scanSealedValues(em, newBox, { columns: [TOTP] }))).toEqual([
      'TOTP secrets (1)',
    ]);
  });

  it('lets an error other than an unopenable value through', async () => {
    await keyRows([newBox.seal(SIGNING.purpose, 'fine')]);
    const broken = new Error('the cipher is broken');
    class FailingBox extends SecretBox {
      override openDetailed(): Opened {
        throw broken;
      }
    }
    await expect(scanSealedValues(em, new FailingBox(NEW_SECRET), { columns: [SIGNING] })).rejects.toBe(
      broken,
    );
  });
});
