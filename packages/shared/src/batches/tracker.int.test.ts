import { deleteKeys, resolveTestRedisUrl, testPrefix } from '@foley/testkit/redis';
import { startTestS3, type TestS3 } from '@foley/testkit/s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { newId } from '../ids';
import { foleyKeys } from '../infra/keys';
import type { ObjectStore } from '../infra/object-store';
import { createRedis, type RedisClient } from '../infra/redis';
import { createS3ObjectStore } from '../infra/s3';
import type { JobView } from '../jobs/view';
import { type BatchView, type ManifestLine, manifestKey } from './contract';
import { createBatchStore } from './store';
import { createBatchTracker, type EmitBatchEvent } from './tracker';

let redis: RedisClient;
let s3: TestS3;
let store: ObjectStore;
const prefix = testPrefix('batch-tracker');
const keys = foleyKeys(prefix);

beforeAll(async () => {
  redis = createRedis(await resolveTestRedisUrl(), 'worker');
  s3 = await startTestS3();
  store = createS3ObjectStore({ client: s3.client, bucket: await s3.createBucket(), presignTtlSeconds: 600 });
});
afterAll(async () => {
  await deleteKeys(redis, prefix);
  redis.disconnect();
  await s3.close();
});

const STATUSES = ['completed', 'failed', 'canceled'] as const;

/** A batch of `n` jobs in Redis, and the final views its jobs would report (status by index mod 3). */
async function makeBatch(n: number, webhook = true) {
  const batches = createBatchStore({ redis, keys });
  const id = newId('bat');
  await batches.create(
    {
      id,
      tenant: 'acme',
      total: n,
      created_at: new Date().toISOString(),
      ...(webhook ? { webhook_url: 'https://hooks.example.com/b' } : {}),
    },
    { received: n, rejected: [] },
  );
  const views: JobView[] = Array.from({ length: n }, (_, index) => {
    const jobId = newId('job');
    const status = STATUSES[index % 3] as (typeof STATUSES)[number];
    const view: JobView = {
      id: jobId,
      object: 'job',
      status,
      input: {
        video_url: `https://v/${index}.mp4`,
        sound_effect_prompt: 'a',
        background_music_prompt: 'b',
        asmr_mode: false,
      },
      batch_id: id,
      batch_index: index,
      attempts: 1,
      created_at: new Date().toISOString(),
    };
    if (status === 'completed') {
      const file = (key: string) => ({
        bucket: 'out',
        key,
        content_type: 'x',
        file_name: 'f',
        file_size: 1,
        sha256: 's',
        url: 'https://signed',
      });
      view.output = { video: file(`jobs/${jobId}/video.mp4`), audio: file(`jobs/${jobId}/audio.mp3`) };
    } else {
      view.error = { code: status === 'failed' ? 'model_error' : 'canceled', message: `${status} ${index}` };
    }
    return view;
  });
  await batches.addJobs(
    id,
    'acme',
    views.map((v) => v.id),
  );
  return { id, views, batches };
}

const recordingEmit = () => {
  const events: Array<Parameters<EmitBatchEvent>[0]> = [];
  const emit: EmitBatchEvent = async (event) => {
    events.push(event);
  };
  return { emit, events };
};

async function readManifest(id: string): Promise<ManifestLine[]> {
  const text = await (await fetch(await store.presignGet(manifestKey(id)))).text();
  return text
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as ManifestLine);
}

