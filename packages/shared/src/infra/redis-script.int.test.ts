import { spawnRedisServer } from '@foley/testkit/redis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRedis, type RedisClient } from './redis';
import { redisScript } from './redis-script';

// A private redis-server: its command counters are this test's alone, and SCRIPT FLUSH touches no one else.
let server: { url: string; stop(): void } | undefined;
let redis: RedisClient;
beforeAll(async () => {
  server = await spawnRedisServer();
  if (!server) throw new Error('this test needs redis-server on PATH');
  redis = createRedis(server.url, 'worker');
});
afterAll(() => {
  redis?.disconnect();
  server?.stop();
});

const calls = async (command: string) =>
  Number(new RegExp(`cmdstat_${command}:calls=(\\d+)`).exec(await redis.info('commandstats'))?.[1] ?? 0);

describe('redisScript (real Redis)', () => {
  it('sends the script once, then only its digest, and loads it again after Redis forgot it', async () => {
    const incr = redisScript(redis, 'testIncrBy', "return redis.call('INCRBY', KEYS[1], ARGV[1])", 1);
    const results: unknown[] = [];
    for (let i = 0; i < 5; i++) results.push(await incr('n', 2));
    expect(results).toEqual([2, 4, 6, 8, 10]);
    // The connection's first call carries the script (EVAL); the rest only its digest.
    expect(await calls('eval')).toBe(1);
    expect(await calls('evalsha')).toBe(4);

    await redis.script('FLUSH');
    expect(await incr('n', 1)).toBe(11);
    // The same name and text again is the same command; another text under that name is a bug.
    expect(
      await redisScript(redis, 'testIncrBy', "return redis.call('INCRBY', KEYS[1], ARGV[1])", 1)('n', 1),
    ).toBe(12);
    expect(() => redisScript(redis, 'testIncrBy', 'return 0', 1)).toThrow(/already defined/);
  });
});
