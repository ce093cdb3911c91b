import { deleteKeys, resolveTestRedisUrl, testPrefix } from '@foley/testkit/redis';
import { Queue } from 'bullmq';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { isId } from '../ids';
import { foleyKeys } from '../infra/keys';
import { createRedis, type RedisClient } from '../infra/redis';
import type { JobView } from '../jobs/view';
import { QUEUES, WEBHOOK_BACKOFF } from '../queues/catalog';
import { eventIdFor, type WebhookJobData } from './events';
import { createWebhookProducer } from './producer';
import { createWebhookStore } from './store';

const SCHEDULE = [100, 200, 300];

function finishedJob(overrides: Partial<JobView> = {}): JobView {
  return {
    id: 'job_01jd2x0000abcdefghjkmnpqrs',
    object: 'job',
    status: 'completed',
    input: { video_url: 'https://example.com/a.mp4' } as JobView['input'],
    webhook_url: 'http://127.0.0.1:9/hook',
    attempts: 1,
    created_at: '2025-01-01T00:00:00.000Z',
    ...overrides,
  };
}

describe('webhook producer and store (real Redis)', () => {
  let redis: RedisClient;
  let prefix: string;
  let queue: Queue<WebhookJobData>;
  let clock: number;

  beforeEach(async () => {
    redis = createRedis(await resolveTestRedisUrl(), 'worker');
    prefix = testPrefix('webhook-producer');
    queue = new Queue<WebhookJobData>(QUEUES.webhooks.name, { connection: redis, prefix });
    clock = Date.parse('2025-06-01T12:00:00.000Z');
  });
  afterEach(async () => {
    await queue.close();
    await deleteKeys(redis, prefix);
    redis.disconnect();
  });

  const build = () => {
    const keys = foleyKeys(prefix);
    const store = createWebhookStore({ redis, keys, now: () => clock });
    const producer = createWebhookProducer({ queue, store, schedule: SCHEDULE, now: () => clock });
    return { keys, store, producer };
  };

  it('records a finished job’s event and enqueues it once, with the schedule as attempts', async () => {
    const { keys, store, producer } = build();
    const view = finishedJob();
    await producer.onJobFinished(view, { tenant: 'tenant-a' });
    await producer.onJobFinished(view, { tenant: 'tenant-a' }); // a worker that crashed after the first call

    const eventId = eventIdFor({ kind: 'job', id: view.id }, 'job.completed');
    expect(isId(eventId, 'evt')).toBe(true);
    const jobs = await queue.getJobs(['waiting', 'delayed', 'active']);
    expect(jobs.map((j) => j.id)).toEqual([eventId]);
    const job = jobs[0]!;
    expect(job.opts.attempts).toBe(SCHEDULE.length + 1);
    expect(job.opts.backoff).toMatchObject({ type: WEBHOOK_BACKOFF });
    expect(job.data).toMatchObject({
      event_id: eventId,
      type: 'job.completed',
      target_url: view.webhook_url,
      resource: { kind: 'job', id: view.id, tenant: 'tenant-a' },
      retry_schedule_ms: SCHEDULE,
    });
    expect(JSON.parse(job.data.body)).toEqual({
      type: 'job.completed',
      timestamp: '2025-06-01T12:00:00.000Z',
      data: view,
    });

    const events = await store.listForResource('job', view.id);
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({ id: eventId, status: 'pending', body: job.data.body, attempts: [] });
    const ttl = await redis.ttl(keys.webhookEvent(eventId));
    expect(ttl).toBeGreaterThan(29 * 24 * 3600);
    expect(await redis.ttl(keys.resourceWebhooks('job', view.id))).toBeGreaterThan(29 * 24 * 3600);
  });

  it('emits nothing for a job without webhook_url or not finished', async () => {
    const { producer, store } = build();
    await producer.onJobFinished(finishedJob({ webhook_url: undefined }));
    await producer.onJobFinished(finishedJob({ status: 'processing' }));
    expect(await queue.count()).toBe(0);
    expect(await store.listForResource('job', finishedJob().id)).toEqual([]);
  });

  it('maps failed and canceled jobs to their event types', async () => {
    const { producer } = build();
    await producer.onJobFinished(finishedJob({ id: 'job_01jd2x0000aaaaaaaaaaaaaaaa', status: 'failed' }));
    await producer.onJobFinished(finishedJob({ id: 'job_01jd2x0000bbbbbbbbbbbbbbbb', status: 'canceled' }));
    const types = (await queue.getJobs(['waiting'])).map((j) => j.data.type).sort();
    expect(types).toEqual(['job.canceled', 'job.failed']);
  });

  it('records attempts and final states; a delivered event is never re-enqueued by a repeated emit', async () => {
    const { producer, store } = build();
    const { event_id } = await producer.emit({
      type: 'batch.completed',
      target_url: 'http://127.0.0.1:9/b',
      data: { id: 'bat_1' },
      resource: { kind: 'batch', id: 'bat_1', tenant: 't' },
    });
    await store.recordAttempt(event_id, {
      at: 'a',
      status_code: 500,
      error: 'HTTP 500',
      duration_ms: 3,
      outcome: 'retrying',
    });
    expect((await store.getEvent(event_id))?.status).toBe('pending');
    await store.recordAttempt(event_id, { at: 'b', status_code: 200, duration_ms: 2, outcome: 'delivered' });
    const event = await store.getEvent(event_id);
    expect(event?.status).toBe('delivered');
    expect(event?.attempts.map((a) => a.outcome)).toEqual(['retrying', 'delivered']);

    await queue.obliterate({ force: true });
    await producer.emit({
      type: 'batch.completed',
      target_url: 'http://127.0.0.1:9/b',
      data: { id: 'bat_1' },
      resource: { kind: 'batch', id: 'bat_1', tenant: 't' },
    });
    expect(await queue.count()).toBe(0);
  });

  it('re-enqueues a pending event whose first enqueue was lost', async () => {
    const { producer, store } = build();
    const event = {
      event_id: 'evt_01jd2x0000cccccccccccccccc',
      type: 'job.failed' as const,
      target_url: 'http://127.0.0.1:9/x',
      body: '{"type":"job.failed"}',
      resource: { kind: 'job' as const, id: 'job_01jd2x0000cccccccccccccccc' },
    };
    await store.createEvent(event); // crashed before queue.add
    await producer.emit({ ...event, data: {} });
    const jobs = await queue.getJobs(['waiting']);
    expect(jobs.map((j) => j.id)).toEqual([event.event_id]);
    expect(jobs[0]?.data.body).toBe(event.body); // the recorded body, not a new one
  });

  it('redelivers the same event under a new queue job id', async () => {
    const { producer, store } = build();
    const view = finishedJob();
    await producer.onJobFinished(view);
    const [event] = await store.listForResource('job', view.id);
    await store.recordAttempt(event!.id, { at: 'x', error: 'down', duration_ms: 1, outcome: 'failed' });

    const first = await producer.redeliver(event!.id);
    const second = await producer.redeliver(event!.id);
    expect([first.delivery_id, second.delivery_id]).toEqual([`${event!.id}-r1`, `${event!.id}-r2`]);
    const jobs = await queue.getJobs(['waiting']);
    expect(jobs.map((j) => j.id).sort()).toEqual([event!.id, `${event!.id}-r1`, `${event!.id}-r2`].sort());
    for (const job of jobs) expect(job.data.body).toBe(event!.body);
    expect(await store.getEvent(event!.id)).toMatchObject({ status: 'pending', redeliveries: 2 });
    await expect(producer.redeliver('evt_01jd2x0000dddddddddddddddd')).rejects.toThrow(/not found/);
  });
});
