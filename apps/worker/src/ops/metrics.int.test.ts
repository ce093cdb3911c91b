import { Readable } from 'node:stream';
import { PipelineError } from '@foley/shared/errors';
import { createMetrics } from '@foley/shared/infra/metrics';
import { createRedis, type RedisClient } from '@foley/shared/infra/redis';
import { createS3ObjectStore, ensureBucket } from '@foley/shared/infra/s3';
import type { DubJobData } from '@foley/shared/jobs/contract';
import { QUEUES } from '@foley/shared/queues/catalog';
import { parsePrometheusText, sampleValue } from '@foley/testkit/prometheus-text';
import { deleteKeys, resolveTestRedisUrl, testPrefix } from '@foley/testkit/redis';
import { localS3Client, startLocalS3Server } from '@foley/testkit/s3';
import { Queue, QueueEvents } from 'bullmq';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { fakeDeps } from '../../test/dub-fakes';
import type { FalGateway, FalQueueStatus } from '../clients/fal';
import { dubMetrics, instrumentFal } from '../dubbing/dub-metrics';
import { createDubbingWorker } from '../dubbing/dubbing-worker';

let redis: RedisClient;
let prefix: string;

beforeAll(async () => {
  redis = createRedis(await resolveTestRedisUrl(), 'worker');
  prefix = testPrefix('metrics');
});
afterAll(async () => {
  await deleteKeys(redis, prefix);
  redis.disconnect();
});

/** A fal whose every request goes IN_QUEUE → IN_PROGRESS → COMPLETED. */
function scriptedFal(): FalGateway {
  const polls = new Map<string, number>();
  const script: FalQueueStatus[] = [
    { status: 'IN_QUEUE', queuePosition: 0 },
    { status: 'IN_PROGRESS' },
    { status: 'COMPLETED' },
  ];
  let submits = 0;
  return {
    submit: async () => `req-${++submits}`,
    status: async (id) => {
      const n = polls.get(id) ?? 0;
      polls.set(id, n + 1);
      return script[Math.min(n, script.length - 1)]!;
    },
    result: async () => ({
      video: { url: 'https://fal.example/v.mp4', content_type: 'video/mp4', file_name: 'v.mp4' },
      audio: { url: 'https://fal.example/a.mp3', content_type: 'audio/mpeg', file_name: 'a.mp3' },
    }),
    cancel: async () => {},
  };
}

const jobData = (id: string, video = 'ok'): DubJobData => ({
  id,
  tenant: 'acme',
  created_at: new Date().toISOString(),
  input: {
    video_url: `https://v.example/${video}.mp4`,
    sound_effect_prompt: 's',
    background_music_prompt: 'm',
    asmr_mode: false,
  },
});

it('reports a known set of jobs: outcomes, retries, phases, fal calls and queue depth', async () => {
  const metrics = createMetrics({ service: 'worker', processMetrics: false });
  const seam = dubMetrics(metrics);
  let flaky = 0;
  const { deps } = fakeDeps({
    fal: instrumentFal(scriptedFal(), seam),
    metrics: seam,
    preflight: async (url) => {
      if (url.endsWith('/long.mp4'))
        throw new PipelineError('video_too_long', 'video is 31 s; the model takes 3–20 s');
      if (url.endsWith('/flaky.mp4') && flaky++ === 0)
        throw new PipelineError('video_unreachable', 'HEAD timed out', { retryable: true });
      return {};
    },
  });
  const queue = new Queue(QUEUES.dubbing.name, { connection: redis, prefix });
  const eventsRedis = createRedis(await resolveTestRedisUrl(), 'worker');
  const events = new QueueEvents(QUEUES.dubbing.name, { connection: eventsRedis, prefix });
  await events.waitUntilReady();
  metrics.collectQueues([queue]);
  const worker = createDubbingWorker({ connection: redis, prefix, concurrency: 2, deps });

  try {
    const opts = { attempts: 2, backoff: { type: 'fixed', delay: 10 } };
    const jobs = [
      await queue.add('dub', jobData('job_m1'), { ...opts, jobId: 'job_m1' }),
      await queue.add('dub', jobData('job_m2'), { ...opts, jobId: 'job_m2' }),
      await queue.add('dub', jobData('job_m3', 'flaky'), { ...opts, jobId: 'job_m3' }),
      await queue.add('dub', jobData('job_m4', 'long'), { ...opts, jobId: 'job_m4' }),
    ];
    const settled = await Promise.allSettled(jobs.map((job) => job.waitUntilFinished(events, 20_000)));
    expect(settled.map((s) => s.status)).toEqual(['fulfilled', 'fulfilled', 'fulfilled', 'rejected']);

    const samples = parsePrometheusText(await metrics.registry.metrics());
    const value = (name: string, labels: Record<string, string> = {}) => sampleValue(samples, name, labels);
    expect(value('foley_jobs_total', { status: 'completed', code: 'none' })).toBe(3);
    expect(value('foley_jobs_total', { status: 'failed', code: 'video_too_long' })).toBe(1);
    expect(value('foley_job_retries_total', { code: 'video_unreachable' })).toBe(1);
    for (const phase of ['preflight', 'fal_queue', 'fal_processing', 'upload']) {
      expect(value('foley_job_phase_seconds_count', { phase }), phase).toBe(3);
    }
    expect(value('foley_fal_requests_total', { op: 'submit', status: 'ok' })).toBe(3);
    expect(value('foley_fal_requests_total', { op: 'status', status: 'ok' })).toBe(9);
    expect(value('foley_fal_requests_total', { op: 'result', status: 'ok' })).toBe(3);
    expect(value('foley_queue_jobs', { queue: 'dubbing', state: 'completed' })).toBe(3);
    expect(value('foley_queue_jobs', { queue: 'dubbing', state: 'failed' })).toBe(1);
    expect(value('foley_queue_jobs', { queue: 'dubbing', state: 'waiting' })).toBe(0);
    expect(value('foley_queue_workers', { queue: 'dubbing' })).toBeGreaterThanOrEqual(1);
  } finally {
    await worker.close();
    await events.close();
    eventsRedis.disconnect();
    await queue.close();
  }
});

it('counts the bytes the S3 adapter uploads', async () => {
  const metrics = createMetrics({ service: 'worker', processMetrics: false });
  const server = await startLocalS3Server();
  const client = localS3Client(server.endpoint);
  try {
    await ensureBucket(client, 'metrics-bucket');
    const store = createS3ObjectStore({
      client,
      bucket: 'metrics-bucket',
      presignTtlSeconds: 60,
      metrics: { onBytesUploaded: (n) => metrics.s3BytesTotal.inc(n) },
    });
    await store.upload('a.bin', Readable.from([Buffer.alloc(3000, 1)]), {
      contentType: 'application/octet-stream',
    });
    await store.putText('m.jsonl', '{"a":1}\n', 'application/x-ndjson');
    const samples = parsePrometheusText(await metrics.registry.metrics());
    expect(sampleValue(samples, 'foley_s3_bytes_total')).toBe(3008);
  } finally {
    client.destroy();
    await server.close();
  }
});
