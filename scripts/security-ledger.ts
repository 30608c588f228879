/**
 * The security ledger (docs/SECURITY.md) and the test files it names: parsing both, and
 * deciding whether every row points at a test that exists and actually runs.
 *
 * Test files are read with the TypeScript parser, not with regular expressions, so that a
 * title in a comment, a skipped describe around a test, or an `.only` elsewhere in the file
 * are seen for what they are.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import ts from 'typescript';

export interface LedgerRow {
  /** 1-based line of the row in the ledger file, for error messages. */
  line: number;
  id: string;
  claim: string;
  standard: string;
  file: string;
  /** `it title`, or `describe title > it title` where the it title alone is ambiguous. */
  test: string;
}

export interface TestCase {
  /** Titles of the enclosing describe blocks, outermost first, then the test's own title. */
  path: string[];
  /** Why this test would not run (or not count), or null when it runs. */
  notRunning: string | null;
}

const BEGIN = '<!-- ledger:begin -->';
const END = '<!-- ledger:end -->';
const REQUIRED_COLUMNS = ['id', 'claim', 'standard', 'test file', 'test name'] as const;
/** Separator between a describe title and an it title in the `test name` column. */
export const TITLE_SEPARATOR = ' > ';

function splitRow(line: string): string[] {
  const body = line.trim().replace(/^\|/, '').replace(/\|$/, '');
  // `\|` is a literal pipe inside a cell (Markdown's own escape).
  return body.split(/(?<!\\)\|/).map((cell) => cell.trim().replace(/\\\|/g, '|'));
}

/** Strips the Markdown code span a cell may be wrapped in (`` `test/x.test.ts` ``). */
function plain(cell: string): string {
  const match = /^`+(.*?)`+$/.exec(cell);
  return match ? match[1]!.trim() : cell;
}

/** Reads the table between the ledger markers. Throws when the table itself is malformed. */
export function parseLedger(markdown: string): LedgerRow[] {
  const lines = markdown.split('\n');
  const begin = lines.findIndex((l) => l.trim() === BEGIN);
  const end = lines.findIndex((l) => l.trim() === END);
  if (begin < 0 || end < begin) throw new Error(`no ledger table between ${BEGIN} and ${END}`);
  const table = lines
    .map((text, index) => ({ text, line: index + 1 }))
    .slice(begin + 1, end)
    .filter((l) => l.text.trim().startsWith('|'));
  if (table.length < 3) throw new Error('the ledger table has no rows');
  const header = splitRow(table[0]!.text).map((h) => h.toLowerCase());
  const columns = Object.fromEntries(REQUIRED_COLUMNS.map((name) => [name, header.indexOf(name)]));
  const missing = REQUIRED_COLUMNS.filter((name) => columns[name]! < 0);
  if (missing.length) throw new Error(`the ledger table lacks the column(s): ${missing.join(', ')}`);
  if (!/^\|?\s*:?-{3,}/.test(table[1]!.text.trim())) throw new Error('the ledger table has no separator row');
  return table.slice(2).map(({ text, line }) => {
    const cells = splitRow(text);
    if (cells.length !== header.length) {
      throw new Error(`ledger line ${line}: ${cells.length} cells, the header has ${header.length}`);
    }
    const cell = (name: (typeof REQUIRED_COLUMNS)[number]) => plain(cells[columns[name]!]!);
    return {
      line,
      id: cell('id'),
      claim: cell('claim'),
      standard: cell('standard'),
      file: cell('test file'),
      test: cell('test name'),
    };
  });
}

