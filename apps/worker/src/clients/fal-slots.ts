import type { RedisClient } from '@foley/shared/infra/redis';

/**
 * A lease-based semaphore in Redis: at most `limit` jobs across every worker process hold a fal request
 * at once, so Foley never floods a fal account's concurrency. A crashed worker's slot frees itself when
 * its lease runs out; a live one renews its lease while it waits on fal.
 */
export interface FalSlots {
  /** Takes a slot for the job unless all are taken; true if the job holds one (idempotent). */
  tryAcquire(jobId: string): Promise<boolean>;
  /** For a job resuming a request that already exists at fal: holds a slot even past the limit. */
  forceAcquire(jobId: string): Promise<void>;
  renew(jobId: string): Promise<void>;
  release(jobId: string): Promise<void>;
  /** Jobs holding a live lease now. */
  count(): Promise<number>;
}

const ACQUIRE = `
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', ARGV[1])
local held = redis.call('ZSCORE', KEYS[1], ARGV[4])
if held or ARGV[5] == '1' or redis.call('ZCARD', KEYS[1]) < tonumber(ARGV[3]) then
  redis.call('ZADD', KEYS[1], tonumber(ARGV[1]) + tonumber(ARGV[2]), ARGV[4])
  return 1
end
return 0`;

export function createFalSlots(opts: {
  redis: RedisClient;
  key: string;
  limit: number;
  leaseMs?: number;
  now?: () => number;
}): FalSlots {
  const { redis, key, limit } = opts;
  const leaseMs = opts.leaseMs ?? 120_000;
  const now = opts.now ?? Date.now;
  const acquire = async (jobId: string, force: boolean) =>
    (await redis.eval(ACQUIRE, 1, key, now(), leaseMs, limit, jobId, force ? '1' : '0')) === 1;

  return {
    tryAcquire: (jobId) => acquire(jobId, false),
    forceAcquire: async (jobId) => {
      await acquire(jobId, true);
    },
    renew: async (jobId) => {
      await redis.zadd(key, 'XX', now() + leaseMs, jobId);
    },
    release: async (jobId) => {
      await redis.zrem(key, jobId);
    },
    count: async () => redis.zcount(key, now(), '+inf'),
  };
}
