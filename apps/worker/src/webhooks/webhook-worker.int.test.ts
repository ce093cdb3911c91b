import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { foleyKeys } from '@foley/shared/infra/keys';
import { createRedis, type RedisClient } from '@foley/shared/infra/redis';
import { QUEUES } from '@foley/shared/queues/catalog';
import { parseAllowlist } from '@foley/shared/ssrf/url-guard';
import type { WebhookJobData } from '@foley/shared/webhooks/events';
import { createWebhookProducer } from '@foley/shared/webhooks/producer';
import { generateWebhookSecret } from '@foley/shared/webhooks/signature';
import { createWebhookStore, type WebhookAttemptOutcome } from '@foley/shared/webhooks/store';
import { listenOnLoopback } from '@foley/testkit/listen';
import { deleteKeys, resolveTestRedisUrl, testPrefix } from '@foley/testkit/redis';
import { Queue, Worker } from 'bullmq';
import { Webhook } from 'standardwebhooks';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createGuardedFetch } from '../clients/http-fetch';
import { WEBHOOK_USER_AGENT } from './deliver-webhook';
import { createWebhookWorker } from './webhook-worker';

const SECRET = generateWebhookSecret();

interface Received {
  path: string;
  headers: IncomingMessage['headers'];
  body: string;
}
type Handler = (req: IncomingMessage, res: ServerResponse, nth: number) => void;

