import { afterEach, describe, expect, it } from 'vitest';
import { ensureTools, requireTool, TOOLS } from '../helpers/tools.js';

const saved = { ...process.env };
afterEach(() => {
  for (const key of ['TEST_TOOLS_ASSUME_MISSING', 'TEST_TOOLS_INSTALL']) {
    if (saved[key] === undefined) delete process.env[key];
    else process.env[key] = saved[key];
  }
});

describe('the programs the tests drive (tools.ts)', () => {
  it('finds each one the global setup installed, as an absolute path', () => {
    for (const name of Object.keys(TOOLS) as (keyof typeof TOOLS)[]) {
      expect(requireTool(name)).toMatch(new RegExp(`^/.*/${name}$`));
    }
  });

  it('a missing one fails the test, naming the tool and the package that installs it', () => {
    process.env.TEST_TOOLS_ASSUME_MISSING = 'promtool,chromium';
    expect(() => requireTool('promtool')).toThrow(
      /^promtool is not installed \(needed by deployment\/validate\.sh.*\)\. Install it with "sudo apt-get install prometheus"/,
    );
    expect(() => requireTool('chromium')).toThrow(/test\/e2e\/pages\.test\.ts.*apt-get install chromium/);
    expect(requireTool('nginx')).toMatch(/\/nginx$/);
  });

  it('when it may not install, it reports what is missing and why instead of throwing', () => {
    process.env.TEST_TOOLS_ASSUME_MISSING = 'docker-compose';
    process.env.TEST_TOOLS_INSTALL = 'never';
    const lines: string[] = [];
    const report = ensureTools((line) => lines.push(line));
    expect(report).toEqual({
      installed: [],
      missing: ['docker-compose'],
      problem: 'TEST_TOOLS_INSTALL=never',
    });
    expect(lines.join('\n')).toContain('"sudo apt-get install docker-compose"');
  });
});
