import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { bool, ConfigError, csv, duration } from './config';

/**
 * Where a deployment's Redis is and how to reach it: one of three topologies, chosen by which variable
 * is set. Every process (API, worker, `pnpm dev`, the tests) parses the same variables into
 * `RedisSettings` and hands them to the one factory in `redis.ts`.
 */
export interface HostPort {
  host: string;
  port: number;
}

export type RedisTopology =
  | { kind: 'standalone'; url: string }
  | { kind: 'cluster'; nodes: HostPort[] }
  | { kind: 'sentinel'; sentinels: HostPort[]; name: string };

export interface RedisSettings {
  topology: RedisTopology;
  username?: string | undefined;
  password?: string | undefined;
  /** Set: connect to the data nodes over TLS (`rediss://` turns it on for a URL). */
  tls?: { ca?: string | undefined } | undefined;
  /** Sentinels' own credentials and TLS (they often differ from the data nodes'). */
  sentinel?: { username?: string | undefined; password?: string | undefined; tls: boolean } | undefined;
  /** Replicas that must acknowledge the writes that stand between Foley and paying fal twice. */
  waitReplicas: number;
  waitTimeoutMs: number;
}

const hostPortList = csv.pipe(
  z
    .array(z.string().regex(/^[^\s:,]+:\d{1,5}$/, 'each must be host:port'))
    .min(1, 'must list at least one host:port'),
);

/** Shared fragment of every process's config schema; pair it with `checkRedisEnv` (a superRefine). */
export const redisEnv = {
  /** Standalone Redis: `redis://[user:password@]host:port[/db]`, or `rediss://` for TLS. */
  REDIS_URL: z.string().url().optional(),
  /** Redis Cluster: comma-separated seed nodes (`host:port`); the rest are discovered. */
  REDIS_CLUSTER_NODES: hostPortList.optional(),
  /** Redis Sentinel: comma-separated sentinels (`host:port`), with REDIS_SENTINEL_NAME. */
  REDIS_SENTINELS: hostPortList.optional(),
  /** The master group name the sentinels monitor (`sentinel monitor <name> …`). */
  REDIS_SENTINEL_NAME: z.string().min(1).optional(),
  /** ACL user and password of the data nodes (win over a URL's own). */
  REDIS_USERNAME: z.string().optional(),
  REDIS_PASSWORD: z.string().optional(),
  REDIS_SENTINEL_USERNAME: z.string().optional(),
  REDIS_SENTINEL_PASSWORD: z.string().optional(),
  /** TLS to cluster nodes / sentinel-managed nodes (a URL says it with `rediss://`). */
  REDIS_TLS: bool.optional(),
  /** TLS to the sentinels themselves. */
  REDIS_SENTINEL_TLS: bool.optional(),
  /** PEM file of a private CA to trust for Redis TLS (NODE_EXTRA_CA_CERTS works too, for the whole process). */
  REDIS_TLS_CA_FILE: z.string().min(1).optional(),
  /** Replicas that must acknowledge the submit claim and the saved fal request id (WAIT). */
  REDIS_WAIT_REPLICAS: z.coerce.number().int().min(0).max(10).optional(),
  /** Longest Foley waits for those acknowledgements before it stops short of submitting. */
  REDIS_WAIT_TIMEOUT: duration.default(1_000),
  /** BullMQ and Foley key prefix. On Redis Cluster it must carry a hash tag, e.g. `{foley}`. */
  QUEUE_PREFIX: z
    .string()
    .regex(/^[A-Za-z0-9_{}.-]+$/, 'letters, digits, _ . - { } only')
    .default('foley'),
};

type RedisEnv = {
  [K in keyof typeof redisEnv]: z.infer<(typeof redisEnv)[K]>;
};

export const DEFAULT_REDIS_URL = 'redis://127.0.0.1:6379';

/** The hash tag Redis Cluster hashes a key by (`{foley}x` → `foley`), or undefined when there is none. */
export function hashTagOf(key: string): string | undefined {
  const open = key.indexOf('{');
  if (open < 0) return undefined;
  const close = key.indexOf('}', open + 1);
  return close > open + 1 ? key.slice(open + 1, close) : undefined;
}

