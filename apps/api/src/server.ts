import type { Server } from 'node:http';
import { composeOnJobFinished, type OnJobFinished } from '@foley/shared/job-finished';
import { createJobReader } from '@foley/shared/job-reader';
import type { DubJobData, DubJobResult } from '@foley/shared/jobs';
import { foleyKeys } from '@foley/shared/keys';
import type { Logger } from '@foley/shared/logger';
import { QUEUES } from '@foley/shared/queues';
import { createRedis } from '@foley/shared/redis';
import { createS3Client, createS3ObjectStore } from '@foley/shared/s3';
import { Queue } from 'bullmq';
import type { Router } from 'express';
import { createApp } from './app';
import type { ApiConfig } from './config';
import { parseApiKeys } from './middleware/auth';
import { healthRouter, readinessChecks } from './routes/health';
import { jobsRouter } from './routes/jobs';
import { createIdempotency } from './services/idempotency';
import { createJobsService } from './services/jobs-service';
import { createUrlPolicy } from './services/url-policy';

export interface RunningApi {
  url: string;
  port: number;
  close(): Promise<void>;
}

/** Builds every client and service of the API from its config, and serves it. */
export async function startApi(config: ApiConfig, logger: Logger): Promise<RunningApi> {
  const apiKeys = parseApiKeys(config.API_KEYS);
  const redis = createRedis(config.REDIS_URL, 'producer');
  const keys = foleyKeys(config.QUEUE_PREFIX);
  const s3 = createS3Client(config);
  const store = createS3ObjectStore({
    client: s3,
    bucket: config.S3_BUCKET,
    presignTtlSeconds: Math.round(config.S3_PRESIGN_TTL / 1000),
  });
  const dubbing = new Queue<DubJobData, DubJobResult>(QUEUES.dubbing.name, {
    connection: redis,
    prefix: config.QUEUE_PREFIX,
  });
  dubbing.on('error', (err) => logger.debug({ err: err.message }, 'queue connection error'));

  const reader = createJobReader({ queue: dubbing, redis, keys, store });
  const idempotency = createIdempotency({ redis, keys, ttlMs: config.IDEMPOTENCY_TTL });
  const urls = createUrlPolicy(config.URL_ALLOWLIST);
  const onJobFinished: OnJobFinished = composeOnJobFinished();
  const jobs = createJobsService({
    queue: dubbing,
    redis,
    keys,
    reader,
    idempotency,
    urls,
    onJobFinished,
    attempts: config.JOB_ATTEMPTS,
  });

  const publicRouters: Router[] = [healthRouter(readinessChecks(redis, store))];
  const apiRouters: Router[] = [jobsRouter({ jobs, idempotency, jsonLimit: config.JOB_BODY_LIMIT })];
  const app = createApp({ logger, redis, apiKeys, publicRouters, apiRouters });

  const server: Server = await new Promise((resolve, reject) => {
    const s = app.listen(config.PORT, config.HOST, () => resolve(s));
    s.once('error', reject);
  });
  server.keepAliveTimeout = 65_000;
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : config.PORT;
  const host = config.HOST === '0.0.0.0' ? '127.0.0.1' : config.HOST;

  return {
    url: `http://${host.includes(':') ? `[${host}]` : host}:${port}`,
    port,
    async close() {
      await new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeAllConnections();
      await dubbing.close().catch(() => {});
      redis.disconnect();
      s3.destroy();
    },
  };
}