/** A customer endpoint on loopback: records every request; `handler` decides the answer. */
async function startReceiver(handler: Handler) {
  const received: Received[] = [];
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      received.push({
        path: req.url ?? '',
        headers: req.headers,
        body: Buffer.concat(chunks).toString('utf8'),
      });
      handler(req, res, received.filter((r) => r.path === req.url).length);
    });
  });
  const { port } = await listenOnLoopback(server);
  return {
    url: (path: string) => `http://127.0.0.1:${port}${path}`,
    received,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

async function waitFor<T>(
  what: string,
  probe: () => Promise<T | undefined | false>,
  timeoutMs = 5_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (let i = 0; i < 10_000 && Date.now() < deadline; i++) {
    const value = await probe();
    if (value) return value;
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error(`timed out waiting for ${what}`);
}

describe('webhook delivery (real Redis, loopback receiver)', () => {
  let redisUrl: string;
  const cleanups: Array<() => Promise<unknown>> = [];

  beforeAll(async () => {
    redisUrl = await resolveTestRedisUrl();
  });
  afterEach(async () => {
    for (const cleanup of cleanups.reverse()) await cleanup().catch(() => {});
    cleanups.length = 0;
  });

  async function setup(opts: {
    schedule: number[];
    timeoutMs?: number;
    allowlist?: string[];
    concurrency?: number;
  }) {
    const redis: RedisClient = createRedis(redisUrl, 'worker');
    const prefix = testPrefix('webhooks');
    const store = createWebhookStore({ redis, keys: foleyKeys(prefix) });
    const queue = new Queue<WebhookJobData>(QUEUES.webhooks.name, { connection: redis, prefix });
    const producer = createWebhookProducer({ queue, store, schedule: opts.schedule });
    const fetch = createGuardedFetch({ allowlist: parseAllowlist(opts.allowlist ?? ['127.0.0.1']) });
    const outcomes: WebhookAttemptOutcome[] = [];
    const worker = createWebhookWorker({
      connection: redis,
      prefix,
      concurrency: opts.concurrency ?? 5,
      schedule: opts.schedule,
      deps: {
        fetch,
        store,
        secrets: [SECRET],
        timeoutMs: opts.timeoutMs ?? 2_000,
        onOutcome: (o) => outcomes.push(o),
      },
    });
    await worker.waitUntilReady();
    cleanups.push(async () => {
      await worker.close(true);
      await queue.close();
      await fetch.close();
      await deleteKeys(redis, prefix);
      redis.disconnect();
    });
    let n = 0;
    const emit = (targetUrl: string) =>
      producer.emit({
        type: 'job.completed',
        target_url: targetUrl,
        data: { id: `job-${++n}`, status: 'completed' },
        resource: { kind: 'job', id: `job_${prefix}_${n}`, tenant: 'tenant-a' },
      });
    const settled = (eventId: string, timeoutMs?: number) =>
      waitFor(
        `event ${eventId} to settle`,
        async () => {
          const e = await store.getEvent(eventId);
          return e && e.status !== 'pending' ? e : undefined;
        },
        timeoutMs,
      );
    return { redis, prefix, store, queue, producer, worker, outcomes, emit, settled };
  }

  async function receiver(handler: Handler) {
    const r = await startReceiver(handler);
    cleanups.push(r.close);
    return r;
  }

  it('delivers a signed POST that standardwebhooks verifies', async () => {
    const rx = await receiver((_req, res) => res.writeHead(204).end());
    const t = await setup({ schedule: [100] });
    const { event_id } = await t.emit(rx.url('/hook'));
    const event = await t.settled(event_id);

    expect(event.status).toBe('delivered');
    expect(rx.received).toHaveLength(1);
    const [req] = rx.received;
    expect(req?.headers['content-type']).toBe('application/json');
    expect(req?.headers['user-agent']).toBe(WEBHOOK_USER_AGENT);
    expect(req?.headers['webhook-id']).toBe(event_id);
    const headers = req?.headers as Record<string, string>;
    expect(new Webhook(SECRET).verify(req?.body ?? '', headers)).toMatchObject({
      type: 'job.completed',
      data: { status: 'completed' },
    });
    expect(req?.body).toBe(event.body);
    expect(event.attempts).toEqual([
      expect.objectContaining({ status_code: 204, outcome: 'delivered', duration_ms: expect.any(Number) }),
    ]);
    expect(t.outcomes).toEqual(['delivered']);
  });

  it('retries a failing receiver on the schedule with the same webhook-id until it answers 2xx', async () => {
    const rx = await receiver((_req, res, nth) =>
      res.writeHead(nth <= 2 ? 503 : 200).end('x'.repeat(10_000)),
    );
    const t = await setup({ schedule: [100, 100, 100] });
    const { event_id } = await t.emit(rx.url('/flaky'));
    const event = await t.settled(event_id);

    expect(event.status).toBe('delivered');
    expect(event.attempts.map((a) => [a.status_code, a.outcome])).toEqual([
      [503, 'retrying'],
      [503, 'retrying'],
      [200, 'delivered'],
    ]);
    expect(new Set(rx.received.map((r) => r.headers['webhook-id']))).toEqual(new Set([event_id]));
    for (const r of rx.received)
      expect(() => new Webhook(SECRET).verify(r.body, r.headers as Record<string, string>)).not.toThrow();
    const gaps = event.attempts
      .slice(1)
      .map((a, i) => Date.parse(a.at) - Date.parse(event.attempts[i]?.at ?? ''));
    for (const gap of gaps) expect(gap).toBeGreaterThanOrEqual(100);
  });

  it('times out a hanging receiver and retries', async () => {
    const rx = await receiver((_req, res, nth) => {
      if (nth > 1) res.writeHead(200).end();
      // the first request is left hanging
    });
    const t = await setup({ schedule: [100], timeoutMs: 300 });
    const { event_id } = await t.emit(rx.url('/slow'));
    const event = await t.settled(event_id);

    expect(event.status).toBe('delivered');
    expect(event.attempts[0]).toMatchObject({ outcome: 'retrying', error: 'no response within 300 ms' });
    expect(event.attempts[0]?.duration_ms).toBeGreaterThanOrEqual(290);
    expect(event.attempts[0]?.duration_ms).toBeLessThan(2_000);
    expect(event.attempts[1]).toMatchObject({ outcome: 'delivered', status_code: 200 });
  });

  it('marks the event failed after the whole schedule, every attempt recorded', async () => {
    const rx = await receiver((_req, res) => res.writeHead(500).end());
    const t = await setup({ schedule: [100, 100, 100] });
    const { event_id } = await t.emit(rx.url('/down'));
    const event = await t.settled(event_id);

    expect(event.status).toBe('failed');
    expect(event.attempts.map((a) => a.outcome)).toEqual(['retrying', 'retrying', 'retrying', 'failed']);
    expect(rx.received).toHaveLength(4);
    // The attempt is recorded before BullMQ moves the job, so wait for the move.
    // Read the job again once it is failed: a copy fetched before the move has the old attemptsMade.
    const job = await waitFor('the queue job to fail', async () => {
      const j = await t.queue.getJob(event_id);
      return (await j?.getState()) === 'failed' ? t.queue.getJob(event_id) : undefined;
    });
    expect(job?.attemptsMade).toBe(4);
    expect(t.outcomes).toEqual(['retrying', 'retrying', 'retrying', 'failed']);
  });

  it('also fails when the receiver is not listening at all', async () => {
    const rx = await receiver((_req, res) => res.end());
    const gone = rx.url('/gone');
    await rx.close();
    const t = await setup({ schedule: [50] });
    const { event_id } = await t.emit(gone);
    const event = await t.settled(event_id);
    expect(event.status).toBe('failed');
    expect(event.attempts.map((a) => a.error)).toEqual([
      'request failed: ECONNREFUSED',
      'request failed: ECONNREFUSED',
    ]);
  });

  it('does not follow redirects: a 3xx is a failed attempt', async () => {
    const rx = await receiver((req, res) => {
      if (req.url === '/moved') res.writeHead(302, { location: '/target' }).end();
      else res.writeHead(200).end();
    });
    const t = await setup({ schedule: [50] });
    const { event_id } = await t.emit(rx.url('/moved'));
    const event = await t.settled(event_id);

    expect(event.status).toBe('failed');
    expect(event.attempts.map((a) => [a.status_code, a.error])).toEqual([
      [302, 'redirect (302) not followed'],
      [302, 'redirect (302) not followed'],
    ]);
    expect(rx.received.map((r) => r.path)).toEqual(['/moved', '/moved']);
  });

  it('fails at once, without sending, when the URL is blocked (SSRF guard, empty allowlist)', async () => {
    const rx = await receiver((_req, res) => res.end());
    const t = await setup({ schedule: [50, 50, 50], allowlist: [] });
    const { event_id } = await t.emit(rx.url('/internal'));
    const event = await t.settled(event_id);

    expect(event.status).toBe('failed');
    expect(event.attempts).toHaveLength(1);
    expect(event.attempts[0]?.error).toMatch(/^URL blocked: /);
    expect(rx.received).toHaveLength(0);
    // The event is settled before BullMQ moves the job: wait for the move, then read the job.
    const job = await waitFor('the queue job to fail', async () => {
      const j = await t.queue.getJob(event_id);
      return (await j?.getState()) === 'failed' ? t.queue.getJob(event_id) : undefined;
    });
    expect(job?.attemptsMade).toBe(1);
  });

  it('redelivers an event: same webhook-id and body, attempts appended', async () => {
    const rx = await receiver((_req, res) => res.writeHead(200).end());
    const t = await setup({ schedule: [50] });
    const { event_id } = await t.emit(rx.url('/again'));
    await t.settled(event_id);

    const { delivery_id } = await t.producer.redeliver(event_id);
    expect(delivery_id).toBe(`${event_id}-r1`);
    const event = await waitFor('the redelivery', async () => {
      const e = await t.store.getEvent(event_id);
      return e?.attempts.length === 2 && e.status === 'delivered' ? e : undefined;
    });
    expect(rx.received).toHaveLength(2);
    expect(rx.received[1]?.headers['webhook-id']).toBe(event_id);
    expect(rx.received[1]?.body).toBe(rx.received[0]?.body);
    expect(event.attempts.map((a) => a.outcome)).toEqual(['delivered', 'delivered']);
  });

  it('never slows dubbing: 20 hanging deliveries while 20 dubbing jobs finish', async () => {
    const hanging: ServerResponse[] = [];
    const rx = await receiver((_req, res) => hanging.push(res));
    const t = await setup({ schedule: [1_000], timeoutMs: 5_000, concurrency: 20 });
    for (let i = 0; i < 20; i++) await t.emit(rx.url(`/hang/${i}`));
    await waitFor('20 hanging deliveries', async () => hanging.length === 20);

    // A stand-in dubbing Worker on the same prefix and connection, as the worker process runs them.
    const dubbing = new Queue(QUEUES.dubbing.name, { connection: t.redis, prefix: t.prefix });
    const dubWorker = new Worker(QUEUES.dubbing.name, async (job) => ({ done: job.id }), {
      connection: t.redis,
      prefix: t.prefix,
      concurrency: 4,
    });
    cleanups.push(async () => {
      await dubWorker.close(true);
      await dubbing.close();
    });
    await dubWorker.waitUntilReady();
    const started = Date.now();
    await dubbing.addBulk(Array.from({ length: 20 }, (_, i) => ({ name: 'dub', data: { i } })));
    await waitFor('20 dubbing jobs', async () => (await dubbing.getCompletedCount()) === 20, 4_000);
    const elapsed = Date.now() - started;

    expect(elapsed).toBeLessThan(3_000);
    expect(hanging).toHaveLength(20);
    expect(hanging.every((res) => !res.writableEnded)).toBe(true);
    expect(t.outcomes).toEqual([]); // no delivery has even timed out yet
    for (const res of hanging) res.destroy();
  });
});
