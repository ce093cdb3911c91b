import { Cluster, type ClusterOptions, Redis, type RedisOptions } from 'ioredis';
import type { RedisSettings } from './redis-config';

/** A connection to any of the three topologies; both classes speak the same commands. */
export type RedisClient = Redis | Cluster;

/**
 * Redis connections by role.
 * - `worker`: BullMQ workers and blocking commands must wait for Redis forever, never give up a command.
 * - `subscriber`: pub/sub (job signals); like a worker, it waits and resubscribes after a failover.
 * - `producer`: the API and Bull Board fail fast (no offline queue, short connect timeout) so a Redis
 *   outage or failover turns into a quick 503 instead of hanging requests; they reconnect by themselves.
 */
export type RedisRole = 'worker' | 'subscriber' | 'producer';

const backoff = (times: number) => Math.min(200 * 2 ** Math.min(times, 5), 5_000);

export function redisOptions(role: RedisRole): RedisOptions {
  const common: RedisOptions = {
    lazyConnect: false,
    retryStrategy: backoff,
    connectionName: `foley-${role}`,
  };
  if (role !== 'producer') return { ...common, maxRetriesPerRequest: null, enableReadyCheck: true };
  return {
    ...common,
    maxRetriesPerRequest: 1,
    enableOfflineQueue: false,
    connectTimeout: 2_000,
    commandTimeout: 5_000,
  };
}

/**
 * The one factory of Redis connections: standalone (`redis://`, `rediss://`), Cluster or Sentinel, from
 * the settings every process parses from its environment (`redisSettingsOf`). A bare URL is shorthand
 * for a standalone server (tests).
 */
export function createRedis(
  settings: RedisSettings | string,
  role: RedisRole,
  extra: RedisOptions = {},
): RedisClient {
  const s: RedisSettings =
    typeof settings === 'string'
      ? { topology: { kind: 'standalone', url: settings }, waitReplicas: 0, waitTimeoutMs: 0 }
      : settings;
  const client = build(s, { ...redisOptions(role), ...auth(s), ...extra }, role);
  // Without a listener ioredis prints every reconnect failure as an unhandled error event.
  client.on('error', () => {});
  return client;
}

function build(s: RedisSettings, options: RedisOptions, role: RedisRole): RedisClient {
  const t = s.topology;
  if (t.kind === 'standalone') {
    // `rediss://` turns TLS on by itself; a private CA comes from REDIS_TLS_CA_FILE (or NODE_EXTRA_CA_CERTS).
    return new Redis(t.url, { ...options, ...(s.tls?.ca ? { tls: { ca: s.tls.ca } } : {}) });
  }
  if (t.kind === 'sentinel') {
    return new Redis({
      ...options,
      sentinels: t.sentinels,
      name: t.name,
      ...(s.tls ? { tls: tlsOptions(s), enableTLSForSentinelMode: true } : {}),
      ...(s.sentinel?.username ? { sentinelUsername: s.sentinel.username } : {}),
      ...(s.sentinel?.password ? { sentinelPassword: s.sentinel.password } : {}),
      ...(s.sentinel?.tls ? { sentinelTLS: tlsOptions(s) } : {}),
      sentinelRetryStrategy: backoff,
    });
  }
  const { enableOfflineQueue, ...nodeOptions } = options;
  const clusterOptions: ClusterOptions = {
    redisOptions: { ...nodeOptions, ...(s.tls ? { tls: tlsOptions(s) } : {}) },
    enableOfflineQueue: enableOfflineQueue ?? true,
    enableReadyCheck: true,
    clusterRetryStrategy: backoff,
    // During a failover the slot's master is gone for a few seconds: retry the command on the new one.
    retryDelayOnFailover: 300,
    retryDelayOnClusterDown: 300,
    retryDelayOnTryAgain: 300,
    // A producer gives up after ~2 s (→ 503 with Retry-After), a worker waits the failover out.
    maxRedirections: role === 'producer' ? 6 : 64,
    slotsRefreshTimeout: 2_000,
    // Managed clusters (ElastiCache & co.) hand out TLS certificates for names, not the IPs DNS gives.
    dnsLookup: (address, callback) => callback(null, address),
  };
  return new Cluster(t.nodes, clusterOptions);
}

function auth(s: RedisSettings): RedisOptions {
  return {
    ...(s.username ? { username: s.username } : {}),
    ...(s.password ? { password: s.password } : {}),
  };
}

function tlsOptions(s: RedisSettings): NonNullable<RedisOptions['tls']> {
  return s.tls?.ca ? { ca: s.tls.ca } : {};
}

/** Resolves once the client is ready, or after `timeoutMs` either way (a process may start while Redis is down). */
export function waitUntilReady(redis: RedisClient, timeoutMs: number): Promise<void> {
  if (redis.status === 'ready') return Promise.resolve();
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      redis.off('ready', done);
      resolve();
    };
    const timer = setTimeout(done, timeoutMs);
    redis.once('ready', done);
  });
}
