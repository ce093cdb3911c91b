import type { FoleyKeys } from '@foley/shared/infra/keys';
import type { RedisClient } from '@foley/shared/infra/redis';
import type { WebhookJobData } from '@foley/shared/webhooks/events';
import { createWebhookProducer } from '@foley/shared/webhooks/producer';
import { createWebhookStore } from '@foley/shared/webhooks/store';
import type { Queue } from 'bullmq';
import type { Router } from 'express';
import type { ApiConfig } from '../config';
import type { JobsService } from '../jobs/jobs-service';
import { jobWebhooksRouter } from './job-webhooks-routes';

/**
 * The API's outbound webhook side: the producer (events the API emits: cancels of queued jobs,
 * redeliveries, batches) and the /v1 routes listing a job's events.
 */
export function createApiWebhooks(deps: {
  /** The `webhooks` queue (the server also shows it in the dashboard and metrics). */
  queue: Queue<WebhookJobData>;
  redis: RedisClient;
  keys: FoleyKeys;
  config: Pick<ApiConfig, 'WEBHOOK_RETRY_SCHEDULE'>;
}) {
  const { queue, redis, keys, config } = deps;
  const store = createWebhookStore({ redis, keys });
  const producer = createWebhookProducer({ queue, store, schedule: config.WEBHOOK_RETRY_SCHEDULE });

  return {
    onJobFinished: producer.onJobFinished,
    emit: producer.emit,
    /** Behind the API key: GET /v1/jobs/:id/webhooks, POST …/:event_id/redeliver. */
    jobWebhooksRouter: (jobs: Pick<JobsService, 'get'>): Router =>
      jobWebhooksRouter({ jobs, store, producer }),
  };
}
