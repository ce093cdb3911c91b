import { holdWrites } from '@foley/shared/infra/hold-writes';
import type { RedisClient } from '@foley/shared/infra/redis';
import { redisScript } from '@foley/shared/infra/redis-script';

/**
 * A token bucket in Redis, shared by every API replica: `rate` tokens a second up to `burst`. One
 * atomic step per request; the key expires once the bucket would be full again, so idle keys cost nothing.
 * KEYS: bucket hash. ARGV: now (ms), rate per second, burst. Returns {allowed 0|1, tokens left (floor),
 * ms until one token is back (0 when allowed), ms until the bucket is full}.
 */
const TAKE = `
local now = tonumber(ARGV[1])
local rate = tonumber(ARGV[2])
local burst = tonumber(ARGV[3])
local b = redis.call('HMGET', KEYS[1], 'tokens', 'at')
local tokens = tonumber(b[1] or burst)
local at = tonumber(b[2] or now)
if now > at then tokens = math.min(burst, tokens + (now - at) * rate / 1000) end
local allowed = 0
local wait = 0
if tokens >= 1 then
  tokens = tokens - 1
  allowed = 1
else
  wait = math.ceil((1 - tokens) * 1000 / rate)
end
local full = math.ceil((burst - tokens) * 1000 / rate)
redis.call('HSET', KEYS[1], 'tokens', tostring(tokens), 'at', now)
redis.call('PEXPIRE', KEYS[1], full + 1000)
return {allowed, math.floor(tokens), wait, full}`;

export interface TokenBucketResult {
  allowed: boolean;
  remaining: number;
  retryAfterMs: number;
  fullInMs: number;
}

export interface TokenBucket {
  take(key: string): Promise<TokenBucketResult>;
}

export function createTokenBucket(opts: {
  redis: RedisClient;
  rate: number;
  burst: number;
  now?: () => number;
}): TokenBucket {
  const now = opts.now ?? Date.now;
  const take = redisScript(opts.redis, 'foleyRateTake', TAKE, 1);
  return {
    async take(key) {
      holdWrites(opts.redis); // the takes of one loop iteration leave in one socket write
      const [allowed, remaining, wait, full] = (await take(key, now(), opts.rate, opts.burst)) as [
        number,
        number,
        number,
        number,
      ];
      return { allowed: allowed === 1, remaining, retryAfterMs: wait, fullInMs: full };
    },
  };
}
