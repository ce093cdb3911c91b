import { createBatchStore } from '@foley/shared/batches/store';
import { createBatchTracker } from '@foley/shared/batches/tracker';
import { createReadyList } from '@foley/shared/dispatch/ready-entry';
import { foleyKeys } from '@foley/shared/infra/keys';
import type { RedisClient } from '@foley/shared/infra/redis';
import { createRedis } from '@foley/shared/infra/redis';
import type { DubJobData, DubJobResult } from '@foley/shared/jobs/contract';
import type { JobView } from '@foley/shared/jobs/view';
import { QUEUES } from '@foley/shared/queues/catalog';
import { deleteKeys, resolveTestRedisUrl, testPrefix } from '@foley/testkit/redis';
import { Queue } from 'bullmq';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createIdempotency } from '../jobs/idempotency';
import { createJobsService } from '../jobs/jobs-service';
import { createUrlPolicy } from '../jobs/url-policy';
import { createBatchesService } from './batches-service';

let redis: RedisClient;
let queue: Queue<DubJobData, DubJobResult>;
const prefix = testPrefix('batch-intake');
const keys = foleyKeys(prefix);

beforeAll(async () => {
  redis = createRedis(await resolveTestRedisUrl(), 'producer');
  if (redis.status !== 'ready') await new Promise((resolve) => redis.once('ready', resolve));
  queue = new Queue(QUEUES.dubbing.name, { connection: redis, prefix });
});
afterAll(async () => {
  await queue.close();
  await deleteKeys(redis, prefix);
  redis.disconnect();
});

const store = {
  bucket: 'b',
  presignGet: async (key: string) => `http://127.0.0.1:9/${key}`,
  putText: async () => {},
};

/**
 * The queue as Redis sees it during an outage that starts half-way through an intake: the second
 * addBulk fails, and so does removing the first chunk's jobs (they stay queued, as they would).
 */
function failingHalfway(real: Queue<DubJobData, DubJobResult>) {
  let bulks = 0;
  return new Proxy(real, {
    get(target, prop, receiver) {
      if (prop === 'addBulk')
        return async (...args: Parameters<typeof real.addBulk>) => {
          if (++bulks === 2) throw new Error('Connection is closed.');
          return target.addBulk(...args);
        };
      if (prop === 'remove') return async () => Promise.reject(new Error('Connection is closed.'));
      return Reflect.get(target, prop, receiver);
    },
  });
}

describe('a batch whose intake dies half-way', () => {
  it('keeps total = the jobs that exist, and finishes when those end', async () => {
    const batches = createBatchStore({ redis, keys });
    const tracker = createBatchTracker({ redis, keys, store });
    const urls = createUrlPolicy(['127.0.0.1']);
    const idempotency = createIdempotency({ redis, keys, ttlMs: 60_000 });
    const jobs = createJobsService({
      queue,
      redis,
      keys,
      reader: {} as never,
      idempotency,
      urls,
      attempts: 1,
    } as never);
    const service = createBatchesService({
      queue: failingHalfway(queue),
      batches,
      ready: createReadyList({ redis, keys }),
      maxQueued: () => undefined,
      jobs,
      store,
      idempotency,
      urls,
      processing: async () => 0,
      tracker,
      attempts: 1,
      enqueueChunk: 3,
    });
    const items = Array.from({ length: 7 }, (_, index) => ({
      index,
      value: { video_url: `http://127.0.0.1:9/${index}.mp4` },
    }));
    await expect(
      service.create('tenant-x', { settings: {}, items, fingerprint: {} }, { atomic: false }),
    ).rejects.toThrow('Connection is closed');

    const ids = await redis.zrange(keys.tenantJobs('tenant-x'), 0, -1);
    const existing = (await Promise.all(ids.map((id) => queue.getJob(id)))).filter((j) => j !== undefined);
    // The three chunks (3 + 3 + 1 jobs) were in flight together (CHUNKS_IN_FLIGHT): the first and the
    // last ran, nothing can take them back; the second's addBulk failed, so its jobs never existed.
    expect(existing.map((j) => j.data.batch_index).sort()).toEqual([0, 1, 2, 6]);
    expect(ids).toHaveLength(4); // the second chunk's ids are not listed
    const batchId = existing[0]?.data.batch_id ?? '';
    const record = await batches.read(batchId);
    expect(record?.total).toBe(4);

    for (const job of existing) {
      await tracker.onJobFinished({
        id: job.data.id,
        batch_id: batchId,
        batch_index: job.data.batch_index,
        status: 'failed',
        error: { code: 'internal_error', message: 'x' },
      } as unknown as JobView);
    }
    const finished = await batches.read(batchId);
    expect(finished?.ended.failed).toBe(4);
    expect(finished?.emitted_at).toBeDefined();
    expect(finished?.manifest_key).toBeDefined();
  });
});
