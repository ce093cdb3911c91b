import { PipelineError } from '@foley/shared/errors';
import type { RedisClient } from '@foley/shared/infra/redis';
import type { DubJobData, DubJobResult } from '@foley/shared/jobs/contract';
import { FOLEY_BACKOFF, QUEUES } from '@foley/shared/queues/catalog';
import { DelayedError, Job, type QueueBase, UnrecoverableError, Worker, type WorkerOptions } from 'bullmq';
import { backoffDelay } from './backoff';
import { failAbandonedJob, processDubJob } from './dub';
import type { DubDeps, DubJob } from './dub-deps';
import { JobDeferredError, JobReleasedError } from './job-control';

/** The BullMQ side of dubbing: adapts jobs for the processor and turns its outcomes into BullMQ moves. */
export function createDubbingWorker(opts: {
  connection: RedisClient;
  prefix: string;
  concurrency: number;
  deps: DubDeps;
  workerOptions?: Partial<WorkerOptions>;
}): Worker<DubJobData, DubJobResult> {
  const { deps } = opts;
  const worker: Worker<DubJobData, DubJobResult> = new Worker<DubJobData, DubJobResult>(
    QUEUES.dubbing.name,
    async (job, token): Promise<DubJobResult> => {
      // Validated, not replaced: a field added by a newer API must survive this worker's updateData.
      const parsed = QUEUES.dubbing.data.safeParse(job.data);
      if (!parsed.success) throw new UnrecoverableError(`malformed dubbing job: ${parsed.error.message}`);
      try {
        return await processDubJob(asDubJob(job, worker), deps);
      } catch (error) {
        if (error instanceof JobDeferredError || error instanceof JobReleasedError) {
          const delay = error instanceof JobDeferredError ? error.delayMs : 0;
          await job.moveToDelayed(Date.now() + delay, token);
          if (error instanceof JobDeferredError && (await error.recheck?.()))
            await job.promote().catch(() => {});
          throw new DelayedError();
        }
        if (error instanceof PipelineError && !error.retryable) throw new UnrecoverableError(error.message);
        throw error;
      }
    },
    {
      connection: opts.connection,
      prefix: opts.prefix,
      concurrency: opts.concurrency,
      settings: { backoffStrategy: foleyBackoff },
      ...opts.workerOptions,
    },
  );
  worker.on('failed', (job, error) => {
    // A deferred failure (stalled too often) never reached the processor, which reports every other end.
    if (!job?.deferredFailure) return;
    failAbandonedJob(asDubJob(job, worker), error.message, deps).catch((e: unknown) =>
      deps.logger.error({ job_id: job.id, err: e }, 'could not report an abandoned job'),
    );
  });
  return worker;
}

/** BullMQ calls this for jobs whose backoff type is `foley`: a server's Retry-After wins over the curve. */
export function foleyBackoff(attemptsMade: number, type?: string, error?: Error): number {
  if (type !== FOLEY_BACKOFF) return 5_000;
  const retryAfterMs = error instanceof PipelineError ? error.retryAfterMs : undefined;
  return backoffDelay(attemptsMade, { baseMs: 5_000, maxMs: 10 * 60_000, retryAfterMs });
}

/** `queue` (the worker, or a Queue of the same name and prefix) reads the job's data back from Redis. */
export function asDubJob(job: Job<DubJobData, DubJobResult>, queue: QueueBase): DubJob {
  return {
    id: job.id as string,
    get data() {
      return job.data;
    },
    attemptsMade: job.attemptsMade,
    maxAttempts: job.opts.attempts ?? 1,
    get hasProgress() {
      // BullMQ reads an unset progress as 0.
      return typeof job.progress === 'object' && job.progress !== null;
    },
    updateData: (data) => job.updateData(data),
    updateProgress: (progress) => job.updateProgress(progress),
    recordedResult: async () => (await Job.fromId<DubJobData>(queue, job.id as string))?.data.result,
  };
}
