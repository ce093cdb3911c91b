import type { BatchStore } from '@foley/shared/batches/store';
import { readAccounts } from '@foley/shared/dispatch/account-state';
import type { FoleyKeys } from '@foley/shared/infra/keys';
import type { RedisClient } from '@foley/shared/infra/redis';
import type { Queue } from 'bullmq';

/** At most this many running jobs are looked at; past it `processing` is a lower bound. */
const RUNNING_SAMPLE = 1_000;

/**
 * How many of a batch's open jobs are running: those a worker holds (BullMQ `active`) or that hold a
 * slot of any fal account (waiting on fal between polls, parked in `delayed`). Both sets are bounded by the worker and
 * fal concurrency, not by the batch size, so this stays cheap for a 10,000-item batch.
 */
export function createBatchProgress(deps: {
  queue: Pick<Queue, 'getRanges'>;
  redis: RedisClient;
  keys: FoleyKeys;
  batches: BatchStore;
}) {
  return async function processing(batchId: string): Promise<number> {
    const accounts = await readAccounts(deps.redis, deps.keys);
    const [active, ...holding] = await Promise.all([
      deps.queue.getRanges(['active'], 0, RUNNING_SAMPLE - 1),
      ...accounts.map((a) => deps.redis.zrange(deps.keys.falSlots(a.name), 0, RUNNING_SAMPLE - 1)),
    ]);
    const running = [...new Set([...active, ...holding.flat()])];
    return deps.batches.countMembers(batchId, running);
  };
}