/** The config errors of the Redis variables, as (variable, message) pairs; empty when they fit. */
export function redisEnvIssues(env: Partial<RedisEnv>): Array<[keyof RedisEnv, string]> {
  const issues: Array<[keyof RedisEnv, string]> = [];
  const chosen = (['REDIS_URL', 'REDIS_CLUSTER_NODES', 'REDIS_SENTINELS'] as const).filter(
    (name) => env[name] !== undefined,
  );
  if (chosen.length > 1) {
    issues.push([
      chosen[1]!,
      `set only one of REDIS_URL, REDIS_CLUSTER_NODES, REDIS_SENTINELS (got ${chosen.join(' and ')})`,
    ]);
  }
  if (env.REDIS_SENTINELS && !env.REDIS_SENTINEL_NAME) {
    issues.push(['REDIS_SENTINEL_NAME', 'is required with REDIS_SENTINELS (the monitored master name)']);
  }
  if (env.REDIS_SENTINEL_NAME && !env.REDIS_SENTINELS) {
    issues.push(['REDIS_SENTINELS', 'is required with REDIS_SENTINEL_NAME']);
  }
  if (env.REDIS_URL && !/^rediss?:$/.test(safeProtocol(env.REDIS_URL))) {
    issues.push(['REDIS_URL', 'must start with redis:// or rediss://']);
  }
  if (env.REDIS_CLUSTER_NODES && !hashTagOf(env.QUEUE_PREFIX ?? 'foley')) {
    issues.push([
      'QUEUE_PREFIX',
      'must carry a hash tag on Redis Cluster, e.g. {foley}, so every key of the deployment is in one slot',
    ]);
  }
  return issues;
}

/** zod superRefine for a process schema that spreads `redisEnv`. */
export function checkRedisEnv(env: Partial<RedisEnv>, ctx: z.RefinementCtx): void {
  for (const [path, message] of redisEnvIssues(env)) ctx.addIssue({ code: 'custom', path: [path], message });
}

/** The Redis variables alone, for tools that need nothing else (`pnpm dev`'s probe). */
export const redisEnvSchema = z.object(redisEnv).superRefine(checkRedisEnv);

/** The parsed variables → the settings the factory takes. Reads REDIS_TLS_CA_FILE once. */
export function redisSettingsOf(env: Partial<RedisEnv>): RedisSettings {
  const topology: RedisTopology = env.REDIS_CLUSTER_NODES
    ? { kind: 'cluster', nodes: env.REDIS_CLUSTER_NODES.map(toHostPort) }
    : env.REDIS_SENTINELS
      ? {
          kind: 'sentinel',
          sentinels: env.REDIS_SENTINELS.map(toHostPort),
          name: env.REDIS_SENTINEL_NAME ?? '',
        }
      : { kind: 'standalone', url: env.REDIS_URL ?? DEFAULT_REDIS_URL };
  const ca = env.REDIS_TLS_CA_FILE ? readCa(env.REDIS_TLS_CA_FILE) : undefined;
  const tlsOn =
    topology.kind === 'standalone' ? safeProtocol(topology.url) === 'rediss:' : env.REDIS_TLS === true;
  const sentinelTls = env.REDIS_SENTINEL_TLS ?? env.REDIS_TLS ?? false;
  return {
    topology,
    username: env.REDIS_USERNAME,
    password: env.REDIS_PASSWORD,
    tls: tlsOn ? { ca } : undefined,
    ...(topology.kind === 'sentinel'
      ? {
          sentinel: {
            username: env.REDIS_SENTINEL_USERNAME,
            password: env.REDIS_SENTINEL_PASSWORD,
            tls: sentinelTls,
          },
        }
      : {}),
    // A lone standalone server has no replica to wait for; say REDIS_WAIT_REPLICAS=1 for a managed
    // primary with one (WAIT would otherwise block for the whole timeout on every submit).
    waitReplicas: env.REDIS_WAIT_REPLICAS ?? (topology.kind === 'standalone' ? 0 : 1),
    waitTimeoutMs: env.REDIS_WAIT_TIMEOUT ?? 1_000,
  };
}

/** A short description for logs and `pnpm dev`'s banner: no credentials. */
export function describeRedis(settings: RedisSettings): string {
  const t = settings.topology;
  const list = (nodes: HostPort[]) => nodes.map((n) => `${n.host}:${n.port}`).join(',');
  if (t.kind === 'cluster') return `cluster ${list(t.nodes)}${settings.tls ? ' (TLS)' : ''}`;
  if (t.kind === 'sentinel')
    return `sentinel ${t.name} via ${list(t.sentinels)}${settings.tls ? ' (TLS)' : ''}`;
  return t.url.replace(/(\/\/)[^/?#\s]*@/, '$1[redacted]@');
}

function toHostPort(item: string): HostPort {
  const at = item.lastIndexOf(':');
  return { host: item.slice(0, at), port: Number(item.slice(at + 1)) };
}

function safeProtocol(url: string): string {
  try {
    return new URL(url).protocol;
  } catch {
    return '';
  }
}

function readCa(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (error) {
    throw new ConfigError([`REDIS_TLS_CA_FILE: cannot be read (${(error as NodeJS.ErrnoException).code})`]);
  }
}
