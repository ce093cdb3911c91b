import { createServer, type Server } from 'node:http';
import type { BatchView, ManifestLine } from '@foley/shared/batches/contract';
import type { JobView } from '@foley/shared/jobs/view';
import { QUEUES } from '@foley/shared/queues/catalog';
import { listenOnLoopback } from '@foley/testkit/listen';
import { makeVideo } from '@foley/testkit/media';
import { serveFiles } from '@foley/testkit/static-server';
import type { RunningWorker } from '@foley/worker/start-worker';
import { Queue } from 'bullmq';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { API_KEY_B, type Stack, startStack } from './support/stack';

// Batches end to end on real parts: API → Redis → worker → fal emulator → S3, and the real webhook
// pipeline delivering `batch.completed` to a loopback receiver.
let stack: Stack;
let queue: Queue;
let files: Awaited<ReturnType<typeof serveFiles>>;
let worker: RunningWorker | undefined;
let receiver: Server;
let hookUrl = '';
/** Every webhook body received, parsed. */
const events: Array<{ type: string; data: BatchView }> = [];

beforeAll(async () => {
  // reuse: identical inputs share one render, so the 200-item batch is not bound by ffmpeg on 2 cores.
  stack = await startStack({ worker: false, emulator: { delayMs: 50, concurrency: 4, media: 'reuse' } });
  queue = new Queue(QUEUES.dubbing.name, { connection: stack.redis, prefix: stack.prefix });
  receiver = createServer((req, res) => {
    let body = '';
    req.on('data', (d) => {
      body += d;
    });
    req.on('end', () => {
      events.push(JSON.parse(body));
      res.writeHead(204).end();
    });
  });
  hookUrl = `${(await listenOnLoopback(receiver)).url}/hook`;
  files = await serveFiles({
    'short.mp4': await makeVideo({ seconds: 2 }),
    'clip.mp4': await makeVideo({ seconds: 3, width: 160, height: 90 }),
  });
});
afterAll(async () => {
  await worker?.close();
  await queue?.close();
  await files?.close();
  await stack?.close();
  receiver?.closeAllConnections();
  await new Promise((resolve) => receiver?.close(resolve));
});

async function launchWorker(concurrency: number) {
  await worker?.close();
  // Slower fal polls than the stack default: 200 items waiting at once would otherwise poll ~100×/s.
  worker = await stack.startWorker({
    FAL_POLL_FIRST: '250ms',
    FAL_POLL_MAX: '1s',
    WORKER_CONCURRENCY: String(concurrency),
    FAL_CONCURRENCY: String(concurrency),
  });
}

/** `batch.completed` deliveries received for one batch. */
const completions = (batchId: string) =>
  events.filter((e) => e.type === 'batch.completed' && e.data.id === batchId);

/** A 3 s, 160x90 clip: the emulator's ffmpeg work per item stays small on a 2-core machine. */
const sample = () => `${files.url}/clip.mp4`;

async function submitBatch(lines: object[], key?: string) {
  const res = await fetch(`${stack.api.url}/v1/batches?webhook_url=${encodeURIComponent(hookUrl)}`, {
    method: 'POST',
    headers: {
      authorization: `Bearer ${key ?? 'test_key_tenant_a_0001'}`,
      'content-type': 'application/x-ndjson',
    },
    body: lines.map((l) => JSON.stringify(l)).join('\n'),
  });
  expect(res.status).toBe(202);
  return (await res.json()) as BatchView & { accepted: number };
}

async function waitForBatch(id: string, timeoutMs: number, until = (b: BatchView) => !!b.manifest) {
  const deadline = Date.now() + timeoutMs;
  let last: BatchView | undefined;
  while (Date.now() < deadline) {
    last = (await stack.http('GET', `/v1/batches/${id}`)).body as BatchView;
    if (until(last)) return last;
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`batch ${id} did not get there in ${timeoutMs} ms: ${JSON.stringify(last)}`);
}

/**
 * Every job of a batch, in item order. A job's end is counted a moment before BullMQ records it, so
 * right after the batch ends a job may still read `processing`: re-read until all are final (bounded).
 */
async function allJobs(batchId: string) {
  let jobs = await listJobs(batchId);
  for (let i = 0; i < 50 && jobs.some((j) => j.status === 'queued' || j.status === 'processing'); i++) {
    await new Promise((r) => setTimeout(r, 100));
    jobs = await listJobs(batchId);
  }
  return jobs;
}

async function listJobs(batchId: string) {
  const jobs: JobView[] = [];
  let cursor: string | null = null;
  for (let page = 0; page < 100; page++) {
    const res = await stack.http(
      'GET',
      `/v1/jobs?batch_id=${batchId}&limit=100${cursor ? `&cursor=${cursor}` : ''}`,
    );
    jobs.push(...res.body.data);
    cursor = res.body.next_cursor;
    if (!cursor) break;
  }
  return jobs.sort((a, b) => (a.batch_index ?? 0) - (b.batch_index ?? 0));
}

async function manifestOf(view: BatchView): Promise<ManifestLine[]> {
  const text = await (await fetch(view.manifest?.url ?? '')).text();
  return text
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as ManifestLine);
}

