import { Redis, type RedisOptions } from 'ioredis';

/**
 * Redis connections by role.
 * - `worker`: BullMQ workers and blocking commands must wait for Redis forever, never give up a command.
 * - `producer`: the API fails fast (no offline queue, short connect timeout) so a Redis outage turns
 *   into a quick 503 instead of hanging requests; it reconnects by itself in the background.
 */
export type RedisRole = 'worker' | 'producer';

export function redisOptions(role: RedisRole): RedisOptions {
  const common: RedisOptions = {
    lazyConnect: false,
    retryStrategy: (times) => Math.min(200 * 2 ** Math.min(times, 5), 5_000),
    connectionName: `foley-${role}`,
  };
  if (role === 'worker') return { ...common, maxRetriesPerRequest: null, enableReadyCheck: true };
  return {
    ...common,
    maxRetriesPerRequest: 1,
    enableOfflineQueue: false,
    connectTimeout: 2_000,
    commandTimeout: 5_000,
  };
}

export function createRedis(url: string, role: RedisRole, extra: RedisOptions = {}): Redis {
  const redis = new Redis(url, { ...redisOptions(role), ...extra });
  // Without a listener ioredis prints every reconnect failure as an unhandled error event.
  redis.on('error', () => {});
  return redis;
}
