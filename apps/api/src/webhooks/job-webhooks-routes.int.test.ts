import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createReadyList } from '@foley/shared/dispatch/ready-entry';
import { foleyKeys } from '@foley/shared/infra/keys';
import { createLogger } from '@foley/shared/infra/logger';
import { createRedis, type RedisClient } from '@foley/shared/infra/redis';
import type { DubJobData, DubJobResult } from '@foley/shared/jobs/contract';
import { QUEUES } from '@foley/shared/queues/catalog';
import type { WebhookJobData } from '@foley/shared/webhooks/events';
import { createWebhookProducer } from '@foley/shared/webhooks/producer';
import { createWebhookStore } from '@foley/shared/webhooks/store';
import { deleteKeys, resolveTestRedisUrl, testPrefix } from '@foley/testkit/redis';
import { Queue } from 'bullmq';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp } from '../app';
import { parseApiKeys } from '../http/auth';
import { createIdempotency } from '../jobs/idempotency';
import { createJobReader } from '../jobs/job-reader';
import { jobsRouter } from '../jobs/jobs-routes';
import { createJobsService } from '../jobs/jobs-service';
import { createUrlPolicy } from '../jobs/url-policy';
import { jobWebhooksRouter } from './job-webhooks-routes';

const KEY_A = 'test_key_tenant_a_0001';
const KEY_B = 'test_key_tenant_b_0002';

/** The fields these tests read from the API's answers. */
interface ResponseBody {
  id: string;
  object: string;
  status: string;
  delivery_id: string;
  data: Array<{ id: string }>;
}

