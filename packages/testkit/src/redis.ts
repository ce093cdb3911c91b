import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import type { RedisClient } from '@foley/shared/infra/redis';
import { Cluster, Redis } from 'ioredis';
import { dockerAvailable } from './docker';
import { freePort } from './listen';

const DEFAULT_URL = 'redis://127.0.0.1:6379';
let resolved: Promise<string> | undefined;

/**
 * A Redis for integration tests: `REDIS_URL` (default the local one) if it answers PING within 1 s,
 * else a `redis:7` container when Docker runs, else a throwaway `redis-server` on a free port.
 * Memoized per process. Tests share it: each uses its own key prefix (`testPrefix`) and deletes only
 * that (`deleteKeys`).
 */
export function resolveTestRedisUrl(): Promise<string> {
  resolved ??= findRedis();
  return resolved;
}

async function findRedis(): Promise<string> {
  const url = process.env.REDIS_URL || DEFAULT_URL;
  if (await pingRedis(url, 1_000)) return url;
  if (await dockerAvailable()) return startContainer();
  const spawned = await spawnRedisServer();
  if (spawned) return spawned.url;
  throw new Error(
    `No Redis for integration tests: nothing answers at ${url}, no Docker engine, no redis-server on PATH.\n` +
      'Install one (apt-get install redis-server / brew install redis), start Docker, or set REDIS_URL.',
  );
}

export async function pingRedis(url: string, timeoutMs: number): Promise<boolean> {
  const redis = new Redis(url, {
    lazyConnect: true,
    connectTimeout: timeoutMs,
    maxRetriesPerRequest: 0,
    enableOfflineQueue: false,
    retryStrategy: () => null,
  });
  redis.on('error', () => {});
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<false>((resolve) => {
    timer = setTimeout(() => resolve(false), timeoutMs);
  });
  try {
    const ping = redis.connect().then(() => redis.ping().then((reply) => reply === 'PONG'));
    return await Promise.race([ping.catch(() => false), timeout]);
  } finally {
    clearTimeout(timer);
    redis.disconnect();
  }
}

async function startContainer(): Promise<string> {
  const { GenericContainer, Wait } = await import('testcontainers');
  const container = await new GenericContainer('redis:7')
    .withCommand(['redis-server', '--save', '', '--appendonly', 'no'])
    .withExposedPorts(6379)
    .withWaitStrategy(Wait.forLogMessage('Ready to accept connections'))
    .start(); // testcontainers' reaper removes it when this process exits
  return `redis://${container.getHost()}:${container.getMappedPort(6379)}`;
}

/**
 * Starts a throwaway `redis-server` (no persistence unless `aof`) on loopback, on `port` (e.g. to restart one in
 * place) or a free one, killed at the latest when this process exits. Resolves undefined when there is
 * no redis-server on PATH.
 */
export async function spawnRedisServer(
  opts: { port?: number; aof?: { dir: string; fsync: 'always' | 'everysec' } } = {},
): Promise<{ url: string; stop(): void } | undefined> {
  const port = opts.port || (await freePort());
  // With `aof`, it persists like production (AOF in `dir`), so a restart in place keeps its keys.
  const persistence = opts.aof
    ? ['--appendonly', 'yes', '--appendfsync', opts.aof.fsync, '--dir', opts.aof.dir]
    : ['--appendonly', 'no'];
  const child = spawn(
    'redis-server',
    ['--port', String(port), '--bind', '127.0.0.1', '--save', '', ...persistence],
    {
      stdio: 'ignore',
    },
  );
  const missing = new Promise<boolean>((resolve) => child.once('error', () => resolve(true)));
  const stop = () => {
    process.off('exit', stop);
    if (child.exitCode === null && child.signalCode === null) child.kill();
  };
  process.once('exit', stop);
  child.unref();
  const url = `redis://127.0.0.1:${port}`;
  for (let i = 0; i < 50; i++) {
    if (await Promise.race([missing, new Promise<false>((r) => setTimeout(() => r(false), 100))])) {
      return undefined;
    }
    // An exited child means the port was taken (the PING could be answered by someone else's Redis).
    if (child.exitCode !== null)
      throw new Error(`redis-server exited (code ${child.exitCode}) on port ${port}`);
    if (await pingRedis(url, 500)) return { url, stop };
  }
  stop();
  throw new Error(`redis-server was started on port ${port} but did not answer within 5 s`);
}

/** A unique key prefix for one test: `test-<label>-<random>`. */
export function testPrefix(label = 'x'): string {
  return `test-${label.replace(/[^A-Za-z0-9_-]/g, '-')}-${randomBytes(5).toString('hex')}`;
}

/**
 * Deletes the keys under `${prefix}:` with SCAN + UNLINK (never FLUSHALL: Redis is shared). On a Cluster
 * SCAN sees one node only, so every master is scanned.
 */
export async function deleteKeys(redis: RedisClient, prefix: string): Promise<number> {
  if (!prefix) throw new Error('deleteKeys needs a non-empty prefix');
  // A killed master can linger in the node list until the slots are refreshed: scan the live ones only
  // (a worker-role connection to a dead node would wait for it forever).
  const nodes =
    redis instanceof Cluster ? redis.nodes('master').filter((n) => n.status === 'ready') : [redis];
  let deleted = 0;
  for (const node of nodes) deleted += await deleteOnNode(node, redis, prefix);
  return deleted;
}

async function deleteOnNode(node: Redis, client: RedisClient, prefix: string): Promise<number> {
  const match = `${prefix.replace(/[*?[\]\\]/g, '\\$&')}:*`;
  let cursor = '0';
  let deleted = 0;
  // Bounded: a SCAN cursor returns to 0 after one full pass; the cap only guards against a bug.
  for (let round = 0; round < 1_000_000; round++) {
    const [next, keys] = await node.scan(cursor, 'MATCH', match, 'COUNT', 1000);
    if (!(client instanceof Cluster)) {
      if (keys.length > 0) deleted += await client.unlink(...keys);
    } else {
      // One key at a time through the cluster client, which routes by slot (a prefix may span slots).
      for (const key of keys) deleted += await client.unlink(key);
    }
    cursor = next;
    if (cursor === '0') break;
  }
  return deleted;
}
