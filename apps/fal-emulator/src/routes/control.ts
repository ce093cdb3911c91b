import express, { Router } from 'express';
import type { EmulatorContext } from '../context';
import { faultSpecSchema } from '../faults';
import { sendJson } from '../http';

/** `/_emulator/…` control plane for tests and operators: faults, the submit log, health. No auth. */
export function controlRouter(ctx: EmulatorContext): Router {
  const router = Router();
  router.post('/faults', express.json({ limit: '64kb' }), (req, res) => {
    const parsed = faultSpecSchema.safeParse(req.body);
    if (!parsed.success) {
      const detail = parsed.error.issues.map((i) => `${i.path.join('.') || 'body'}: ${i.message}`);
      return sendJson(res, 400, { detail });
    }
    sendJson(res, 201, ctx.faults.add(parsed.data));
  });
  router.get('/faults', (_req, res) => sendJson(res, 200, ctx.faults.list()));
  router.delete('/faults', (_req, res) => {
    ctx.faults.clear();
    sendJson(res, 200, { cleared: true });
  });

  router.get('/requests', (_req, res) => sendJson(res, 200, ctx.submits.list()));
  router.delete('/requests', (_req, res) => {
    ctx.submits.clear();
    sendJson(res, 200, { cleared: true });
  });

  router.get('/health', (_req, res) => sendJson(res, 200, { status: 'ok' }));
  return router;
}