const TEST_FUNCTIONS = new Set(['it', 'test']);
const SUITE_FUNCTIONS = new Set(['describe', 'suite']);
/** Jasmine-style aliases vitest does not run as written (x = skipped, f = focused). */
const ALIASES: Record<string, { base: string; flag: string }> = {
  xit: { base: 'it', flag: 'skip' },
  xtest: { base: 'test', flag: 'skip' },
  xdescribe: { base: 'describe', flag: 'skip' },
  fit: { base: 'it', flag: 'only' },
  fdescribe: { base: 'describe', flag: 'only' },
};
/** Modifiers that mean the test does not run, runs only sometimes, or cannot fail usefully. */
const NOT_RUNNING: Record<string, string> = {
  skip: 'skipped (.skip)',
  todo: 'a todo (.todo)',
  skipIf: 'conditionally skipped (.skipIf)',
  runIf: 'conditionally run (.runIf)',
  fails: 'expected to fail (.fails): passing proves the claim false',
};

interface CallShape {
  kind: 'test' | 'suite';
  modifiers: string[];
}

/** `it`, `it.skip`, `it.each(table)`, `describe.skipIf(x).each(y)`, … as root kind and modifiers. */
function callShape(callee: ts.Expression): CallShape | null {
  const modifiers: string[] = [];
  let node: ts.Expression = callee;
  for (;;) {
    if (ts.isCallExpression(node)) node = node.expression;
    else if (ts.isPropertyAccessExpression(node)) {
      modifiers.unshift(node.name.text);
      node = node.expression;
    } else break;
  }
  if (!ts.isIdentifier(node)) return null;
  let root = node.text;
  const alias = ALIASES[root];
  if (alias) {
    root = alias.base;
    modifiers.unshift(alias.flag);
  }
  if (TEST_FUNCTIONS.has(root)) return { kind: 'test', modifiers };
  if (SUITE_FUNCTIONS.has(root)) return { kind: 'suite', modifiers };
  return null;
}

/** A literal title; `${…}` in a template becomes the `%s` placeholder. Null when not literal. */
function titleOf(node: ts.Expression | undefined): string | null {
  if (!node) return null;
  if (ts.isStringLiteral(node) || ts.isNoSubstitutionTemplateLiteral(node)) return node.text;
  if (ts.isTemplateExpression(node)) {
    return node.head.text + node.templateSpans.map((span) => `%s${span.literal.text}`).join('');
  }
  return null;
}

function isFunction(node: ts.Node): boolean {
  return ts.isArrowFunction(node) || ts.isFunctionExpression(node);
}

/** Control flow that makes a test's registration depend on a runtime condition. */
function isConditional(node: ts.Node): boolean {
  return (
    ts.isIfStatement(node) ||
    ts.isConditionalExpression(node) ||
    ts.isSwitchStatement(node) ||
    (ts.isBinaryExpression(node) &&
      [
        ts.SyntaxKind.AmpersandAmpersandToken,
        ts.SyntaxKind.BarBarToken,
        ts.SyntaxKind.QuestionQuestionToken,
      ].includes(node.operatorToken.kind))
  );
}

/** Every test case a vitest file declares, with its describe path and whether it runs. */
export function collectTests(source: string, fileName = 'test.ts'): TestCase[] {
  const file = ts.createSourceFile(fileName, source, ts.ScriptTarget.Latest, true, ts.ScriptKind.TS);
  const cases: TestCase[] = [];
  let focused = false;

  const visit = (node: ts.Node, suites: string[], inherited: string | null, conditional: boolean) => {
    if (ts.isCallExpression(node)) {
      const shape = callShape(node.expression);
      const title = shape ? titleOf(node.arguments[0]) : null;
      if (shape && title !== null) {
        if (shape.modifiers.includes('only')) focused = true;
        const own =
          shape.modifiers.map((m) => NOT_RUNNING[m]).find((r) => r !== undefined) ??
          (conditional ? 'registered only under a runtime condition' : null);
        if (shape.kind === 'test') {
          // it(title, fn), it(title, options, fn) or it(title, fn, timeout); no function is a todo.
          const hasBody = node.arguments.slice(1).some(isFunction);
          cases.push({
            path: [...suites, title],
            notRunning: inherited ?? own ?? (hasBody ? null : 'without a test function (a todo)'),
          });
          return;
        }
        const inside = inherited ?? (own ? `in a suite that is ${own}` : null);
        for (const argument of node.arguments.slice(1)) visit(argument, [...suites, title], inside, false);
        return;
      }
    }
    const nowConditional = conditional || isConditional(node);
    ts.forEachChild(node, (child) => visit(child, suites, inherited, nowConditional));
  };
  ts.forEachChild(file, (child) => visit(child, [], null, false));

  // .only anywhere in a file makes vitest skip every other test of that file.
  if (focused) {
    for (const testCase of cases) testCase.notRunning ??= 'in a file that uses .only (the rest is skipped)';
  }
  return cases;
}

