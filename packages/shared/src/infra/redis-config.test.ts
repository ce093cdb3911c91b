import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from './config';
import { describeRedis, hashTagOf, redisEnvSchema, redisSettingsOf } from './redis-config';

const parse = (env: Record<string, string>) => loadConfig(redisEnvSchema, env);
const errorOf = (env: Record<string, string>) => {
  try {
    parse(env);
  } catch (error) {
    if (error instanceof ConfigError) return error.message;
    throw error;
  }
  return 'no error';
};

describe('Redis configuration', () => {
  it('defaults to a local standalone server, with no replica to wait for', () => {
    const settings = redisSettingsOf(parse({}));
    expect(settings.topology).toEqual({ kind: 'standalone', url: 'redis://127.0.0.1:6379' });
    expect(settings.waitReplicas).toBe(0);
    expect(settings.tls).toBeUndefined();
  });

  it('reads a Cluster: seed nodes, credentials, TLS, and waits for one replica by default', () => {
    const settings = redisSettingsOf(
      parse({
        REDIS_CLUSTER_NODES: 'a.example:6379, b.example:6380',
        QUEUE_PREFIX: '{foley}',
        REDIS_USERNAME: 'foley',
        REDIS_PASSWORD: 'pw',
        REDIS_TLS: 'true',
        REDIS_WAIT_TIMEOUT: '250ms',
      }),
    );
    expect(settings.topology).toEqual({
      kind: 'cluster',
      nodes: [
        { host: 'a.example', port: 6379 },
        { host: 'b.example', port: 6380 },
      ],
    });
    expect(settings).toMatchObject({
      username: 'foley',
      password: 'pw',
      tls: {},
      waitReplicas: 1,
      waitTimeoutMs: 250,
    });
    expect(describeRedis(settings)).toBe('cluster a.example:6379,b.example:6380 (TLS)');
  });

  it('reads Sentinel with its own credentials', () => {
    const settings = redisSettingsOf(
      parse({
        REDIS_SENTINELS: 's1:26379,s2:26379',
        REDIS_SENTINEL_NAME: 'mymaster',
        REDIS_SENTINEL_PASSWORD: 'spw',
      }),
    );
    expect(settings.topology).toMatchObject({ kind: 'sentinel', name: 'mymaster' });
    expect(settings.sentinel).toMatchObject({ password: 'spw', tls: false });
  });

  it('turns TLS on for rediss:// and hides the password when it describes the URL', () => {
    const settings = redisSettingsOf(parse({ REDIS_URL: 'rediss://u:secret@cache.example:6380' }));
    expect(settings.tls).toEqual({ ca: undefined });
    expect(describeRedis(settings)).toBe('rediss://[redacted]@cache.example:6380');
  });

  it('refuses two topologies at once, naming them', () => {
    expect(
      errorOf({ REDIS_URL: 'redis://x:6379', REDIS_SENTINELS: 's:26379', REDIS_SENTINEL_NAME: 'm' }),
    ).toMatch(/REDIS_SENTINELS: set only one of .*got REDIS_URL and REDIS_SENTINELS/);
  });

  it('refuses a Cluster prefix without a hash tag, naming QUEUE_PREFIX', () => {
    expect(errorOf({ REDIS_CLUSTER_NODES: 'a:1', QUEUE_PREFIX: 'foley' })).toMatch(
      /QUEUE_PREFIX: must carry a hash tag/,
    );
    expect(errorOf({ REDIS_CLUSTER_NODES: 'a:1' })).toMatch(/QUEUE_PREFIX/);
    expect(errorOf({ REDIS_CLUSTER_NODES: 'a:1', QUEUE_PREFIX: '{foley}' })).toBe('no error');
  });

  it('refuses half a Sentinel setup, bad node lists and non-Redis URLs', () => {
    expect(errorOf({ REDIS_SENTINELS: 's:26379' })).toMatch(/REDIS_SENTINEL_NAME: is required/);
    expect(errorOf({ REDIS_SENTINEL_NAME: 'm' })).toMatch(/REDIS_SENTINELS: is required/);
    expect(errorOf({ REDIS_CLUSTER_NODES: 'nohost', QUEUE_PREFIX: '{f}' })).toMatch(
      /REDIS_CLUSTER_NODES\.0: each must be host:port/,
    );
    expect(errorOf({ REDIS_URL: 'http://x:6379' })).toMatch(
      /REDIS_URL: must start with redis:\/\/ or rediss:\/\//,
    );
    expect(errorOf({ REDIS_TLS_CA_FILE: '/nonexistent/ca.pem' })).toBe('no error');
    expect(() => redisSettingsOf(parse({ REDIS_TLS_CA_FILE: '/nonexistent/ca.pem' }))).toThrow(
      /REDIS_TLS_CA_FILE: cannot be read \(ENOENT\)/,
    );
  });
});

describe('hashTagOf', () => {
  it('finds the part Redis Cluster hashes, as Redis does', () => {
    expect(hashTagOf('{foley}:dubbing:1')).toBe('foley');
    expect(hashTagOf('a{b}c{d}')).toBe('b');
    expect(hashTagOf('{}foley')).toBeUndefined();
    expect(hashTagOf('foley')).toBeUndefined();
    expect(hashTagOf('{foley')).toBeUndefined();
  });
});
