import { createFoleyFalClient } from '@foley/shared/fal/client';
import type { DubJobData } from '@foley/shared/jobs/contract';
import { QUEUES } from '@foley/shared/queues/catalog';
import { Queue } from 'bullmq';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { type Stack, startStack } from './support/stack';

// The worker against fal's platform behaviour (docs/fal-protocol.md §13) as the emulator models it:
// API over HTTP → Redis → worker → emulator through the real @fal-ai/client → S3.
let stack: Stack;
let queue: Queue<DubJobData>;

beforeAll(async () => {
  stack = await startStack({
    env: { FAL_CALL_TIMEOUT: '2s', FAL_START_TIMEOUT: '4s', JOB_ATTEMPTS: '2' },
  });
  queue = new Queue<DubJobData>(QUEUES.dubbing.name, { connection: stack.redis, prefix: stack.prefix });
});
afterAll(async () => {
  await queue?.close();
  await stack?.close();
});
beforeEach(async () => {
  await emulator('DELETE', '/faults');
  await emulator('POST', '/account', { locked: false, concurrency: 4 });
});

const sample = () => `${stack.emulator.url}/_emulator/samples/sample.mp4`;
async function emulator(method: string, path: string, body?: unknown) {
  const res = await fetch(`${stack.emulator.url}/_emulator${path}`, {
    method,
    headers: { 'content-type': 'application/json' },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  expect(res.status, path).toBeLessThan(300);
  return res.json() as Promise<any>;
}
async function submit(prompt: string) {
  const res = await stack.http('POST', '/v1/jobs', { video_url: sample(), sound_effect_prompt: prompt });
  expect(res.status).toBe(202);
  return res.body.id as string;
}
const submitsFor = async (prompt: string) =>
  (await stack.emulatorRequests()).filter((r) => r.input?.sound_effect_prompt === prompt);
async function until(check: () => Promise<boolean>, timeoutMs = 20_000) {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe('submit options', () => {
  it('every submit sends X-Fal-Store-IO: 0, the output TTL and FAL_START_TIMEOUT', async () => {
    const job = await stack.waitForJob(await submit('p-headers'));
    expect(job.status).toBe('completed');
    const [seen] = await submitsFor('p-headers');
    expect(seen).toMatchObject({
      headers: {
        'x-fal-store-io': '0',
        'x-fal-object-lifecycle-preference': JSON.stringify({ expiration_duration_seconds: 86_400 }),
        'x-fal-request-timeout': '4',
      },
      billable_units: 1,
    });
  });
});

describe('fal retries a request on another runner', () => {
  it('the job goes back to in_queue and still completes, submitted once', async () => {
    await emulator('POST', '/faults', { op: 'run', requeue: 2 });
    const id = await submit('p-requeue');
    const phases: string[] = [];
    let job: Record<string, any> = {};
    const deadline = Date.now() + 30_000;
    while (Date.now() < deadline) {
      job = (await stack.http('GET', `/v1/jobs/${id}`)).body;
      const label = job.status === 'processing' ? job.phase : job.status;
      if (phases.at(-1) !== label) phases.push(label);
      if (['completed', 'failed', 'canceled'].includes(job.status)) break;
      await new Promise((r) => setTimeout(r, 40));
    }
    expect(job.status).toBe('completed');
    const firstRun = phases.indexOf('in_progress');
    expect(firstRun).toBeGreaterThanOrEqual(0);
    expect(phases.slice(firstRun)).toContain('in_queue'); // the phase moved back
    expect(phases.lastIndexOf('in_progress')).toBeGreaterThan(phases.indexOf('in_queue', firstRun));
    expect(await submitsFor('p-requeue')).toHaveLength(1);
  });
});

describe('errors on submit', () => {
  it('an ingress 5xx (no x-fal-request-id) is retried with backoff and never an unknown outcome', async () => {
    await emulator('POST', '/faults', { op: 'submit', ingress: true, status: 503 });
    const job = await stack.waitForJob(await submit('p-ingress'));
    expect(job.status).toBe('completed');
    const seen = await submitsFor('p-ingress');
    expect(seen.map((r) => r.reason ?? 'accepted')).toEqual(['fault: ingress HTTP 503', 'accepted']);
  });

  it('a 5xx that names a request is an unknown outcome: never submitted again', async () => {
    await emulator('POST', '/faults', { op: 'submit', status: 503 });
    const job = await stack.waitForJob(await submit('p-runner-503'));
    expect(job).toMatchObject({ status: 'failed', error: { code: 'submit_outcome_unknown' } });
    expect(await submitsFor('p-runner-503')).toHaveLength(1);
  });
});

describe('a locked fal account', () => {
  it('is fal_account_locked, not a bad key, and the job resumes once the account is unlocked', async () => {
    await emulator('POST', '/account', { locked: true, reason: 'Exhausted balance' });
    const id = await submit('p-locked');
    await until(async () => (await queue.getJob(id))?.data.error?.code === 'fal_account_locked');
    await emulator('POST', '/account', { locked: false });
    const job = await stack.waitForJob(id);
    expect(job.status).toBe('completed');
    const seen = await submitsFor('p-locked');
    expect(seen.map((r) => r.reason ?? 'accepted')).toEqual(['account locked', 'accepted']);
  });

  it('never fails the job while the account stays locked: dispatch pauses and the job waits (issue 13)', async () => {
    await emulator('POST', '/account', { locked: true, reason: 'Admin lock' });
    const id = await submit('p-locked-forever');
    await until(async () => (await queue.getJob(id))?.data.error?.code === 'fal_account_locked');
    expect((await queue.getJob(id))?.data.error?.message).toContain('User is locked. Reason: Admin lock.');
    // Well past what two attempts with backoff took before: still queued, no attempt used.
    await new Promise((r) => setTimeout(r, 8_000));
    const job = (await stack.http('GET', `/v1/jobs/${id}`)).body;
    expect(job).toMatchObject({ status: 'queued', attempts: 0 });
    expect((await submitsFor('p-locked-forever')).every((r) => r.status === 'rejected')).toBe(true);
    await emulator('POST', '/account', { locked: false });
    expect((await stack.waitForJob(id, undefined, 30_000)).status).toBe('completed');
  });
});

describe('FAL_START_TIMEOUT', () => {
  it('a request fal never started in time fails the job with fal_start_timeout, not retried', async () => {
    await emulator('POST', '/account', { concurrency: 1 });
    await emulator('POST', '/faults', { op: 'run', delay_ms: 20_000 });
    const fal = createFoleyFalClient({ falKey: 'blocker', baseUrl: stack.emulator.url });
    const blocker = await fal.queue.submit('fal-ai/kling-video/video-to-audio', {
      input: { video_url: sample(), sound_effect_prompt: 'p-blocker' },
    });
    try {
      const job = await stack.waitForJob(await submit('p-start-timeout'), undefined, 20_000);
      expect(job).toMatchObject({ status: 'failed', attempts: 1, error: { code: 'fal_start_timeout' } });
      const [seen] = await submitsFor('p-start-timeout');
      expect(seen).toMatchObject({ status: 'COMPLETED', billable_units: 0 });
    } finally {
      await fal.queue.cancel('fal-ai/kling-video/video-to-audio', { requestId: blocker.request_id });
    }
  });
});
