import { readFileSync } from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { loadConfig } from '../../src/config.js';
import {
  alertExpressions,
  dashboardExpressions,
  exposedMetricNames,
  metricNamesIn,
} from '../helpers/promql.js';
import { useServer } from '../helpers/use-server.js';

const RULES = 'deployment/monitoring/alerts/plinto.rules.yml';
const DASHBOARD = 'deployment/monitoring/grafana/dashboards/plinto.json';
/** The rest of a valid production configuration (values only shaped right; nothing connects). */
const PRODUCTION_ENV = {
  DATABASE_URL: 'postgres://plinto@db/plinto',
  REDIS_URL: 'redis://redis:6379',
  SMTP_URL: 'smtps://mail.example:465',
  APP_URL: 'https://auth.example',
  AUTH_SECRET: 'q8Xv2Lr9Tz4Wm6Np1Ks7Hd3Jf5Gb0Yc8Ve2Ua4Rt6',
};
/** Series Prometheus itself writes for every target; the app cannot export them. */
const PROMETHEUS_SYNTHETIC = new Set(['up']);

describe('monitoring uses only metrics the app exports', () => {
  // As deployed: production mode, where /metrics is only on the METRICS_PORT listener.
  const ctx = useServer('postgresql', {
    NODE_ENV: 'production',
    SMTP_URL: 'smtp://127.0.0.1:2525',
    BCRYPT_COST: undefined,
  });
  let exposed: Set<string>;

  beforeAll(async () => {
    expect((await fetch(`${ctx.server.url}/metrics`)).status).toBe(404);
    const { port } = ctx.server.app.metricsServer!.address() as { port: number };
    const response = await fetch(`http://127.0.0.1:${port}/metrics`);
    expect(response.status).toBe(200);
    exposed = exposedMetricNames(await response.text());
  });

  it('scrapes the port the app serves /metrics on in production (9464), not the public one', () => {
    const prometheus = parse(readFileSync('deployment/monitoring/prometheus.yml', 'utf8'));
    const job = prometheus.scrape_configs.find((c: any) => c.job_name === 'plinto');
    expect(job.metrics_path).toBe('/metrics');
    expect(job.dns_sd_configs[0].port).toBe(9464);
    expect(loadConfig({ NODE_ENV: 'production', ...PRODUCTION_ENV }).metricsPort).toBe(9464);
    const compose = parse(readFileSync('deployment/production/docker-compose.production.yml', 'utf8'));
    expect(compose.services.app.environment.METRICS_PORT).toBe('9464');
  });

  const expressions = [...alertExpressions(RULES), ...dashboardExpressions(DASHBOARD)];

  it('reads names from the running server, default process metrics included', () => {
    expect(exposed).toContain('plinto_auth_events_total');
    expect(exposed).toContain('plinto_http_request_duration_seconds_bucket');
    expect(exposed).toContain('plinto_process_cpu_seconds_total');
    expect(exposed.size).toBeGreaterThan(20);
  });

  it('finds expressions in both the alert rules and the dashboard', () => {
    expect(expressions.filter((e) => e.source.startsWith('rule')).length).toBeGreaterThanOrEqual(8);
    expect(expressions.filter((e) => e.source.startsWith('panel')).length).toBeGreaterThanOrEqual(10);
  });

  it.each(expressions.map((e) => [e.source, e.expr] as const))(
    '%s names exported metrics only',
    (_, expr) => {
      const names = metricNamesIn(expr);
      expect(names.length).toBeGreaterThan(0);
      const unknown = names.filter((name) => !exposed.has(name) && !PROMETHEUS_SYNTHETIC.has(name));
      expect(unknown, `not exported by /metrics: ${unknown.join(', ')}`).toEqual([]);
    },
  );

  it('matches event and result label values that the app records', () => {
    const source = readFileSync('src/observability/security-events.ts', 'utf8');
    const union = (type: string) =>
      new Set(
        [...(new RegExp(`type ${type} =([^;]+);`).exec(source)?.[1] ?? '').matchAll(/'([a-z_]+)'/g)].map(
          (m) => m[1],
        ),
      );
    const kinds = union('SecurityEventKind');
    const results = union('SecurityEventResult');
    expect(kinds).toContain('refresh_reuse_detected');
    for (const { source: where, expr } of expressions) {
      for (const [, value] of expr.matchAll(/\bevent="([^"]+)"/g)) expect(kinds, where).toContain(value);
      for (const [, value] of expr.matchAll(/\bresult="([^"]+)"/g)) expect(results, where).toContain(value);
    }
  });

  it('covers every alert the operators asked for', () => {
    const rules = alertExpressions(RULES);
    const uses = (name: string) => rules.some((r) => metricNamesIn(r.expr).includes(name));
    expect(uses('plinto_http_requests_total')).toBe(true);
    expect(uses('plinto_http_request_duration_seconds_bucket')).toBe(true);
    expect(uses('up')).toBe(true);
    expect(uses('plinto_rate_limit_rejections_total')).toBe(true);
    expect(uses('plinto_mail_outbox_depth')).toBe(true);
    expect(uses('plinto_redis_degraded')).toBe(true);
    const exprs = rules.map((r) => r.expr).join('\n');
    expect(exprs).toMatch(/plinto_auth_events_total\{event="sign_in",result="failure"\}/);
    expect(exprs).toMatch(/plinto_auth_events_total\{event="refresh_reuse_detected"\}/);
  });
});

describe('the PromQL name extraction', () => {
  it('ignores functions, label values, ranges, grouping and Grafana variables', () => {
    expect(
      metricNamesIn(
        'histogram_quantile(0.95, sum by (le) (rate(a_bucket{job="$job", route!="/x"}[$__rate_interval]))) > 1 and on(instance) b offset 1h',
      ),
    ).toEqual(['a_bucket', 'b']);
    expect(metricNamesIn('absent(up{job="plinto"} == 1)')).toEqual(['up']);
  });

  it('collects histogram series from # TYPE lines', () => {
    const names = exposedMetricNames('# HELP h x\n# TYPE h histogram\n# HELP c y\n# TYPE c counter\n');
    expect([...names].sort()).toEqual(['c', 'h', 'h_bucket', 'h_count', 'h_sum']);
  });
});
