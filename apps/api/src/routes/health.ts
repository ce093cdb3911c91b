import type { ObjectStore } from '@foley/shared/object-store';
import { Router } from 'express';
import type { Redis } from 'ioredis';

export interface ReadinessCheck {
  name: string;
  check: () => Promise<void>;
}

export const readinessChecks = (redis: Redis, store: Pick<ObjectStore, 'ping'>): ReadinessCheck[] => [
  { name: 'redis', check: async () => void (await redis.ping()) },
  { name: 's3', check: () => store.ping() },
];

/** Runs every check with a timeout; the answer names each part that failed. */
export async function readiness(checks: ReadinessCheck[], timeoutMs = 2_000) {
  const results = await Promise.all(
    checks.map(async ({ name, check }) => {
      try {
        await Promise.race([
          check(),
          new Promise((_, reject) => setTimeout(() => reject(new Error('timed out')), timeoutMs).unref()),
        ]);
        return [name, { ok: true }] as const;
      } catch (error) {
        return [name, { ok: false, error: error instanceof Error ? error.message : String(error) }] as const;
      }
    }),
  );
  const ok = results.every(([, r]) => r.ok);
  return { ok, checks: Object.fromEntries(results) };
}

export function healthRouter(checks: ReadinessCheck[]): Router {
  const router = Router();
  router.get('/healthz', (_req, res) => {
    res.json({ status: 'ok' });
  });
  router.get('/readyz', async (_req, res) => {
    const result = await readiness(checks);
    const failing = Object.entries(result.checks)
      .filter(([, r]) => !(r as { ok: boolean }).ok)
      .map(([name]) => name);
    res.status(result.ok ? 200 : 503).json({
      status: result.ok ? 'ready' : 'unavailable',
      ...(failing.length ? { failing } : {}),
      checks: result.checks,
    });
  });
  return router;
}
