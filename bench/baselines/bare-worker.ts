import { setTimeout as sleep } from 'node:timers/promises';
import { Worker } from 'bullmq';

/**
 * The orchestration baseline: a BullMQ worker whose processor only sleeps the model's time and returns
 * the job's prepared result. Everything Foley does around fal (preflight, submit, wait, copy) is what
 * the pair measures on top of this.
 */
export function startBareWorker(opts: {
  redisUrl: string;
  prefix: string;
  concurrency: number;
  modelMs: number;
  /** What every job returns (the shape of Foley's result, so both keep the same bytes in Redis). */
  result?: unknown;
}) {
  const worker = new Worker(
    'dubbing',
    async (job) => {
      await sleep(Number(job.data.bench_model_ms ?? opts.modelMs));
      return opts.result ?? null;
    },
    {
      connection: { url: opts.redisUrl, maxRetriesPerRequest: null },
      prefix: opts.prefix,
      concurrency: opts.concurrency,
    },
  );
  return { ready: worker.waitUntilReady(), close: () => worker.close() };
}
