import type { DubJobData, DubJobResult } from './jobs';

/** The job catalogue: every queue, its job names and payload types. API and worker import these. */
export const QUEUES = {
  dubbing: { name: 'dubbing', jobs: { dub: 'dub' } },
  webhooks: { name: 'webhooks', jobs: { deliver: 'deliver' } },
} as const;

export type QueueName = (typeof QUEUES)[keyof typeof QUEUES]['name'];

export interface QueuePayloads {
  dubbing: { data: DubJobData; result: DubJobResult };
}

/** Retention of finished jobs in Redis; GET /v1/jobs/:id answers 404 after this. */
export const JOB_RETENTION = {
  completedSeconds: 7 * 24 * 3600,
  failedSeconds: 30 * 24 * 3600,
} as const;

/** BullMQ backoff type whose delays the worker computes (exponential with jitter, honouring Retry-After). */
export const FOLEY_BACKOFF = 'foley';

/** Options for every `dubbing` job, whoever adds it (single jobs, batches). */
export function dubJobOptions(jobId: string, attempts: number) {
  return {
    jobId,
    attempts,
    backoff: { type: FOLEY_BACKOFF, delay: 5_000 },
    removeOnComplete: { age: JOB_RETENTION.completedSeconds },
    removeOnFail: { age: JOB_RETENTION.failedSeconds },
  };
}
