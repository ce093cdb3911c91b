import { dispatchEnv } from '@foley/shared/dispatch/tenant-values';
import { bool, csv, duration, logLevel, port, s3Env, webhookEnv } from '@foley/shared/infra/config';
import { checkRedisEnv, redisEnv } from '@foley/shared/infra/redis-config';
import { JOB_RETENTION } from '@foley/shared/queues/catalog';
import { spendEnv } from '@foley/shared/spend/spend-env';
import { z } from 'zod';

const byteSize = z.coerce.number().int().min(1024);

export const apiConfigSchema = z
  .object({
    ...redisEnv,
    ...s3Env,
    PORT: port.default(3000),
    /** Address the API listens on: loopback unless told otherwise (containers set 0.0.0.0). */
    HOST: z.string().min(1).default('127.0.0.1'),
    /** A request's headers must arrive within this long, its whole body within the next (slow clients hold sockets). */
    HTTP_HEADERS_TIMEOUT: duration.default(15_000),
    HTTP_REQUEST_TIMEOUT: duration.default(120_000),
    /** `name:key` pairs (comma-separated); the name is the tenant that owns the key's jobs. */
    API_KEYS: csv.pipe(z.array(z.string()).min(1, 'must list at least one key (name:key)')),
    /** Hosts, IPs or CIDRs user URLs may reach although loopback/private. Empty: nothing extra. */
    URL_ALLOWLIST: csv.default([]),
    ...webhookEnv,
    ADMIN_USER: z.string().optional(),
    ADMIN_PASSWORD: z.string().optional(),
    ADMIN_READONLY_USER: z.string().optional(),
    ADMIN_READONLY_PASSWORD: z.string().optional(),
    JOB_BODY_LIMIT: byteSize.default(64 * 1024),
    BATCH_BODY_LIMIT: byteSize.default(16 * 1024 * 1024),
    BATCH_MAX_ITEMS: z.coerce.number().int().min(1).max(100_000).default(10_000),
    /** Attempts per dubbing job (each step retries within an attempt budget; see README.md, How a job runs). */
    JOB_ATTEMPTS: z.coerce.number().int().min(1).max(50).default(6),
    /** Not past job retention: a replay must find its job, or an abandoned-looking claim is taken over. */
    IDEMPOTENCY_TTL: duration
      .pipe(z.number().max(JOB_RETENTION.completedSeconds * 1000, 'must be at most 7d (job retention)'))
      .default(24 * 3_600_000),
    /** fal's JWKS, for verifying fal webhooks at POST /v1/fal/webhook. */
    FAL_JWKS_URL: z.string().url().default('https://rest.fal.ai/.well-known/jwks.json'),
    FAL_BASE_URL: z.string().url().optional(),
    ...spendEnv,
    ...dispatchEnv,
    /** Requests per second per API key on every authenticated /v1 request (a token bucket in Redis). */
    API_RATE_LIMIT: z.coerce.number().min(0.1).max(100_000).default(50),
    /** Requests a key may make at once above the rate (the bucket's size). */
    API_RATE_BURST: z.coerce.number().int().min(1).max(1_000_000).default(100),
    LOG_LEVEL: logLevel,
    LOG_PRETTY: bool.default(false),
  })
  // One Redis topology, and a hash-tagged prefix on Cluster: checked in every process.
  .superRefine(checkRedisEnv);

export type ApiConfig = z.infer<typeof apiConfigSchema>;
