import { createReadyList } from '@foley/shared/dispatch/ready-entry';
import { newId } from '@foley/shared/ids';
import { foleyKeys } from '@foley/shared/infra/keys';
import type { RedisClient } from '@foley/shared/infra/redis';
import type { DubJobData, DubJobResult } from '@foley/shared/jobs/contract';
import { withModelDefaults } from '@foley/shared/jobs/model';
import { dubJobOptions, QUEUES } from '@foley/shared/queues/catalog';
import { Queue } from 'bullmq';

/** A job payload as Foley's API stores it, for a video at `videoUrl`. */
export function foleyJobData(videoUrl: string, extra: Partial<DubJobData> = {}): DubJobData {
  return {
    id: newId('job'),
    tenant: 'tenant-bench',
    input: withModelDefaults({ video_url: videoUrl, sound_effect_prompt: 'rain on a tin roof' }),
    created_at: new Date().toISOString(),
    ...extra,
  };
}

/** A result of the shape Foley's worker returns, for the bare worker to return (same bytes in Redis). */
export function sampleResult(jobId: string): DubJobResult {
  const object = (name: string, type: string, size: number) => ({
    bucket: 'foley-outputs',
    key: `jobs/${jobId}/${name}`,
    content_type: type,
    file_name: name,
    file_size: size,
    sha256: 'n4bQgYhMfWWaL+qgxVrQFaO/TxsrC4Is0V1sFbDwCgg=',
  });
  return {
    fal_request_id: '3f0c1e52-8a3b-4f6e-9a51-2d7e4c9b1a60',
    video: object('video.mp4', 'video/mp4', 1_234_567),
    audio: object('audio.mp3', 'audio/mpeg', 123_456),
  };
}

/** Enqueues `jobs` on the `dubbing` queue under `prefix` with Foley's job options, in one addBulk. */
export async function enqueue(
  redisUrl: string,
  prefix: string,
  jobs: Array<Record<string, unknown> & { id: string }>,
  /** Foley's way (parked, then listed for its fal dispatcher, as the API does), or a bare queue's. */
  foley?: { redis: RedisClient },
) {
  const queue = new Queue(QUEUES.dubbing.name, { connection: { url: redisUrl }, prefix });
  await queue.waitUntilReady();
  await queue.addBulk(
    jobs.map((data) => {
      const { delay: _parked, ...bare } = dubJobOptions(data.id, 6);
      return { name: QUEUES.dubbing.jobs.dub, data, opts: foley ? dubJobOptions(data.id, 6) : bare };
    }),
  );
  await queue.close();
  if (foley) {
    const ready = createReadyList({ redis: foley.redis, keys: foleyKeys(prefix) });
    const tickets = jobs.map((j) => ({ id: j.id, tenant: String(j.tenant) }));
    for (const tenant of new Set(tickets.map((t) => t.tenant)))
      await ready.add(
        tenant,
        tickets.filter((t) => t.tenant === tenant),
      );
  }
}

/**
 * Enqueues Foley jobs as the API does (parked, then listed for dispatch) through one queue connection,
 * batch after batch; `retentionSeconds` replaces the jobs' retention (days) with seconds, for a
 * time-compressed run.
 */
export async function createEnqueuer(
  redisUrl: string,
  prefix: string,
  redis: RedisClient,
  opts: { retentionSeconds?: number } = {},
) {
  const queue = new Queue(QUEUES.dubbing.name, { connection: { url: redisUrl }, prefix });
  await queue.waitUntilReady();
  const ready = createReadyList({ redis, keys: foleyKeys(prefix) });
  const retention = opts.retentionSeconds;
  return {
    async add(jobs: DubJobData[]) {
      await queue.addBulk(
        jobs.map((data) => {
          const options = dubJobOptions(data.id, 6);
          return {
            name: QUEUES.dubbing.jobs.dub,
            data,
            opts:
              retention === undefined
                ? options
                : { ...options, removeOnComplete: { age: retention }, removeOnFail: { age: retention } },
          };
        }),
      );
      for (const tenant of new Set(jobs.map((j) => j.tenant)))
        await ready.add(
          tenant,
          jobs.filter((j) => j.tenant === tenant).map((j) => ({ id: j.id, tenant })),
        );
    },
    close: () => queue.close(),
  };
}
