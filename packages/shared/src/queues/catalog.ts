import { dubJobDataSchema, dubJobResultSchema } from '../jobs/contract';
import { webhookJobDataSchema } from '../webhooks/events';

/**
 * The job catalogue: every queue, its job names, the schema of its data and result, its options and its
 * backoff. API and worker import these; both workers parse job data with the schema named here.
 */
export const QUEUES = {
  dubbing: {
    name: 'dubbing',
    jobs: { dub: 'dub' },
    data: dubJobDataSchema,
    result: dubJobResultSchema,
  },
  webhooks: {
    name: 'webhooks',
    jobs: { deliver: 'deliver' },
    data: webhookJobDataSchema,
  },
} as const;

/** Retention of finished jobs in Redis; GET /v1/jobs/:id answers 404 after this. */
export const JOB_RETENTION = {
  completedSeconds: 7 * 24 * 3600,
  failedSeconds: 30 * 24 * 3600,
} as const;

/** BullMQ backoff type whose delays the worker computes (exponential with jitter, honouring Retry-After). */
export const FOLEY_BACKOFF = 'foley';

/** Options for every `dubbing` job, whoever adds it (single jobs, batches). */
export function dubJobOptions(jobId: string, attempts: number, priority?: number) {
  return {
    jobId,
    attempts,
    ...(priority ? { priority } : {}),
    backoff: { type: FOLEY_BACKOFF, delay: 5_000 },
    removeOnComplete: { age: JOB_RETENTION.completedSeconds },
    removeOnFail: { age: JOB_RETENTION.failedSeconds },
  };
}

/** BullMQ's highest allowed priority number (the lowest priority). */
const PRIORITY_LIMIT = 2 ** 21 - 1;

/**
 * Fairness between tenants: BullMQ runs jobs without a priority first, then lower numbers first (FIFO
 * within a number). Single jobs carry none (or 1); a batch's jobs get 1 + ceil(log2(size + 1)), so a
 * single job or a small batch submitted after a 10,000-item batch overtakes its backlog instead of
 * waiting behind it, while big batches still run in order of arrival among themselves.
 */
export function batchPriority(size: number): number {
  return Math.min(PRIORITY_LIMIT, 1 + Math.ceil(Math.log2(Math.max(1, size) + 1)));
}

/** BullMQ backoff type of `webhooks` jobs; the webhook worker's strategy reads the retry schedule. */
export const WEBHOOK_BACKOFF = 'foley-webhook';

/** Options of a `webhooks` job: first try plus one per schedule entry; kept like the jobs it reports. */
export function webhookJobOptions(queueJobId: string, schedule: readonly number[]) {
  return {
    jobId: queueJobId,
    attempts: schedule.length + 1,
    backoff: { type: WEBHOOK_BACKOFF },
    removeOnComplete: { age: JOB_RETENTION.completedSeconds },
    removeOnFail: { age: JOB_RETENTION.failedSeconds },
  };
}
