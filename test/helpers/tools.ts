import { spawnSync } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import { delimiter, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * The programs some tests drive for real, besides PostgreSQL and Redis. `npm test` finds them, or
 * installs the missing ones through apt-get when it runs as root on Debian or Ubuntu (the suite's
 * global setup calls ensureTools); a test that still lacks one fails with a message naming the tool
 * and how to get it. Nothing is ever skipped.
 */
export const TOOLS = {
  chromium: { debianPackage: 'chromium', neededBy: 'test/e2e/pages.test.ts (the hosted pages in a browser)' },
  nginx: {
    debianPackage: 'nginx',
    neededBy: 'test/integration/scale-out.test.ts and deployment/validate.sh (nginx -t)',
  },
  promtool: {
    debianPackage: 'prometheus',
    neededBy: 'deployment/validate.sh (Prometheus rules and alert tests)',
  },
  'docker-compose': { debianPackage: 'docker-compose', neededBy: 'deployment/validate.sh (compose files)' },
  openssl: { debianPackage: 'openssl', neededBy: 'deployment/validate.sh (a throwaway TLS certificate)' },
} as const;

export type ToolName = keyof typeof TOOLS;

/** Where Debian puts them; /usr/sbin (nginx) is not on an ordinary user's PATH. */
const SYSTEM_DIRS = ['/usr/local/sbin', '/usr/local/bin', '/usr/sbin', '/usr/bin', '/sbin', '/bin'];

/**
 * Test-only switches, to try the install and failure paths without removing anything:
 * TEST_TOOLS_ASSUME_MISSING=nginx,chromium makes look-ups miss them until ensureTools has installed
 * them (apt-get then finds them installed and succeeds; the switch is cleared for the test workers);
 * with TEST_TOOLS_INSTALL=never as well, nothing is installed and the tests needing them fail with
 * the message a user without root would see.
 */
const ASSUME_MISSING = 'TEST_TOOLS_ASSUME_MISSING';

function assumedMissing(): Set<string> {
  return new Set((process.env[ASSUME_MISSING] ?? '').split(',').map((name) => name.trim()));
}

function executable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** The absolute path of the tool, or undefined. */
export function findTool(name: ToolName): string | undefined {
  if (assumedMissing().has(name)) return undefined;
  const dirs = [...(process.env.PATH ?? '').split(delimiter).filter(Boolean), ...SYSTEM_DIRS];
  return dirs.map((dir) => join(dir, name)).find(executable);
}

export function howToGet(name: ToolName): string {
  const { debianPackage, neededBy } = TOOLS[name];
  return (
    `${name} is not installed (needed by ${neededBy}). Install it with ` +
    `"sudo apt-get install ${debianPackage}" (Debian/Ubuntu package ${debianPackage}), ` +
    `or run "npm test" as root, which installs it through apt-get.`
  );
}

/** The tool's absolute path; throws (failing the test) with how to install it when it is missing. */
export function requireTool(name: ToolName): string {
  const path = findTool(name);
  if (!path) throw new Error(howToGet(name));
  return path;
}

function run(command: string, args: string[]): { ok: boolean; output: string } {
  const result = spawnSync(command, args, {
    encoding: 'utf8',
    env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
    timeout: 15 * 60_000,
  });
  return {
    ok: result.status === 0,
    output: `${result.stdout ?? ''}${result.stderr ?? ''}${result.error ?? ''}`,
  };
}

/** apt-get with a wait for the package lock: other jobs on the machine may be installing too. */
function aptGet(args: string[]): { ok: boolean; output: string } {
  let last = { ok: false, output: '' };
  for (let attempt = 0; attempt < 5; attempt += 1) {
    last = run('apt-get', ['-o', 'DPkg::Lock::Timeout=300', ...args]);
    if (last.ok || !/lock/i.test(last.output)) return last;
    spawnSync('sleep', ['10']);
  }
  return last;
}

export interface ToolsReport {
  installed: ToolName[];
  missing: ToolName[];
  problem?: string;
}

/**
 * Installs the missing tools when it can (root, apt-get present, not forbidden). Returns what is
 * still missing; it never throws, so the suites that need no tool still run.
 */
export function ensureTools(log: (line: string) => void = console.log): ToolsReport {
  const names = Object.keys(TOOLS) as ToolName[];
  const wanted = names.filter((name) => !findTool(name));
  if (wanted.length === 0) return { installed: [], missing: [] };
  const packages = [...new Set(wanted.map((name) => TOOLS[name].debianPackage))];
  let problem: string | undefined;
  if (process.env.TEST_TOOLS_INSTALL === 'never') problem = 'TEST_TOOLS_INSTALL=never';
  else if (process.getuid?.() !== 0) problem = 'not running as root';
  else if (!findAptGet()) problem = 'apt-get is not available';
  if (!problem) {
    log(
      `test tools: installing ${packages.join(' ')} with apt-get, minutes on a fresh machine (missing: ${wanted.join(', ')})`,
    );
    const update = aptGet(['update', '-qq']);
    const install = update.ok
      ? aptGet(['install', '-y', '-qq', ...packages])
      : { ok: false, output: update.output };
    if (!install.ok) problem = `apt-get failed:\n${install.output.trim().split('\n').slice(-15).join('\n')}`;
    // Installed for real: look them up for real from now on (test workers inherit process.env).
    else if (process.env[ASSUME_MISSING]) delete process.env[ASSUME_MISSING];
  }
  const missing = names.filter((name) => !findTool(name));
  const installed = wanted.filter((name) => !missing.includes(name));
  if (installed.length > 0) log(`test tools: installed ${installed.join(', ')}`);
  if (missing.length > 0) {
    log(`test tools: could not install ${missing.join(', ')} (${problem ?? 'not found after apt-get'})`);
    for (const name of missing) log(`  ${howToGet(name)}`);
  }
  return { installed, missing, ...(problem ? { problem } : {}) };
}

function findAptGet(): string | undefined {
  return SYSTEM_DIRS.map((dir) => join(dir, 'apt-get')).find(executable);
}

// `npm run test:tools` (and .ci/run): install what is missing, exit 1 when something still is.
if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const report = ensureTools();
  if (report.missing.length === 0) console.log(`test tools: ${Object.keys(TOOLS).join(', ')} present`);
  process.exit(report.missing.length === 0 ? 0 : 1);
}
