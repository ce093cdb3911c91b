import { Router } from 'express';
import type { Registry } from 'prom-client';

/** `GET /metrics` in Prometheus text format (public like /healthz; keep it off the internet at the ingress). */
export function metricsRouter(registry: Registry): Router {
  const router = Router();
  router.get('/metrics', async (_req, res) => {
    const text = await registry.metrics();
    res.set('Content-Type', registry.contentType).send(text);
  });
  return router;
}