/** A source title as a pattern: vitest's `%s`-style and `$name` placeholders match any text. */
function titlePattern(title: string): RegExp {
  const parts = title.split(/(%[sdifjoOc#]|\$[A-Za-z_][\w.]*)/);
  const source = parts
    .map((part, index) => (index % 2 ? '.+?' : part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')))
    .join('');
  return new RegExp(`^${source}$`, 's');
}

function titleMatches(sourceTitle: string, ledgerTitle: string): boolean {
  return sourceTitle === ledgerTitle || titlePattern(sourceTitle).test(ledgerTitle);
}

/**
 * The cases a ledger name designates: the last part is the test's own title; any parts before
 * it must match enclosing describe titles, in order.
 */
export function findTests(cases: TestCase[], name: string): TestCase[] {
  const parts = name.split(TITLE_SEPARATOR).map((p) => p.trim());
  const own = parts.pop()!;
  return cases.filter((testCase) => {
    const suites = testCase.path.slice(0, -1);
    if (!titleMatches(testCase.path.at(-1)!, own)) return false;
    let from = 0;
    for (const part of parts) {
      const at = suites.findIndex((suite, index) => index >= from && titleMatches(suite, part));
      if (at < 0) return false;
      from = at + 1;
    }
    return true;
  });
}

const TEST_FILE = /^test\/(?:[^/]+\/)*[^/]+\.test\.ts$/;

/** Every problem of the ledger against the test files under `root`; empty when it holds. */
export function checkLedger(rows: LedgerRow[], root: string): string[] {
  const problems: string[] = [];
  const parsed = new Map<string, TestCase[]>();
  const ids = new Set<string>();
  for (const row of rows) {
    const where = `ledger line ${row.line} (${row.id || 'no id'})`;
    if (!row.id) problems.push(`${where}: no id`);
    else if (ids.has(row.id)) problems.push(`${where}: id ${row.id} is used twice`);
    ids.add(row.id);
    if (!row.claim) problems.push(`${where}: no claim`);
    if (!row.standard) problems.push(`${where}: no standard`);
    if (!row.test) problems.push(`${where}: no test name`);
    if (!TEST_FILE.test(row.file)) {
      problems.push(`${where}: "${row.file}" is not a test file vitest runs (test/**/*.test.ts)`);
      continue;
    }
    const path = join(root, row.file);
    if (!existsSync(path)) {
      problems.push(`${where}: ${row.file} does not exist`);
      continue;
    }
    if (!parsed.has(row.file)) parsed.set(row.file, collectTests(readFileSync(path, 'utf8'), path));
    if (!row.test) continue;
    const found = findTests(parsed.get(row.file)!, row.test);
    if (found.length === 0) {
      problems.push(`${where}: no test "${row.test}" in ${row.file}`);
    } else if (found.length > 1) {
      problems.push(
        `${where}: "${row.test}" names ${found.length} tests in ${row.file}; prefix the describe title ("describe${TITLE_SEPARATOR}test")`,
      );
    } else if (found[0]!.notRunning) {
      problems.push(`${where}: "${row.test}" in ${row.file} is ${found[0]!.notRunning}`);
    }
  }
  return problems;
}
