import type { RedisClient } from '@foley/shared/infra/redis';
import { QUEUES, WEBHOOK_BACKOFF } from '@foley/shared/queues/catalog';
import type { WebhookJobData } from '@foley/shared/webhooks/events';
import { webhookRetryDelay } from '@foley/shared/webhooks/retry-schedule';
import { type BackoffStrategy, UnrecoverableError, Worker, type WorkerOptions } from 'bullmq';
import { type DeliverWebhookDeps, deliverWebhook, WebhookAttemptError } from './deliver-webhook';

/**
 * The BullMQ Worker of the `webhooks` queue: its own Worker and concurrency, so deliveries that hang until
 * their timeout never take a slot from dubbing.
 */
export function createWebhookWorker(opts: {
  connection: RedisClient;
  prefix: string;
  concurrency: number;
  /** Retry delays (ms) for jobs that do not carry their own. */
  schedule: readonly number[];
  deps: DeliverWebhookDeps;
  workerOptions?: Partial<WorkerOptions>;
}): Worker<WebhookJobData, { status_code: number }> {
  return new Worker<WebhookJobData, { status_code: number }>(
    QUEUES.webhooks.name,
    async (job) => {
      const parsed = QUEUES.webhooks.data.safeParse(job.data);
      if (!parsed.success) throw new UnrecoverableError(`malformed webhook job: ${parsed.error.message}`);
      try {
        return await deliverWebhook(
          { data: parsed.data, attemptsMade: job.attemptsMade, maxAttempts: job.opts.attempts ?? 1 },
          opts.deps,
        );
      } catch (error) {
        if (error instanceof WebhookAttemptError && !error.retryable)
          throw new UnrecoverableError(error.message);
        throw error;
      }
    },
    {
      connection: opts.connection,
      prefix: opts.prefix,
      concurrency: opts.concurrency,
      settings: { backoffStrategy: webhookBackoff(opts.schedule) },
      ...opts.workerOptions,
    },
  );
}

/** BullMQ calls this with attemptsMade = 1 after the first failure: schedule[0], schedule[1], … */
export function webhookBackoff(fallback: readonly number[]): BackoffStrategy {
  return (attemptsMade, type, _error, job) => {
    if (type !== WEBHOOK_BACKOFF) return 5_000;
    const own = QUEUES.webhooks.data.shape.retry_schedule_ms.safeParse(job?.data?.retry_schedule_ms);
    const schedule = own.success && own.data && own.data.length > 0 ? own.data : fallback;
    return webhookRetryDelay(schedule, attemptsMade);
  };
}
