import express from 'express';
import type { RequestHandler } from 'express';
import { securityHeaders } from '../security/headers.js';
import type { Metrics } from './metrics.js';

/**
 * `GET /metrics`: the registry as Prometheus text. A scrape costs no database work: gauges that
 * mirror the database are kept current on a timer (LiveSessionsGauge).
 */
export function metricsHandler(metrics: Metrics): RequestHandler {
  return async (_req, res) => {
    res.set('Content-Type', metrics.registry.contentType);
    res.set('Cache-Control', 'no-store');
    res.send(await metrics.registry.metrics());
  };
}

/** The separate listener for METRICS_PORT: /metrics and nothing else. */
export function metricsApp(serveMetrics: RequestHandler): express.Express {
  const app = express();
  app.disable('x-powered-by');
  app.use(securityHeaders());
  app.get('/metrics', serveMetrics);
  app.use((_req, res) => {
    res.status(404).json({ error: 'not_found' });
  });
  return app;
}