describe('a 200-item batch on the emulator', () => {
  it('runs every item, counts exactly, writes a manifest that matches the jobs, emits once', async () => {
    await launchWorker(16);
    const failing = new Set([7, 50, 199]);
    const items = Array.from({ length: 200 }, (_, i) =>
      failing.has(i)
        ? { video_url: `${files.url}/short.mp4` }
        : { video_url: sample(), sound_effect_prompt: 'item of the batch' },
    );
    const started = Date.now();
    const batch = await submitBatch(items);
    expect(batch.total).toBe(200);

    const done = await waitForBatch(batch.id, 150_000);
    console.log(`200-item batch finished in ${Date.now() - started} ms`);
    expect(done).toMatchObject({
      status: 'completed',
      total: 200,
      percent: 100,
      counts: { queued: 0, processing: 0, completed: 197, failed: 3, canceled: 0 },
      manifest: { bucket: stack.bucket, key: `batches/${batch.id}/manifest.jsonl` },
    });
    expect(done.finished_at).toBeTruthy();

    const jobs = await allJobs(batch.id);
    const manifest = await manifestOf(done);
    expect(manifest).toHaveLength(200);
    expect(jobs).toHaveLength(200);
    for (const [i, line] of manifest.entries()) {
      const job = jobs[i] as JobView;
      expect(line).toMatchObject({ index: i, job_id: job.id, status: job.status });
      if (failing.has(i)) {
        expect(line.status).toBe('failed');
        expect(line.error).toEqual(job.error);
        expect(line.error?.code).toBe('video_too_short');
      } else {
        expect(line.video).toEqual({ bucket: job.output?.video.bucket, key: job.output?.video.key });
        expect(line.audio).toEqual({ bucket: job.output?.audio.bucket, key: job.output?.audio.key });
      }
    }

    // Delivered once through the real webhook pipeline; give a late duplicate time to show up.
    const deadline = Date.now() + 10_000;
    while (completions(batch.id).length === 0 && Date.now() < deadline)
      await new Promise((r) => setTimeout(r, 100));
    await new Promise((r) => setTimeout(r, 1_000));
    expect(completions(batch.id)).toHaveLength(1);
    expect(events.filter((e) => e.type.startsWith('job.'))).toEqual([]); // items have no webhooks of their own
    expect(completions(batch.id)[0]?.data).toMatchObject({
      id: batch.id,
      status: 'completed',
      webhook_url: hookUrl,
      counts: { completed: 197, failed: 3 },
      manifest: { key: `batches/${batch.id}/manifest.jsonl` },
    });
    // The fal emulator saw one request per valid item: none for the videos refused at preflight.
    const requests = (await stack.emulatorRequests()).filter((r) =>
      r.input?.sound_effect_prompt?.startsWith('item '),
    );
    expect(requests).toHaveLength(197);
  }, 180_000);
});

describe('cancel mid-batch', () => {
  it('ends every item, counts the canceled ones, and the batch ends canceled with a manifest', async () => {
    await launchWorker(4);
    const items = Array.from({ length: 60 }, (_, i) => ({
      video_url: sample(),
      sound_effect_prompt: `cancel ${i}`,
    }));
    const batch = await submitBatch(items);
    await waitForBatch(batch.id, 60_000, (b) => b.counts.completed >= 3);
    const canceled = await stack.http('POST', `/v1/batches/${batch.id}/cancel`);
    expect([200, 202]).toContain(canceled.status);
    const done = await waitForBatch(batch.id, 60_000);
    const { completed, failed, canceled: nCanceled, queued, processing } = done.counts;
    expect(done.status).toBe('canceled');
    expect(queued + processing).toBe(0);
    expect(completed + failed + nCanceled).toBe(60);
    expect(completed).toBeGreaterThanOrEqual(3);
    expect(nCanceled).toBeGreaterThan(30);

    const jobs = await allJobs(batch.id);
    const tally = (s: string) => jobs.filter((j) => j.status === s).length;
    expect([tally('completed'), tally('failed'), tally('canceled')]).toEqual([completed, failed, nCanceled]);
    const manifest = await manifestOf(done);
    expect(manifest.map((l) => [l.job_id, l.status])).toEqual(jobs.map((j) => [j.id, j.status]));
    const deadline = Date.now() + 10_000;
    while (completions(batch.id).length === 0 && Date.now() < deadline)
      await new Promise((r) => setTimeout(r, 100));
    expect(completions(batch.id)).toHaveLength(1);
    expect(completions(batch.id)[0]?.data.status).toBe('canceled');
  }, 120_000);
});

describe('fairness', () => {
  it("a single job of key B submitted after key A's 500-item batch starts before most of A's items", async () => {
    await launchWorker(2);
    const items = Array.from({ length: 500 }, (_, i) => ({
      video_url: sample(),
      sound_effect_prompt: `fair ${i}`,
    }));
    const batch = await submitBatch(items);
    await waitForBatch(batch.id, 60_000, (b) => b.counts.completed >= 1);
    const single = await stack.http('POST', '/v1/jobs', { video_url: sample() }, { key: API_KEY_B });
    expect(single.status).toBe(202);
    let job: JobView | undefined;
    for (let i = 0; i < 600 && job?.status !== 'completed'; i++) {
      await new Promise((r) => setTimeout(r, 100));
      job = (await stack.http('GET', `/v1/jobs/${single.body.id}`, undefined, { key: API_KEY_B })).body;
    }
    expect(job?.status).toBe('completed');
    const startedB = Date.parse(job?.started_at ?? '');

    await stack.http('POST', `/v1/batches/${batch.id}/cancel`);
    await waitForBatch(batch.id, 60_000);
    const started: number[] = [];
    for (const j of await allJobs(batch.id)) {
      const bull = await queue.getJob(j.id);
      if (bull?.processedOn) started.push(bull.processedOn);
    }
    const before = started.filter((t) => t < startedB).length;
    console.log(
      `fairness: ${before} of A's 500 items started before B's job; ${started.length} started at all`,
    );
    expect(before).toBeLessThan(50);
    expect(started.length).toBeLessThan(250);
  }, 120_000);
});
