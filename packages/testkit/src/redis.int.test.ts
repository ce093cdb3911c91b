import { createRedis, type RedisClient } from '@foley/shared/infra/redis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { deleteKeys, pingRedis, resolveTestRedisUrl, spawnRedisServer, testPrefix } from './redis';

describe('test Redis', () => {
  let redis: RedisClient;
  const mine = testPrefix('redis-helper');
  const neighbour = testPrefix('redis-helper');

  beforeAll(async () => {
    redis = createRedis(await resolveTestRedisUrl(), 'worker');
  });
  afterAll(async () => {
    await deleteKeys(redis, mine);
    await deleteKeys(redis, neighbour);
    redis.disconnect();
  });

  it('resolves a Redis that answers PING, the same one on every call', async () => {
    const url = await resolveTestRedisUrl();
    expect(await redis.ping()).toBe('PONG');
    expect(await resolveTestRedisUrl()).toBe(url);
    expect(await pingRedis(url, 1_000)).toBe(true);
  });

  it('pingRedis says no, quickly, when nothing listens', async () => {
    const started = Date.now();
    expect(await pingRedis('redis://127.0.0.1:1', 1_000)).toBe(false);
    expect(Date.now() - started).toBeLessThan(1_500);
  });

  it('testPrefix is unique per call', () => {
    expect(mine).toMatch(/^test-redis-helper-[0-9a-f]{10}$/);
    expect(neighbour).not.toBe(mine);
  });

  it('deleteKeys deletes every key under its prefix and nothing else', async () => {
    const pipeline = redis.pipeline();
    for (let i = 0; i < 2500; i++) pipeline.set(`${mine}:k:${i}`, '1');
    pipeline.hset(`${mine}:hash`, 'f', 'v');
    pipeline.set(`${neighbour}:k:1`, 'keep');
    pipeline.set(mine, 'the bare prefix is not under "prefix:"');
    pipeline.set(`${mine}x:1`, 'a longer prefix is not mine');
    await pipeline.exec();

    expect(await deleteKeys(redis, mine)).toBe(2501);
    expect(await redis.exists(`${mine}:k:0`, `${mine}:k:2499`, `${mine}:hash`)).toBe(0);
    expect(await redis.get(`${neighbour}:k:1`)).toBe('keep');
    expect(await redis.exists(mine, `${mine}x:1`)).toBe(2);
    await redis.unlink(mine, `${mine}x:1`);
  });

  it('deleteKeys treats glob characters in the prefix literally', async () => {
    const globby = `${mine}-*`;
    await redis.set(`${globby}:a`, '1');
    await redis.set(`${mine}-other:a`, 'keep');
    expect(await deleteKeys(redis, globby)).toBe(1);
    expect(await redis.get(`${mine}-other:a`)).toBe('keep');
    await redis.unlink(`${mine}-other:a`);
  });
});

describe('spawnRedisServer (the fallback when no Redis answers and Docker is absent)', () => {
  it('starts a private redis-server that answers, and stops it', async () => {
    const server = await spawnRedisServer();
    if (!server) throw new Error('redis-server is not on PATH here');
    expect(server.url).toMatch(/^redis:\/\/127\.0\.0\.1:\d+$/);
    expect(await pingRedis(server.url, 1_000)).toBe(true);
    server.stop();
    let alive = true;
    for (let i = 0; i < 20 && alive; i++) {
      await new Promise((r) => setTimeout(r, 100));
      alive = await pingRedis(server.url, 200);
    }
    expect(alive).toBe(false);

    // …and a new one can take over the same port (tests of a Redis restart do this).
    const again = await spawnRedisServer({ port: Number(new URL(server.url).port) });
    expect(again?.url).toBe(server.url);
    expect(await pingRedis(server.url, 1_000)).toBe(true);

    // A port that is taken is an error, not someone else's Redis passed off as ours.
    await expect(spawnRedisServer({ port: Number(new URL(server.url).port) })).rejects.toThrow(/exited/);
    again?.stop();
  });
});
