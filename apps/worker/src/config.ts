import { bool, csv, duration, falEnv, logLevel, port, redisEnv, s3Env } from '@foley/shared/config';
import { z } from 'zod';

export const workerConfigSchema = z.object({
  ...redisEnv,
  ...s3Env,
  ...falEnv,
  /** Dubbing jobs one worker process runs at once (most of the time they wait on fal). */
  WORKER_CONCURRENCY: z.coerce.number().int().min(1).max(500).default(8),
  /** fal requests in flight across ALL workers (a fal account's concurrency limit). */
  FAL_CONCURRENCY: z.coerce.number().int().min(1).max(10_000).default(10),
  /** From submit to COMPLETED; past it the fal request is canceled and the job fails with `timeout`. */
  FAL_DEADLINE: duration.default(15 * 60_000),
  FAL_POLL_FIRST: duration.default(1_000),
  FAL_POLL_MAX: duration.default(10_000),
  /** A URL where fal can reach the API; when set fal's webhook wakes jobs and polling slows to a safety net. */
  FAL_WEBHOOK_BASE_URL: z.string().url().optional(),
  URL_ALLOWLIST: csv.default([]),
  /** Port of the worker's /metrics, /healthz and /readyz. 0 picks a free port. */
  METRICS_PORT: port.default(9464),
  /** On SIGTERM, how long jobs that are uploading may take to finish before the worker exits anyway. */
  SHUTDOWN_GRACE: duration.default(30_000),
  LOG_LEVEL: logLevel,
  LOG_PRETTY: bool.default(false),
});

export type WorkerConfig = z.infer<typeof workerConfigSchema>;
