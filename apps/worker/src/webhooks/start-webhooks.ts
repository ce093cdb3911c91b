import { foleyKeys } from '@foley/shared/infra/keys';
import type { Logger } from '@foley/shared/infra/logger';
import type { RedisClient } from '@foley/shared/infra/redis';
import type { OnJobFinished } from '@foley/shared/jobs/finished';
import { QUEUES } from '@foley/shared/queues/catalog';
import type { Allowlist } from '@foley/shared/ssrf/url-guard';
import type { WebhookJobData } from '@foley/shared/webhooks/events';
import { createWebhookProducer, type WebhookProducer } from '@foley/shared/webhooks/producer';
import { createWebhookStore, type WebhookAttemptOutcome } from '@foley/shared/webhooks/store';
import { Queue } from 'bullmq';
import { createGuardedFetch } from '../clients/http-fetch';
import type { WorkerConfig } from '../config';
import { createWebhookWorker } from './webhook-worker';

export interface RunningWebhooks {
  /** Enqueues `job.<status>` for finished jobs that have a webhook_url (compose into OnJobFinished). */
  onJobFinished: OnJobFinished;
  /** The producer's emit (batches send `batch.completed` through it). */
  emit: WebhookProducer['emit'];
  close(): Promise<void>;
}

/**
 * The worker's webhook side: a producer for the events its jobs emit and a delivery Worker on the
 * `webhooks` queue. Without WEBHOOK_SECRET events are still recorded and queued, but not delivered here.
 */
export async function startWebhooks(opts: {
  config: Pick<
    WorkerConfig,
    | 'QUEUE_PREFIX'
    | 'WEBHOOK_SECRET'
    | 'WEBHOOK_RETRY_SCHEDULE'
    | 'WEBHOOK_TIMEOUT'
    | 'WEBHOOK_CONCURRENCY'
    | 'JOB_LOCK_DURATION'
    | 'STALLED_INTERVAL'
  >;
  connection: RedisClient;
  allowlist: Allowlist;
  logger: Logger;
  onOutcome?: (outcome: WebhookAttemptOutcome) => void;
}): Promise<RunningWebhooks> {
  const { config, connection, logger } = opts;
  const store = createWebhookStore({ redis: connection, keys: foleyKeys(config.QUEUE_PREFIX) });
  const queue = new Queue<WebhookJobData>(QUEUES.webhooks.name, { connection, prefix: config.QUEUE_PREFIX });
  queue.on('error', (err) => logger.debug({ err: err.message }, 'webhooks queue connection error'));
  const producer = createWebhookProducer({ queue, store, schedule: config.WEBHOOK_RETRY_SCHEDULE });

  const secrets = config.WEBHOOK_SECRET ?? [];
  const fetch = createGuardedFetch({ allowlist: opts.allowlist });
  const worker =
    secrets.length === 0
      ? undefined
      : createWebhookWorker({
          connection,
          prefix: config.QUEUE_PREFIX,
          concurrency: config.WEBHOOK_CONCURRENCY,
          schedule: config.WEBHOOK_RETRY_SCHEDULE,
          deps: {
            fetch,
            store,
            secrets,
            timeoutMs: config.WEBHOOK_TIMEOUT,
            ...(opts.onOutcome ? { onOutcome: opts.onOutcome } : {}),
          },
          workerOptions: { lockDuration: config.JOB_LOCK_DURATION, stalledInterval: config.STALLED_INTERVAL },
        });
  if (worker) {
    worker.on('error', (err) => logger.warn({ err: err.message }, 'webhook worker connection error'));
    await worker.waitUntilReady();
  } else {
    logger.warn('WEBHOOK_SECRET is not set: webhook events are queued but this worker does not deliver them');
  }

  return {
    onJobFinished: producer.onJobFinished,
    emit: producer.emit,
    async close() {
      await worker?.close();
      await queue.close().catch(() => {});
      await fetch.close().catch(() => {});
    },
  };
}
