import { dispatchEnv } from '@foley/shared/dispatch/tenant-values';
import { bool, csv, duration, falEnv, logLevel, port, s3Env, webhookEnv } from '@foley/shared/infra/config';
import { checkRedisEnv, redisEnv } from '@foley/shared/infra/redis-config';
import { spendEnv } from '@foley/shared/spend/spend-env';
import { z } from 'zod';

const accountName = z.string().regex(/^[A-Za-z0-9_.-]+$/, 'letters, digits, _ . - only');

/** `[{"name":"main","key":"…","concurrency":10}]` (JSON: fal keys contain colons). */
const falAccounts = z
  .string()
  .transform((text, ctx) => {
    try {
      return JSON.parse(text) as unknown;
    } catch {
      ctx.addIssue({ code: 'custom', message: 'must be JSON: [{"name":"main","key":"…","concurrency":10}]' });
      return z.NEVER;
    }
  })
  .pipe(
    z
      .array(
        z.strictObject({
          name: accountName,
          key: z.string().min(1),
          concurrency: z.number().int().min(1).max(10_000),
        }),
      )
      .min(1, 'must list at least one account')
      .refine((a) => new Set(a.map((x) => x.name)).size === a.length, 'account names must be unique'),
  );

export const workerConfigSchema = z
  .object({
    ...redisEnv,
    ...s3Env,
    ...falEnv,
    /** Without FAL_ACCOUNTS: the one account `default`. */
    FAL_KEY: falEnv.FAL_KEY.optional(),
    /** Several fal accounts, each with its key and concurrency; replaces FAL_KEY / FAL_CONCURRENCY. */
    FAL_ACCOUNTS: falAccounts.optional(),
    ...dispatchEnv,
    /** How often each worker runs a dispatch pass by itself (besides the API's nudges and freed slots). */
    DISPATCH_TICK: duration.default(1_000),
    /** Budgets, for the `foley_budget_remaining_usd` gauge after each settlement (same as the API's). */
    TENANT_BUDGETS: spendEnv.TENANT_BUDGETS,
    /** Dubbing jobs one worker process runs at once (most of the time they wait on fal). */
    WORKER_CONCURRENCY: z.coerce.number().int().min(1).max(500).default(8),
    /** fal requests in flight across ALL workers (a fal account's concurrency limit). */
    FAL_CONCURRENCY: z.coerce.number().int().min(1).max(10_000).default(10),
    /** From submit to COMPLETED; past it the fal request is canceled and the job fails with `timeout`. */
    FAL_DEADLINE: duration.default(15 * 60_000),
    /** Longest a single fal HTTP call may take (a hung submit counts as an unknown outcome, never resent). */
    FAL_CALL_TIMEOUT: duration.default(30_000),
    /** false: every submit sends `X-Fal-Store-IO: 0`, so fal keeps no copy of the request's JSON. */
    FAL_STORE_IO: bool.default(false),
    /** fal's CDN deletes the output files this long after the run; Foley copies them to S3 long before. */
    FAL_OUTPUT_TTL: duration.default(24 * 3600_000),
    /** Sent as `X-Fal-Request-Timeout`: fal never starts a request that waited longer; the job fails `fal_start_timeout`. */
    FAL_START_TIMEOUT: duration
      .refine((ms) => ms >= 2_000, { message: 'must be at least 2s (fal counts it in whole seconds, > 1)' })
      .optional(),
    /**
     * Backoff of a job waiting out an S3 or Redis outage or fal's back-pressure (no attempt used; until
     * FAL_DEADLINE): the first and the largest delay.
     */
    WAIT_RETRY_FIRST: duration.default(2_000),
    WAIT_RETRY_MAX: duration.default(60_000),
    FAL_POLL_FIRST: duration.default(1_000),
    FAL_POLL_MAX: duration.default(10_000),
    /** A URL where fal can reach the API; when set fal's webhook wakes jobs and polling slows to a safety net. */
    FAL_WEBHOOK_BASE_URL: z.string().url().optional(),
    /**
     * With fal callbacks: how long a job whose submit answer was lost waits for fal's callback to name the
     * request (from the submit). Default FAL_DEADLINE + 2h15m: fal retries a callback 10 times over 2 h.
     */
    UNKNOWN_SUBMIT_WAIT: duration.optional(),
    /** Past UNKNOWN_SUBMIT_WAIT with no callback, submit again instead of failing (may pay twice). */
    RESUBMIT_UNKNOWN_SUBMITS: bool.default(false),
    /**
     * Copy each video (≤ 100 MB) into the bucket during preflight and give fal a presigned URL of the
     * checked copy, not the customer's URL (README, "Input pinning").
     */
    PIN_INPUTS: bool.default(true),
    URL_ALLOWLIST: csv.default([]),
    ...webhookEnv,
    /** Webhook deliveries one worker process runs at once, on their own queue (slow customers never slow dubbing). */
    WEBHOOK_CONCURRENCY: z.coerce.number().int().min(1).max(1000).default(20),
    /** Port of the worker's /metrics, /healthz and /readyz. 0 picks a free port. */
    METRICS_PORT: port.default(9464),
    /** Address the ops server listens on: loopback unless told otherwise (containers set 0.0.0.0). */
    HOST: z.string().min(1).default('127.0.0.1'),
    /** On SIGTERM, how long jobs that are uploading may take to finish before the worker exits anyway. */
    SHUTDOWN_GRACE: duration.default(30_000),
    /** BullMQ job lock: a worker that dies (kill -9) loses its jobs to others after about this long. */
    JOB_LOCK_DURATION: duration.default(30_000),
    /** How often workers look for stalled jobs (locks that expired) and put them back. */
    STALLED_INTERVAL: duration.default(30_000),
    /**
     * Stalls (its worker died or lost the lock) a job survives before it fails `internal_error`
     * "abandoned": a stall is a crashed worker, not a bad job, so it resumes its fal request; past this
     * many it is taken for a job that crashes workers.
     */
    MAX_STALLED_COUNT: z.coerce.number().int().min(1).max(100).default(3),
    LOG_LEVEL: logLevel,
    LOG_PRETTY: bool.default(false),
  })
  // One Redis topology, and a hash-tagged prefix on Cluster: checked in every process.
  .superRefine(checkRedisEnv)
  .superRefine((c, ctx) => {
    if (!c.FAL_ACCOUNTS && !c.FAL_KEY)
      ctx.addIssue({ code: 'custom', path: ['FAL_KEY'], message: 'is required (or set FAL_ACCOUNTS)' });
    const names = new Set((c.FAL_ACCOUNTS ?? [{ name: 'default' }]).map((a) => a.name));
    for (const [tenant, account] of Object.entries(c.TENANT_FAL_ACCOUNTS.byTenant)) {
      if (!names.has(account))
        ctx.addIssue({
          code: 'custom',
          path: ['TENANT_FAL_ACCOUNTS'],
          message: `tenant "${tenant}" maps to account "${account}", which FAL_ACCOUNTS does not list`,
        });
    }
  });

export interface FalAccountConfig {
  name: string;
  key: string;
  concurrency: number;
}

/** The configured fal accounts, in order (the first serves unmapped tenants). */
export function falAccountsOf(c: WorkerConfig): FalAccountConfig[] {
  return c.FAL_ACCOUNTS ?? [{ name: 'default', key: c.FAL_KEY as string, concurrency: c.FAL_CONCURRENCY }];
}

export type WorkerConfig = z.infer<typeof workerConfigSchema>;
