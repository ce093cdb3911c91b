import type { ObjectStore } from './object-store';
import type { RedisClient } from './redis';

/** Readiness of a process (API, worker): can it reach what it needs right now? */

export interface ReadinessCheck {
  name: string;
  check: () => Promise<void>;
}

export type CheckResult = { ok: true } | { ok: false; error: string };

export interface Readiness {
  ok: boolean;
  checks: Record<string, CheckResult>;
}

export const readinessChecks = (redis: RedisClient, store: Pick<ObjectStore, 'ping'>): ReadinessCheck[] => [
  { name: 'redis', check: async () => void (await redis.ping()) },
  { name: 's3', check: () => store.ping() },
];

/** Runs every check with a timeout; the answer names each part that failed. */
export async function readiness(checks: ReadinessCheck[], timeoutMs = 2_000): Promise<Readiness> {
  const results = await Promise.all(
    checks.map(async ({ name, check }): Promise<[string, CheckResult]> => {
      let timer: NodeJS.Timeout | undefined;
      try {
        await Promise.race([
          check(),
          new Promise((_, reject) => {
            timer = setTimeout(() => reject(new Error('timed out')), timeoutMs);
          }),
        ]);
        return [name, { ok: true }];
      } catch (error) {
        return [name, { ok: false, error: error instanceof Error ? error.message : String(error) }];
      } finally {
        clearTimeout(timer);
      }
    }),
  );
  return { ok: results.every(([, r]) => r.ok), checks: Object.fromEntries(results) };
}

/** The `/readyz` answer: 200 `ready`, or 503 `unavailable` with the failing parts named. */
export function readinessResponse(result: Readiness): { status: 200 | 503; body: Record<string, unknown> } {
  const failing = Object.entries(result.checks)
    .filter(([, r]) => !r.ok)
    .map(([name]) => name);
  return {
    status: result.ok ? 200 : 503,
    body: {
      status: result.ok ? 'ready' : 'unavailable',
      ...(failing.length ? { failing } : {}),
      checks: Object.fromEntries(
        Object.entries(result.checks).map(([name, r]) => [
          name,
          r.ok ? r : { ok: false, error: publicReason(r.error) },
        ]),
      ),
    },
  };
}

/**
 * `/readyz` is reachable without credentials: say what kind of failure it is, never the internal
 * addresses or bucket names a raw client error carries.
 */
export function publicReason(message: string): string {
  if (/timed out|timeout/i.test(message)) return 'timed out';
  if (/ECONNREFUSED|refused/i.test(message)) return 'connection refused';
  if (/NoSuchBucket|\bNotFound\b|\b404\b/.test(message)) return 'bucket not found';
  if (/AccessDenied|Forbidden|InvalidAccessKeyId|SignatureDoesNotMatch|\b403\b/i.test(message))
    return 'access denied';
  return 'unreachable';
}