describe('GET /v1/jobs/:id/webhooks and redeliver (real Redis, real jobs service)', () => {
  const prefix = testPrefix('job-webhooks');
  const keys = foleyKeys(prefix);
  const schedule = [100, 200];
  let redis: RedisClient;
  let dubbing: Queue<DubJobData, DubJobResult>;
  let webhooks: Queue<WebhookJobData>;
  let server: Server;
  let base: string;

  beforeAll(async () => {
    redis = createRedis(await resolveTestRedisUrl(), 'producer');
    if (redis.status !== 'ready') await new Promise((r) => redis.once('ready', r));
    dubbing = new Queue<DubJobData, DubJobResult>(QUEUES.dubbing.name, { connection: redis, prefix });
    webhooks = new Queue<WebhookJobData>(QUEUES.webhooks.name, { connection: redis, prefix });
    const store = createWebhookStore({ redis, keys });
    const producer = createWebhookProducer({ queue: webhooks, store, schedule });
    const reader = createJobReader({
      queue: dubbing,
      redis,
      keys,
      store: { presignGet: async () => 'unused' },
    });
    const idempotency = createIdempotency({ redis, keys, ttlMs: 60_000 });
    const jobs = createJobsService({
      queue: dubbing,
      redis,
      keys,
      reader,
      idempotency,
      urls: createUrlPolicy(['127.0.0.1']),
      onJobFinished: producer.onJobFinished,
      ready: createReadyList({ redis, keys }),
      maxQueued: () => undefined,
      attempts: 3,
    });
    const app = createApp({
      logger: createLogger({ name: 'test', level: 'silent' }),
      redis,
      apiKeys: parseApiKeys([`tenant-a:${KEY_A}`, `tenant-b:${KEY_B}`]),
      publicRouters: [],
      apiRouters: [
        jobsRouter({ jobs, idempotency, jsonLimit: 65_536 }),
        jobWebhooksRouter({ jobs, store, producer }),
      ],
    });
    server = await new Promise<Server>((r) => {
      const s = app.listen(0, '127.0.0.1', () => r(s));
    });
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });

  afterAll(async () => {
    await new Promise((r) => server.close(r));
    server.closeAllConnections();
    await dubbing.close();
    await webhooks.close();
    await deleteKeys(redis, prefix);
    redis.disconnect();
  });

  async function call(method: string, path: string, key = KEY_A, body?: unknown) {
    const res = await fetch(`${base}${path}`, {
      method,
      headers: { authorization: `Bearer ${key}`, ...(body ? { 'content-type': 'application/json' } : {}) },
      ...(body ? { body: JSON.stringify(body) } : {}),
    });
    return { status: res.status, body: (await res.json()) as ResponseBody };
  }

  /** A job with a webhook_url canceled while queued: the API itself emits `job.canceled`. */
  async function canceledJob(): Promise<string> {
    const created = await call('POST', '/v1/jobs', KEY_A, {
      video_url: 'http://127.0.0.1:9/video.mp4',
      webhook_url: 'http://127.0.0.1:9/hook',
    });
    expect(created.status).toBe(202);
    const canceled = await call('POST', `/v1/jobs/${created.body.id}/cancel`);
    expect(canceled.body.status).toBe('canceled');
    return created.body.id;
  }

  async function firstEvent(jobId: string): Promise<{ id: string }> {
    const [event] = (await call('GET', `/v1/jobs/${jobId}/webhooks`)).body.data;
    if (!event) throw new Error(`no webhook event for ${jobId}`);
    return event;
  }

  it('lists a job’s events with their state and attempts', async () => {
    const id = await canceledJob();
    const { status, body } = await call('GET', `/v1/jobs/${id}/webhooks`);
    expect(status).toBe(200);
    expect(body.object).toBe('list');
    expect(body.data).toEqual([
      {
        id: expect.stringMatching(/^evt_[0-9a-z]{26}$/),
        object: 'webhook_event',
        type: 'job.canceled',
        target_url: 'http://127.0.0.1:9/hook',
        status: 'pending',
        created_at: expect.any(String),
        attempts: [],
      },
    ]);
    const queued = await webhooks.getJob((await firstEvent(id)).id);
    expect(queued?.data.resource).toEqual({ kind: 'job', id, tenant: 'tenant-a' });
    expect(JSON.parse(queued?.data.body ?? '')).toMatchObject({
      type: 'job.canceled',
      data: { id, status: 'canceled' },
    });
  });

  it('answers 404 to another tenant, for the list and for redelivery', async () => {
    const id = await canceledJob();
    const event = await firstEvent(id);
    expect((await call('GET', `/v1/jobs/${id}/webhooks`, KEY_B)).status).toBe(404);
    expect((await call('POST', `/v1/jobs/${id}/webhooks/${event.id}/redeliver`, KEY_B)).status).toBe(404);
    expect(await webhooks.getJob(`${event.id}-r1`)).toBeUndefined();
  });

  it('redelivers: 202 and a new queue job carrying the same event', async () => {
    const id = await canceledJob();
    const event = await firstEvent(id);
    const res = await call('POST', `/v1/jobs/${id}/webhooks/${event.id}/redeliver`);
    expect(res.status).toBe(202);
    expect(res.body).toMatchObject({ id: event.id, status: 'pending', delivery_id: `${event.id}-r1` });
    const original = await webhooks.getJob(event.id);
    const again = await webhooks.getJob(`${event.id}-r1`);
    expect(again?.data.event_id).toBe(event.id);
    expect(again?.data.body).toBe(original?.data.body);
    expect(again?.opts.attempts).toBe(schedule.length + 1);
  });

  it('answers 404 for an unknown event, another job’s event, or a malformed id', async () => {
    const first = await canceledJob();
    const second = await canceledJob();
    const event = await firstEvent(first);
    expect((await call('POST', `/v1/jobs/${second}/webhooks/${event.id}/redeliver`)).status).toBe(404);
    expect(
      (await call('POST', `/v1/jobs/${first}/webhooks/evt_0000000000aaaaaaaaaaaaaaaa/redeliver`)).status,
    ).toBe(404);
    expect((await call('POST', `/v1/jobs/${first}/webhooks/nope/redeliver`)).status).toBe(404);
    expect((await call('GET', '/v1/jobs/job_0000000000aaaaaaaaaaaaaaaa/webhooks')).status).toBe(404);
  });
});
