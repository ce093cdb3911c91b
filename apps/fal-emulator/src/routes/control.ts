import express, { Router } from 'express';
import { accountPatchSchema } from '../account';
import type { EmulatorContext } from '../context';
import { faultSpecSchema } from '../faults';
import { sendJson } from '../http';
import type { QueueCounts } from '../request-queue';

const snakeCounts = (c: QueueCounts) => ({
  in_queue: c.inQueue,
  in_progress: c.inProgress,
  known_requests: c.known,
  completed_total: c.completedTotal,
});

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

  router.get('/account', (_req, res) => sendJson(res, 200, ctx.account.view()));
  router.post('/account', express.json({ limit: '16kb' }), (req, res) => {
    const parsed = accountPatchSchema.safeParse(req.body);
    if (!parsed.success) {
      const detail = parsed.error.issues.map((i) => `${i.path.join('.') || 'body'}: ${i.message}`);
      return sendJson(res, 400, { detail });
    }
    sendJson(res, 200, ctx.account.update(parsed.data));
  });

  // For benchmarks: the emulator's own CPU and what it holds, read inside its process.
  router.get('/stats', (_req, res) => {
    const cpu = process.cpuUsage();
    sendJson(res, 200, {
      cpu_user_us: cpu.user,
      cpu_system_us: cpu.system,
      rss_bytes: process.memoryUsage().rss,
      media: ctx.media,
      renders: ctx.renders(),
      files: ctx.files.count(),
      logged_submits: ctx.submits.size(),
      ...snakeCounts(ctx.queue.counts()),
    });
  });

  router.get('/health', (_req, res) => sendJson(res, 200, { status: 'ok' }));
  return router;
}
