import type { RedisClient } from '@foley/shared/infra/redis';

/**
 * Clean-ups that must not be lost to a Redis outage (an Idempotency-Key claim whose create failed):
 * tried at once, and when Redis refuses, tried again each time the connection is ready again — so a
 * client retrying after the 503 finds the key free as soon as Redis is back, not minutes later.
 * Held in memory: a process that dies meanwhile leaves the claim to the abandoned-claim takeover.
 */
export interface RetryWhenReady {
  run(task: () => Promise<void>): Promise<void>;
  /** Tasks still waiting for Redis (tests, metrics). */
  pending(): number;
}

export function createRetryWhenReady(deps: {
  redis: Pick<RedisClient, 'on'>;
  /** Oldest tasks are dropped past this many (an outage must not grow memory without bound). */
  maxPending?: number;
  /** A task older than this is dropped: by then other paths (takeover, TTL) have it in hand. */
  maxAgeMs?: number;
  now?: () => number;
  onDropped?: (error: unknown) => void;
}): RetryWhenReady {
  const maxPending = deps.maxPending ?? 10_000;
  const maxAgeMs = deps.maxAgeMs ?? 10 * 60_000;
  const now = deps.now ?? Date.now;
  let queue: Array<{ task: () => Promise<void>; since: number }> = [];
  let draining = false;

  deps.redis.on('ready', () => {
    void drain();
  });

  async function drain() {
    if (draining) return;
    draining = true;
    try {
      const due = queue;
      queue = [];
      for (const entry of due) {
        try {
          await entry.task();
        } catch (error) {
          if (now() - entry.since < maxAgeMs) queue.push(entry);
          else deps.onDropped?.(error);
        }
      }
    } finally {
      draining = false;
    }
  }

  return {
    async run(task) {
      try {
        await task();
      } catch (error) {
        queue.push({ task, since: now() });
        if (queue.length > maxPending) {
          queue.shift();
          deps.onDropped?.(error);
        }
      }
    },
    pending: () => queue.length,
  };
}
