import type { BatchStore } from '@foley/shared/batches/store';
import type { ReadyList } from '@foley/shared/dispatch/ready-entry';
import type { CreateJobBody, DubJobData, DubJobResult } from '@foley/shared/jobs/contract';
import { dubJobOptions, QUEUES } from '@foley/shared/queues/catalog';
import type { Queue } from 'bullmq';

export const ENQUEUE_CHUNK = 500;

/**
 * Adds a batch's jobs in chunks: ids go into the batch and tenant indexes first, then one `addBulk` per
 * chunk (parked), then the chunk is listed for the fal dispatcher (which interleaves it with other
 * tenants' work). Records the ids added in `added`, for cleanup on failure.
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
}): Promise<void> {
  for (let start = 0; start < deps.items.length; start += ENQUEUE_CHUNK) {
    const chunk = deps.items.slice(start, start + ENQUEUE_CHUNK);
    const jobs = chunk.map(({ index, body }) =>
      deps.buildJobData(deps.tenant, body, { ...deps.shared, batch_id: deps.batchId, batch_index: index }),
    );
    const ids = jobs.map((j) => j.id);
    await deps.batches.addJobs(deps.batchId, deps.tenant, ids);
    deps.added.push(...ids);
    await deps.queue.addBulk(
      jobs.map((data) => ({
        name: QUEUES.dubbing.jobs.dub,
        data,
        opts: dubJobOptions(data.id, deps.attempts),
      })),
    );
    await deps.ready.add(deps.tenant, jobs);
  }
}
