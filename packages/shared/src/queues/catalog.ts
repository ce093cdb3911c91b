import { PARK_MS } from '../dispatch/ready-entry';
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

/**
 * Options for every `dubbing` job, whoever adds it (single jobs, batches). It is added parked in
 * `delayed`: the fal dispatcher promotes it when a slot is its (dispatch/ready-entry.ts); `PARK_MS` is
 * only the safety net. Priority and fairness live in the ready list, not in BullMQ.
 */
export function dubJobOptions(jobId: string, attempts: number) {
  return {
    jobId,
    attempts,
    delay: PARK_MS,
    backoff: { type: FOLEY_BACKOFF, delay: 5_000 },
    removeOnComplete: { age: JOB_RETENTION.completedSeconds },
    removeOnFail: { age: JOB_RETENTION.failedSeconds },
  };
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
