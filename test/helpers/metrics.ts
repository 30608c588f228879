import type { Metrics } from '../../src/observability/metrics.js';

/** How many password hashes and verifies (dummy ones included) this instance has run. */
export async function passwordChecks(metrics: Metrics): Promise<number> {
  const { values } = await metrics.passwordHashDuration.get();
  return values.filter((v) => v.metricName?.endsWith('_count')).reduce((sum, v) => sum + v.value, 0);
}

export async function rateLimitRejections(metrics: Metrics, field: string): Promise<number> {
  const { values } = await metrics.rateLimitRejections.get();
  return values.find((v) => v.labels.field === field)?.value ?? 0;
}
