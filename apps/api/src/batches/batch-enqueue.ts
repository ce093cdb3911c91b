import type { BatchStore } from '@foley/shared/batches/store';
import type { ReadyList } from '@foley/shared/dispatch/ready-entry';
import type { CreateJobBody, DubJobData, DubJobResult } from '@foley/shared/jobs/contract';
import { dubJobOptions, QUEUES } from '@foley/shared/queues/catalog';
import type { Queue } from 'bullmq';

export const ENQUEUE_CHUNK = 500;
/** Chunks sent before the first of them is answered: Redis always has the next one waiting. */
export const CHUNKS_IN_FLIGHT = 3;

/**
 * Adds a batch's jobs in chunks: each chunk's ids go into the batch and tenant indexes beside its one
 * `addBulk` (parked; the index is read by id, so an id whose job is not there yet reads as expired
 * for a moment, never wrong), and once the add is answered the chunk is listed for the fal dispatcher
 * (which interleaves it with other tenants' work; a listed job always exists). Up to
 * `CHUNKS_IN_FLIGHT` chunks are on their way at once, so building the next chunk overlaps Redis adding
 * the last one instead of waiting three round trips per chunk. Records the ids sent in `added`, for
 * cleanup on failure; on the first failure no further chunk starts, and it throws once those in flight
 * have settled.
 */
export async function enqueueBatchJobs(deps: {
  queue: Queue<DubJobData, DubJobResult>;
  batches: BatchStore;
  ready: ReadyList;
  buildJobData: (tenant: string, body: CreateJobBody, extra: Partial<DubJobData>) => DubJobData;
  attempts: number;
  tenant: string;
  batchId: string;
  items: Array<{ index: number; body: CreateJobBody }>;
  added: string[];
  /** Fields every job of the batch shares (its acceptance time and reserved price). */
  shared?: Partial<DubJobData>;
  chunkSize?: number;
  inFlight?: number;
}): Promise<void> {
  const size = deps.chunkSize ?? ENQUEUE_CHUNK;
  const window = deps.inFlight ?? CHUNKS_IN_FLIGHT;
  const pending = new Set<Promise<void>>();
  let failure: { error: unknown } | undefined;
  const enqueueChunk = async (chunk: Array<{ index: number; body: CreateJobBody }>) => {
    const jobs = chunk.map(({ index, body }) =>
      deps.buildJobData(deps.tenant, body, { ...deps.shared, batch_id: deps.batchId, batch_index: index }),
    );
    deps.added.push(...jobs.map((j) => j.id));
    await Promise.all([
      deps.batches.addJobs(
        deps.batchId,
        deps.tenant,
        jobs.map((j) => j.id),
      ),
      deps.queue.addBulk(
        jobs.map((data) => ({
          name: QUEUES.dubbing.jobs.dub,
          data,
          opts: dubJobOptions(data.id, deps.attempts),
        })),
      ),
    ]);
    await deps.ready.add(deps.tenant, jobs);
  };
  for (let start = 0; start < deps.items.length && !failure; start += size) {
    const sent: Promise<void> = enqueueChunk(deps.items.slice(start, start + size)).then(
      () => void pending.delete(sent),
      (error: unknown) => {
        pending.delete(sent);
        failure ??= { error };
      },
    );
    pending.add(sent);
    if (pending.size >= window) await Promise.race(pending);
  }
  await Promise.all(pending);
  if (failure) throw failure.error;
}
