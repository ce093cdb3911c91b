import { composeOnJobFinished, type OnJobFinished } from '@foley/shared/job-finished';
import { foleyKeys } from '@foley/shared/keys';
import type { Logger } from '@foley/shared/logger';
import { createRedis } from '@foley/shared/redis';
import { createS3Client, createS3ObjectStore } from '@foley/shared/s3';
import { parseAllowlist } from '@foley/shared/url-guard';
import { createDownloader } from './clients/download';
import { createFalGateway } from './clients/fal';
import { createGuardedFetch } from './clients/http-fetch';
import type { WorkerConfig } from './config';
import { createDubbingWorker } from './dubbing-worker';
import { createFalSlots } from './fal-slots';
import { finishedView } from './finished-view';
import { createJobSignals } from './job-signals';
import { createPreflight } from './preflight/preflight';
import type { DubDeps } from './processors/dub-deps';

export interface RunningWorker {
  /** Stops taking jobs, hands back jobs waiting on fal, lets uploads finish (up to the grace period). */
  close(): Promise<void>;
}

/** Builds every client of a worker process from its config and starts consuming `dubbing`. */
export async function startWorker(
  config: WorkerConfig,
  logger: Logger,
  hooks: { onJobFinished?: OnJobFinished } = {},
): Promise<RunningWorker> {
  const redis = createRedis(config.REDIS_URL, 'worker');
  const subscriber = createRedis(config.REDIS_URL, 'worker');
  const keys = foleyKeys(config.QUEUE_PREFIX);
  const s3 = createS3Client(config);
  const store = createS3ObjectStore({
    client: s3,
    bucket: config.S3_BUCKET,
    presignTtlSeconds: Math.round(config.S3_PRESIGN_TTL / 1000),
  });
  const allowlist = parseAllowlist(config.URL_ALLOWLIST);
  const guardedFetch = createGuardedFetch({ allowlist });
  const shutdown = new AbortController();
  const onJobFinished = composeOnJobFinished(hooks.onJobFinished);
  const webhookBase = config.FAL_WEBHOOK_BASE_URL?.replace(/\/+$/, '');

  const deps: DubDeps = {
    fal: createFalGateway({
      falKey: config.FAL_KEY,
      baseUrl: config.FAL_BASE_URL,
      callTimeoutMs: config.FAL_CALL_TIMEOUT,
    }),
    store,
    download: createDownloader(),
    preflight: createPreflight({ fetch: guardedFetch }),
    slots: createFalSlots({ redis, key: keys.falSlots(), limit: config.FAL_CONCURRENCY }),
    signals: createJobSignals(subscriber, keys.jobEvents),
    isCancelRequested: async (jobId) => (await redis.exists(keys.cancelRequested(jobId))) === 1,
    clearCancelRequest: async (jobId) => void (await redis.del(keys.cancelRequested(jobId))),
    onFinished: async (job, outcome) => onJobFinished(await finishedView(job, outcome, store, Date.now())),
    shutdown: shutdown.signal,
    logger,
    now: Date.now,
    config: {
      deadlineMs: config.FAL_DEADLINE,
      pollFirstMs: config.FAL_POLL_FIRST,
      pollMaxMs: config.FAL_POLL_MAX,
      ...(webhookBase ? { falWebhookUrl: (jobId: string) => `${webhookBase}/v1/fal/webhook?job_id=${jobId}` } : {}),
      slotRetryMs: 2_000,
      maxStatusErrors: 5,
    },
  };

  const worker = createDubbingWorker({
    connection: redis,
    prefix: config.QUEUE_PREFIX,
    concurrency: config.WORKER_CONCURRENCY,
    deps,
    workerOptions: {
      lockDuration: config.JOB_LOCK_DURATION,
      stalledInterval: config.STALLED_INTERVAL,
      // A stall is a crashed worker, not a bad job: the job resumes its fal request; give it room.
      maxStalledCount: 3,
    },
  });
  worker.on('error', (err) => logger.warn({ err: err.message }, 'worker connection error'));
  await worker.waitUntilReady();

  return {
    async close() {
      shutdown.abort();
      const grace = new Promise<'timeout'>((resolve) =>
        setTimeout(() => resolve('timeout'), config.SHUTDOWN_GRACE).unref(),
      );
      const outcome = await Promise.race([worker.close().then(() => 'closed' as const), grace]);
      if (outcome === 'timeout') {
        logger.warn('grace period over; jobs still running will be recovered as stalled by another worker');
        await worker.close(true);
      }
      await deps.signals.close();
      redis.disconnect();
      subscriber.disconnect();
      s3.destroy();
    },
  };
}