describe('batch tracker', () => {
  it('counts each job once under concurrent duplicate reports, and finishes exactly once', async () => {
    const { id, views, batches } = await makeBatch(60);
    const { emit, events } = recordingEmit();
    // Two processes (worker and API) reporting every job, each job twice, all at once.
    const worker = createBatchTracker({ redis, keys, store, emit });
    const api = createBatchTracker({ redis, keys, store, emit });
    const reports = views.flatMap((v) => [
      worker.onJobFinished(v),
      api.onJobFinished(v),
      worker.onJobFinished(v),
    ]);
    await Promise.all(reports);

    const record = await batches.read(id);
    expect(record?.ended).toEqual({ completed: 20, failed: 20, canceled: 20 });
    expect(record?.finished_at).toBeTruthy();
    expect(record?.manifest_key).toBe(manifestKey(id));
    expect(events).toHaveLength(1);
    const event = events[0] as Parameters<EmitBatchEvent>[0];
    expect(event.type).toBe('batch.completed');
    expect(event.target_url).toBe('https://hooks.example.com/b');
    expect(event.resource).toEqual({ kind: 'batch', id, tenant: 'acme' });
    const data: BatchView = event.data;
    expect(data).toMatchObject({
      id,
      status: 'completed',
      total: 60,
      percent: 100,
      counts: { queued: 0, processing: 0, completed: 20, failed: 20, canceled: 20 },
      manifest: { bucket: store.bucket, key: manifestKey(id) },
    });

    const lines = await readManifest(id);
    expect(lines.map((l) => l.index)).toEqual(views.map((_, i) => i));
    for (const [i, line] of lines.entries()) {
      const view = views[i] as JobView;
      expect(line.job_id).toBe(view.id);
      expect(line.status).toBe(view.status);
      if (view.status === 'completed') {
        expect(line.video).toEqual({ bucket: 'out', key: `jobs/${view.id}/video.mp4` });
        expect(line.audio).toEqual({ bucket: 'out', key: `jobs/${view.id}/audio.mp3` });
        expect(line.error).toBeUndefined();
      } else {
        expect(line.error).toEqual(view.error);
        expect(line.video).toBeUndefined();
      }
    }
  });

  it('does not finish before the last job, and ignores jobs of no batch or an unknown batch', async () => {
    const { id, views, batches } = await makeBatch(3);
    const { emit, events } = recordingEmit();
    const tracker = createBatchTracker({ redis, keys, store, emit });
    await tracker.onJobFinished(views[0] as JobView);
    await tracker.onJobFinished(views[1] as JobView);
    expect(events).toHaveLength(0);
    expect((await batches.read(id))?.finished_at).toBeUndefined();
    await tracker.onJobFinished({ ...(views[0] as JobView), batch_id: newId('bat') });
    const { batch_id: _, ...loose } = views[1] as JobView;
    await tracker.onJobFinished(loose);
    expect((await batches.read(id))?.ended).toEqual({ completed: 1, failed: 1, canceled: 0 });
    await tracker.onJobFinished(views[2] as JobView);
    expect(events).toHaveLength(1);
  });

  it('retries the end after a failed emit when the last job is reported again (crash recovery)', async () => {
    const { id, views, batches } = await makeBatch(2);
    let calls = 0;
    const emit: EmitBatchEvent = async () => {
      calls++;
      if (calls === 1) throw new Error('webhook queue down');
    };
    const tracker = createBatchTracker({ redis, keys, store, emit });
    await tracker.onJobFinished(views[0] as JobView);
    await expect(tracker.onJobFinished(views[1] as JobView)).rejects.toThrow('webhook queue down');
    expect((await batches.read(id))?.emitted_at).toBeUndefined();
    await tracker.onJobFinished(views[1] as JobView); // the worker retries the job, which reports again
    expect(calls).toBe(2);
    const record = await batches.read(id);
    expect(record?.emitted_at).toBeTruthy();
    expect(record?.ended).toEqual({ completed: 1, failed: 1, canceled: 0 });
    await tracker.onJobFinished(views[1] as JobView);
    expect(await tracker.finish(id)).toBe(false);
    expect(calls).toBe(2);
  });

  it('writes the manifest without emitting when the batch has no webhook', async () => {
    const { id, views, batches } = await makeBatch(2, false);
    const { emit, events } = recordingEmit();
    const tracker = createBatchTracker({ redis, keys, store, emit });
    await Promise.all(views.map((v) => tracker.onJobFinished(v)));
    expect(events).toHaveLength(0);
    expect((await batches.read(id))?.manifest_key).toBe(manifestKey(id));
    expect(await readManifest(id)).toHaveLength(2);
  });
});
