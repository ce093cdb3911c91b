import { randomBytes } from 'node:crypto';
import type { Redis } from 'ioredis';

/** What every pair gets from the runner: a private Redis, a local S3 and the run's size. */
export interface BenchContext {
  smoke: boolean;
  redisUrl: string;
  redis: Redis;
  /** The S3 server runs in its own process: `cpuSeconds` reads its CPU so far. */
  s3: { endpoint: string; bucket: string; cpuSeconds(): number };
  /** FAL_EMULATOR_* variables given to `pnpm bench`, passed to every emulator it starts. */
  emulatorEnv: Record<string, string>;
  /** `BENCH_ORCH_PROCESSES=1,2`: only these rows of the orchestration pair, one pair each (a quicker loop while profiling; writes nothing). */
  orchestrationProcesses?: number[] | undefined;
}

export const API_KEY = 'bench_key_tenant_0001';

export const benchPrefix = (label: string) => `bench-${label}-${randomBytes(4).toString('hex')}`;

/** The env of a Foley API or worker process on the bench's private services, production defaults otherwise. */
export function foleyEnv(ctx: BenchContext, prefix: string, extra: Record<string, string> = {}) {
  return {
    REDIS_URL: ctx.redisUrl,
    QUEUE_PREFIX: prefix,
    S3_BUCKET: ctx.s3.bucket,
    S3_ENDPOINT: ctx.s3.endpoint,
    S3_REGION: 'us-east-1',
    S3_FORCE_PATH_STYLE: 'true',
    AWS_ACCESS_KEY_ID: 'S3RVER',
    AWS_SECRET_ACCESS_KEY: 'S3RVER',
    FAL_KEY: 'bench-fal-key',
    API_KEYS: `tenant-bench:${API_KEY}`,
    URL_ALLOWLIST: '127.0.0.1',
    PORT: '0',
    HOST: '127.0.0.1',
    METRICS_PORT: '0',
    LOG_LEVEL: 'warn',
    // No customer webhooks are configured in any pair; a secret only keeps the worker from warning.
    WEBHOOK_SECRET: 'whsec_YmVuY2gtc2VjcmV0LWZvci1mb2xleS1iZW5jaA==',
    // The pairs measure throughput from one key: the per-key rate limit and the queue quota (whose Redis
    // steps still run) must not be what they hit.
    API_RATE_LIMIT: '100000',
    API_RATE_BURST: '1000000',
    TENANT_MAX_QUEUED: '10000000',
    ...extra,
  };
}

/** FAL_EMULATOR_* variables of the bench's own environment (e.g. FAL_EMULATOR_MEDIA=reuse). */
export function emulatorEnvFrom(env: NodeJS.ProcessEnv): Record<string, string> {
  return Object.fromEntries(
    Object.entries(env).filter((e): e is [string, string] => e[0].startsWith('FAL_EMULATOR_') && !!e[1]),
  );
}
