import { spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { requireTool } from '../helpers/tools.js';

/** Runs deployment/validate.sh: promtool, nginx -t, docker-compose config and the Kubernetes schemas. */
function validate(script: string): { status: number | null; output: string } {
  // A missing tool fails the test naming the tool and how to install it (never a skip).
  for (const tool of ['promtool', 'nginx', 'openssl', 'docker-compose'] as const) requireTool(tool);
  const result = spawnSync('bash', [script], { encoding: 'utf8', timeout: 120_000 });
  return { status: result.status, output: `${result.stdout}\n${result.stderr}` };
}

describe('deployment files pass their real tools', () => {
  it('promtool, nginx -t, docker-compose and the Kubernetes schemas accept them', () => {
    const { status, output } = validate('deployment/validate.sh');
    // promtool must find every alert the rules file declares, not just parse some of it.
    const declared = readFileSync('deployment/monitoring/alerts/plinto.rules.yml', 'utf8').match(
      /^\s+- alert: /gm,
    );
    expect(declared?.length).toBeGreaterThanOrEqual(10);
    expect(output).toContain(`SUCCESS: ${declared?.length} rules found`);
    expect(output).toMatch(/Unit Testing: {2}tests\/plinto\.rules\.test\.yml\s+SUCCESS/);
    expect(output).toMatch(/nginx\.conf test is successful/);
    expect(output).toContain('== docker-compose config: both compose files');
    expect(output).toMatch(/kubernetes: 10 objects valid/);
    expect(output, output).toMatch(/deployment files: all valid/);
    expect(status).toBe(0);
  }, 120_000);

  it('fails when nginx refuses the TLS configuration', () => {
    const copy = mkdtempSync(join(tmpdir(), 'plinto-deployment-'));
    try {
      cpSync('deployment', join(copy, 'deployment'), { recursive: true });
      const conf = join(copy, 'deployment/nginx/nginx-ssl.conf');
      writeFileSync(
        conf,
        readFileSync(conf, 'utf8').replace('ssl_protocols TLSv1.2 TLSv1.3;', 'ssl_protocols TLSv9;'),
      );
      const { status, output } = validate(join(copy, 'deployment/validate.sh'));
      expect(output).toMatch(/invalid value "TLSv9"/);
      expect(status).not.toBe(0);
    } finally {
      rmSync(copy, { recursive: true, force: true });
    }
  }, 60_000);
});
