import { describe, expect, it } from 'vitest';
import { devEnv, userRedisSet } from './dev-env';

describe('pnpm dev Redis', () => {
  it('uses the local standalone Redis only when no topology is set', () => {
    expect(devEnv({}).REDIS_URL).toBe('redis://127.0.0.1:6379');
    expect(userRedisSet({})).toBe(false);
  });

  it('passes a Cluster or Sentinel through without adding a REDIS_URL (two topologies are a config error)', () => {
    const cluster = devEnv({ REDIS_CLUSTER_NODES: '127.0.0.1:7000', QUEUE_PREFIX: '{dev}' });
    expect(cluster.REDIS_URL).toBeUndefined();
    expect(cluster.QUEUE_PREFIX).toBe('{dev}');
    expect(devEnv({ REDIS_SENTINELS: '127.0.0.1:26379' }).REDIS_URL).toBeUndefined();
    expect(userRedisSet({ REDIS_SENTINELS: '127.0.0.1:26379' })).toBe(true);
  });

  it('keeps a user REDIS_URL, TLS included', () => {
    expect(devEnv({ REDIS_URL: 'rediss://cache.example:6380' }).REDIS_URL).toBe(
      'rediss://cache.example:6380',
    );
    expect(userRedisSet({ REDIS_URL: 'rediss://cache.example:6380' })).toBe(true);
  });
});
