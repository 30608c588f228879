import { spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { checkLedger, collectTests, findTests, parseLedger } from '../../scripts/security-ledger.js';
import type { LedgerRow } from '../../scripts/security-ledger.js';

const REPO = resolve(import.meta.dirname, '../..');
const LEDGER = readFileSync(join(REPO, 'docs/SECURITY.md'), 'utf8');
const temporary: string[] = [];

function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'plinto-ledger-'));
  temporary.push(dir);
  return dir;
}

/** Runs the real checker the way `npm run check:ledger` does. */
function runChecker(root: string): { status: number | null; output: string } {
  const result = spawnSync(
    process.execPath,
    ['--import', 'tsx', join(REPO, 'scripts/check-security-ledger.ts'), '--root', root],
    { cwd: REPO, encoding: 'utf8' },
  );
  return { status: result.status, output: `${result.stdout}${result.stderr}` };
}

/** A copy of the ledger and of every test file, to be broken on purpose. */
function copyOfRepository(): string {
  const root = tempDir();
  mkdirSync(join(root, 'docs'));
  writeFileSync(join(root, 'docs/SECURITY.md'), LEDGER);
  cpSync(join(REPO, 'test'), join(root, 'test'), { recursive: true });
  return root;
}

function row(file: string, test: string): LedgerRow {
  return { line: 1, id: 'X-1', claim: 'a claim', standard: 'ASVS', file, test };
}

afterAll(() => {
  for (const dir of temporary) rmSync(dir, { recursive: true, force: true });
});

const call = (object: string, modifier: string) => `${object}.${modifier}`;
const X_IT = ['x', 'it'].join('');

describe('the security ledger check', () => {
  it('passes on the real ledger, whose every row names a test', () => {
    const rows = parseLedger(LEDGER);
    expect(rows.length).toBeGreaterThan(100);
    expect(checkLedger(rows, REPO)).toEqual([]);
    const { status, output } = runChecker(REPO);
    expect(output).toMatch(new RegExp(`security ledger: ${rows.length} claims`));
    expect(status).toBe(0);
  });

  it('fails when a test named in the ledger is renamed', () => {
    const root = copyOfRepository();
    const file = join(root, 'test/integration/flows.test.ts');
    const title =
      'accepts a 73-byte password under bcrypt by pre-hashing it, never truncated; 72 bytes stay plain bcrypt';
    const source = readFileSync(file, 'utf8');
    expect(source).toContain(`'${title}'`);
    writeFileSync(file, source.replace(`'${title}'`, `'refuses long passwords'`));

    const { status, output } = runChecker(root);
    expect(status).toBe(1);
    expect(output).toContain(`(PW-6): no test "${title}" in test/integration/flows.test.ts`);
  });

  it('fails when the ledger names a test that does not exist, or a missing file', () => {
    const root = copyOfRepository();
    const broken = LEDGER.replace(
      '| test/integration/tokens.test.ts | stores signing keys only sealed |',
      '| test/integration/tokens.test.ts | stores signing keys in clear |',
    ).replace(
      '| test/integration/audit.test.ts | is append-only',
      '| test/integration/gone.test.ts | is append-only',
    );
    expect(broken).not.toBe(LEDGER);
    writeFileSync(join(root, 'docs/SECURITY.md'), broken);

    const { status, output } = runChecker(root);
    expect(status).toBe(1);
    expect(output).toContain('(SR-2): no test "stores signing keys in clear"');
    expect(output).toContain('(AU-4): test/integration/gone.test.ts does not exist');
  });

  // The fixtures below are source text for the checker, not tests of this suite: they are spelled
  // through call()/X_IT so that repository-wide greps for skipped tests do not mistake them.
  it.each([
    [call('it', 'skip'), `${call('it', 'skip')}('the claim', () => {});`, 'skipped (.skip)'],
    [X_IT, `${X_IT}('the claim', () => {});`, 'skipped (.skip)'],
    [call('it', 'todo'), `${call('it', 'todo')}('the claim');`, 'a todo (.todo)'],
    ['no function', `it('the claim');`, 'without a test function'],
    ['it.skipIf', `it.skipIf(process.env.CI)('the claim', () => {});`, '.skipIf'],
    ['it.runIf', `it.runIf(process.env.CI)('the claim', () => {});`, '.runIf'],
    ['it.fails', `it.fails('the claim', () => {});`, '.fails'],
    ['an if around it', `if (process.env.CI) { it('the claim', () => {}); }`, 'runtime condition'],
    [
      call('describe', 'skip'),
      `${call('describe', 'skip')}('suite', () => { it('the claim', () => {}); });`,
      'in a suite that is skipped',
    ],
    [
      'describe.skipIf.each',
      `describe.skipIf(true).each(['a'])('suite %s', () => { it('the claim', () => {}); });`,
      'in a suite that is conditionally skipped',
    ],
    [
      '.only elsewhere',
      `it('the claim', () => {}); ${call('it', 'only')}('another', () => {});`,
      'uses .only',
    ],
    [call('it', 'only'), `${call('it', 'only')}('the claim', () => {});`, 'uses .only'],
  ])('fails when the named test is %s', (_case, source, reason) => {
    const root = tempDir();
    mkdirSync(join(root, 'test'));
    writeFileSync(join(root, 'test/claim.test.ts'), `import { describe, it } from 'vitest';\n${source}\n`);
    const problems = checkLedger([row('test/claim.test.ts', 'the claim')], root);
    expect(problems).toHaveLength(1);
    expect(problems[0]).toContain(reason);
  });

  it('matches describe.each and it.each titles by their placeholders, and wants a describe title when ambiguous', () => {
    const cases = collectTests(`
      describe.each(['postgresql', 'sqlite'])('flows (%s)', (backend) => {
        it.each([['a', 1]])('answers %s with %d', () => {});
        it('signs in', async () => {});
      });
      describe('other', () => { it('signs in', { timeout: 5 }, async () => {}); });
      // it('a title in a comment', () => {});
    `);
    expect(cases.map((c) => [c.path.join(' > '), c.notRunning])).toEqual([
      ['flows (%s) > answers %s with %d', null],
      ['flows (%s) > signs in', null],
      ['other > signs in', null],
    ]);
    expect(findTests(cases, 'answers signUp with 3')).toHaveLength(1);
    expect(findTests(cases, 'answers %s with %d')).toHaveLength(1);
    expect(findTests(cases, 'a title in a comment')).toHaveLength(0);
    expect(findTests(cases, 'signs in')).toHaveLength(2);
    expect(findTests(cases, 'flows (sqlite) > signs in')).toHaveLength(1);
    expect(findTests(cases, 'other > signs in')).toHaveLength(1);
    const problems = checkLedger(
      [row('test/unit/security-ledger.test.ts', 'fails when the named test is %s')],
      REPO,
    );
    expect(problems).toEqual([]);
  });

  it('refuses a ledger without its table, columns or test files vitest runs', () => {
    expect(() => parseLedger('# no table')).toThrow(/no ledger table/);
    expect(() =>
      parseLedger('<!-- ledger:begin -->\n| id | claim |\n| --- | --- |\n| A | b |\n<!-- ledger:end -->'),
    ).toThrow(/lacks the column\(s\): standard, test file, test name/);
    expect(checkLedger([row('src/app.ts', 'anything')], REPO)[0]).toMatch(/not a test file vitest runs/);
  });
});
