import type { FoleyKeys } from '@foley/shared/infra/keys';
import type { ObjectStore } from '@foley/shared/infra/object-store';
import type { RedisClient } from '@foley/shared/infra/redis';
import type { DubJobData, DubJobResult } from '@foley/shared/jobs/contract';
import { createJobSignalStore } from '@foley/shared/jobs/signals';
import { type JobSnapshot, type JobView, type QueueState, toJobView } from '@foley/shared/jobs/view';
import type { Queue } from 'bullmq';

/** A job canceled while queued is removed from BullMQ; this record keeps what GET shows afterwards. */
export interface CanceledJobRecord {
  data: DubJobData;
  attemptsMade: number;
  finishedOn: number;
}

export interface JobReader {
  /** The job's raw state, or undefined when it does not exist (or is past retention). */
  snapshot(id: string): Promise<JobSnapshot | undefined>;
  /** The job as GET /v1/jobs/:id shows it, output URLs freshly presigned. */
  view(id: string): Promise<JobView | undefined>;
}

/**
 * Reads jobs as clients see them, for the API (GET) and the worker (webhook bodies): BullMQ first, then
 * the canceled-job record. Output URLs are presigned on every read, so they are always fresh.
 */
export function createJobReader(deps: {
  queue: Queue<DubJobData, DubJobResult>;
  redis: RedisClient;
  keys: FoleyKeys;
  store: Pick<ObjectStore, 'presignGet'>;
}): JobReader {
  const signals = createJobSignalStore({ redis: deps.redis, keys: deps.keys });

  async function snapshot(id: string): Promise<JobSnapshot | undefined> {
    // State first, then the job: a job that finishes in between reads as still running (harmless), never
    // as finished with the data of before (attempts, result missing).
    const state = (await deps.queue.getJobState(id)) as QueueState;
    const job = state === 'unknown' ? undefined : await deps.queue.getJob(id);
    if (job) {
      const cancelRequested = await signals.isCancelRequested(id);
      return {
        data: job.data,
        state,
        progress: job.progress,
        attemptsMade: job.attemptsMade,
        processedOn: job.processedOn,
        finishedOn: job.finishedOn,
        returnvalue: job.returnvalue,
        failedReason: job.failedReason,
        cancelRequested,
      };
    }
    const record = await deps.redis.get(deps.keys.canceledJob(id));
    if (!record) return undefined;
    const canceled = JSON.parse(record) as CanceledJobRecord;
    return { ...canceled, state: 'failed', progress: undefined };
  }

  async function view(id: string): Promise<JobView | undefined> {
    const s = await snapshot(id);
    if (!s) return undefined;
    const result = s.state === 'completed' ? s.returnvalue : undefined;
    const urls = result
      ? {
          video: await deps.store.presignGet(result.video.key, { fileName: result.video.file_name }),
          audio: await deps.store.presignGet(result.audio.key, { fileName: result.audio.file_name }),
        }
      : undefined;
    return toJobView(s, urls);
  }

  return { snapshot, view };
}
