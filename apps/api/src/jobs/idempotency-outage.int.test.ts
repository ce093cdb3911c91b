import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createReadyList } from '@foley/shared/dispatch/ready-entry';
import { foleyKeys } from '@foley/shared/infra/keys';
import { createRedis, type RedisClient } from '@foley/shared/infra/redis';
import type { DubJobData, DubJobResult } from '@foley/shared/jobs/contract';
import { QUEUES } from '@foley/shared/queues/catalog';
import { freePort } from '@foley/testkit/listen';
import { spawnRedisServer } from '@foley/testkit/redis';
import { Queue } from 'bullmq';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createIdempotency } from './idempotency';
import { createJobIntake, type JobIntake } from './job-intake';
import { createJobsService } from './jobs-service';
import { createUrlPolicy } from './url-policy';

// A Redis of its own, persisted with AOF (fsync always), that the test kills between the claim of an
// Idempotency-Key and the enqueue, then restarts in place: the claim survives the restart, as in production.
let dir: string;
let port: number;
let server: { url: string; stop(): void } | undefined;
let redis: RedisClient;
let queue: Queue<DubJobData, DubJobResult>;
const keys = foleyKeys('idem-outage');

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'foley-aof-'));
  port = await freePort();
  server = await spawnRedisServer({ port, aof: { dir, fsync: 'always' } });
  if (!server) throw new Error('this test needs redis-server on PATH (apt-get install redis-server)');
  redis = createRedis(server.url, 'producer');
  if (redis.status !== 'ready') await new Promise((resolve) => redis.once('ready', resolve));
  queue = new Queue(QUEUES.dubbing.name, { connection: redis, prefix: 'idem-outage' });
});
afterAll(async () => {
  await queue?.close().catch(() => {});
  redis?.disconnect();
  server?.stop();
  await rm(dir, { recursive: true, force: true });
});

describe('Idempotency-Key across a Redis restart', () => {
  it('a retry after the 503 is accepted as soon as Redis is back (not 409 for minutes)', async () => {
    let killOnAdd = true;
    const ready = createReadyList({ redis, keys });
    const real = createJobIntake({ queue, redis, keys, ready, attempts: 1 });
    const dyingIntake: JobIntake = {
      async enqueue(...args) {
        if (killOnAdd) {
          killOnAdd = false;
          server?.stop(); // Redis dies between the claim and the enqueue
          await new Promise((r) => setTimeout(r, 200));
        }
        return real.enqueue(...args);
      },
    };
    const jobs = createJobsService({
      queue,
      redis,
      keys,
      reader: { view: async (id: string) => (await queue.getJob(id)) && ({ id } as never) },
      idempotency: createIdempotency({ redis, keys, ttlMs: 24 * 3600_000 }),
      ready,
      maxQueued: () => undefined,
      urls: createUrlPolicy(['127.0.0.1']),
      attempts: 1,
      intake: dyingIntake,
    } as never);
    const body = { video_url: 'http://127.0.0.1:9/a.mp4' };

    await expect(jobs.create('t', body, 'key-1')).rejects.toThrow();
    server = await spawnRedisServer({ port, aof: { dir, fsync: 'always' } });

    // A client retrying as Retry-After tells it; bounded to 10 s (the abandoned-claim takeover needs 2 min).
    const deadline = Date.now() + 10_000;
    let outcome: unknown;
    while (Date.now() < deadline) {
      outcome = await jobs.create('t', body, 'key-1').catch((e: unknown) => e);
      if (!(outcome instanceof Error)) break;
      await new Promise((r) => setTimeout(r, 250));
    }
    expect(outcome).toMatchObject({ replayed: false });
    const id = (outcome as { job: { id: string } }).job.id;
    expect(await queue.getJob(id)).toBeDefined();
    // And the key now replays that job.
    expect(await jobs.create('t', body, 'key-1')).toMatchObject({ replayed: true, job: { id } });
  });
});
