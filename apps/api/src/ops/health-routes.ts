import { type ReadinessCheck, readiness, readinessResponse } from '@foley/shared/infra/readiness';
import { Router } from 'express';

// Kept as re-exports so the composition root's import stays valid; the helpers live in shared (the worker uses them too).
export { type ReadinessCheck, readiness, readinessChecks } from '@foley/shared/infra/readiness';

export function healthRouter(checks: ReadinessCheck[]): Router {
  const router = Router();
  router.get('/healthz', (_req, res) => {
    res.json({ status: 'ok' });
  });
  router.get('/readyz', async (_req, res) => {
    const { status, body } = readinessResponse(await readiness(checks));
    res.status(status).json(body);
  });
  return router;
}
