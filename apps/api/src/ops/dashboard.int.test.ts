import { Writable } from 'node:stream';
import { createLogger } from '@foley/shared/infra/logger';
import { createRedis, type RedisClient } from '@foley/shared/infra/redis';
import type { DubJobData } from '@foley/shared/jobs/contract';
import { QUEUES } from '@foley/shared/queues/catalog';
import { deleteKeys, resolveTestRedisUrl, testPrefix } from '@foley/testkit/redis';
import { type Job, Queue, Worker } from 'bullmq';
import type { Express } from 'express';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp } from '../app';
import { dashboardRouter } from './dashboard';

const SETTINGS = {
  ADMIN_USER: 'ops',
  ADMIN_PASSWORD: 'ops-password-1',
  ADMIN_READONLY_USER: 'viewer',
  ADMIN_READONLY_PASSWORD: 'viewer-password-2',
};
const SECRETS = ['SIG-video-123', 'hook-token-456', 'sk_live_789', 'SIG-in-error-000', 'SIG-output-321'];
interface BoardJob {
  id: string;
  name: string;
  failedReason?: string;
  data: {
    input?: { video_url: string };
    webhook_url?: string;
    metadata?: unknown;
    target_url?: string;
    body?: string;
  };
}

const logger = createLogger({ name: 'test', level: 'silent' });

let redis: RedisClient;
let workerRedis: RedisClient;
let prefix: string;
let dubbing: Queue;
let webhooks: Queue;
let server: ReturnType<Express['listen']>;
let base: string;

const auth = (user: string, password: string) => ({
  authorization: `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`,
});
const admin = auth(SETTINGS.ADMIN_USER, SETTINGS.ADMIN_PASSWORD);
const viewer = auth(SETTINGS.ADMIN_READONLY_USER, SETTINGS.ADMIN_READONLY_PASSWORD);
const call = (method: string, path: string, headers: Record<string, string> = {}) =>
  fetch(`${base}${path}`, { method, headers: { 'content-type': 'application/json', ...headers } });

function dubData(id: string): DubJobData {
  return {
    id,
    tenant: 'acme',
    batch_id: 'bat_0123456789',
    fal_request_id: `req-${id}`,
    created_at: new Date().toISOString(),
    input: {
      video_url: `https://bucket.s3.example/in/${id}.mp4?X-Amz-Credential=AKIA&X-Amz-Signature=${SECRETS[0]}`,
      sound_effect_prompt: 'rain',
      background_music_prompt: 'piano',
      asmr_mode: false,
    },
    webhook_url: `https://hooks.example/foley?token=${SECRETS[1]}`,
    metadata: { api_key: SECRETS[2], order: 42 },
  };
}

async function waitForState(queue: Queue, id: string, states: string[]) {
  for (let i = 0; i < 100; i++) {
    const state = await queue.getJobState(id);
    if (states.includes(state)) return state;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`job ${id} never reached ${states.join('|')}`);
}

beforeAll(async () => {
  const url = await resolveTestRedisUrl();
  prefix = testPrefix('dashboard');
  redis = createRedis(url, 'producer');
  workerRedis = createRedis(url, 'worker');
  if (redis.status !== 'ready') await new Promise((resolve) => redis.once('ready', resolve));
  dubbing = new Queue(QUEUES.dubbing.name, { connection: redis, prefix });
  webhooks = new Queue(QUEUES.webhooks.name, { connection: redis, prefix });
  await dubbing.add('dub', dubData('job_done1'), { jobId: 'job_done1' });
  await dubbing.add('dub', dubData('job_fail1'), { jobId: 'job_fail1', attempts: 1 });
  await webhooks.add(
    'deliver',
    {
      event_id: 'evt_0001',
      type: 'job.completed',
      target_url: `https://hooks.example/in?token=${SECRETS[1]}`,
      body: JSON.stringify({
        type: 'job.completed',
        data: { output: { url: `https://s3/o?X-Amz-Signature=${SECRETS[4]}` } },
      }),
      resource: { kind: 'job', id: 'job_done1', tenant: 'acme' },
    },
    { jobId: 'evt_0001' },
  );
  const worker = new Worker(
    QUEUES.dubbing.name,
    async (job: Job) => {
      if (job.id === 'job_fail1')
        throw new Error(`GET https://cdn.example/v.mp4?X-Amz-Signature=${SECRETS[3]} failed`);
      return { fal_request_id: `req-${job.id}`, note: `https://s3/o?X-Amz-Signature=${SECRETS[4]}` };
    },
    { connection: workerRedis, prefix },
  );
  await waitForState(dubbing, 'job_done1', ['completed']);
  await waitForState(dubbing, 'job_fail1', ['failed']);
  await worker.close();

  const router = dashboardRouter({ settings: SETTINGS, queues: [dubbing, webhooks], logger });
  if (!router) throw new Error('dashboard should be enabled');
  const app = createApp({ logger, redis, apiKeys: [], publicRouters: [router], apiRouters: [] });
  server = app.listen(0, '127.0.0.1');
  await new Promise((r) => server.once('listening', r));
  const address = server.address();
  base = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
});

afterAll(async () => {
  server?.closeAllConnections();
  await new Promise((r) => server?.close(r));
  await dubbing?.close();
  await webhooks?.close();
  if (redis) await deleteKeys(redis, prefix);
  redis?.disconnect();
  workerRedis?.disconnect();
});

describe('dashboard auth', () => {
  const paths: Array<[string, string]> = [
    ['GET', '/admin/queues'],
    ['GET', '/admin/queues/api/queues'],
    ['GET', '/admin/queues/static/images/logo.svg'],
    ['PUT', '/admin/queues/api/queues/dubbing/job_fail1/retry'],
    ['PUT', '/admin/queues/api/queues/dubbing/clean/failed'],
    ['PUT', '/admin/queues/api/queues/dubbing/job_fail1/clean'],
  ];

  it.each(paths)('%s %s without credentials is 401 with a Basic challenge', async (method, path) => {
    const res = await call(method, path);
    expect(res.status).toBe(401);
    expect(res.headers.get('www-authenticate')).toMatch(/^Basic realm="Foley ops"/);
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe('unauthorized');
  });

  it.each(paths)('%s %s with a wrong password or user is 401', async (method, path) => {
    expect((await call(method, path, auth(SETTINGS.ADMIN_USER, 'nope'))).status).toBe(401);
    expect((await call(method, path, auth('someone', SETTINGS.ADMIN_PASSWORD))).status).toBe(401);
    // The read-only password does not open the admin account.
    expect(
      (await call(method, path, auth(SETTINGS.ADMIN_USER, SETTINGS.ADMIN_READONLY_PASSWORD))).status,
    ).toBe(401);
  });

  it('serves the UI to both accounts', async () => {
    for (const [who, title] of [
      [admin, '<title>Foley</title>'],
      [viewer, '<title>Foley (read-only)</title>'],
    ] as const) {
      const res = await call('GET', '/admin/queues', who);
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toMatch(/text\/html/);
      const html = await res.text();
      expect(html).toContain('<base href="/admin/queues/" />');
      expect(html).toContain(title);
    }
  });

  it('refuses the read-only account every change with 403 and leaves the jobs alone', async () => {
    for (const [method, path] of [
      ['PUT', '/admin/queues/api/queues/dubbing/job_fail1/retry'],
      ['PUT', '/admin/queues/api/queues/dubbing/retry/failed'],
      ['PUT', '/admin/queues/api/queues/dubbing/clean/failed'],
      ['PUT', '/admin/queues/api/queues/dubbing/job_fail1/clean'],
      ['PUT', '/admin/queues/api/queues/dubbing/obliterate'],
      ['POST', '/admin/queues/api/queues/dubbing/add'],
      ['PATCH', '/admin/queues/api/queues/dubbing/job_fail1/update-data'],
    ] as const) {
      const res = await call(method, path, viewer);
      expect(res.status, `${method} ${path}`).toBe(403);
    }
    expect(await dubbing.getJobState('job_fail1')).toBe('failed');
    const list = await call('GET', '/admin/queues/api/queues', viewer);
    const body = (await list.json()) as {
      queues: Array<{ name: string; readOnlyMode: boolean; allowRetries: boolean }>;
    };
    expect(body.queues.map((q) => [q.name, q.readOnlyMode, q.allowRetries]).sort()).toEqual([
      ['dubbing', true, false],
      ['webhooks', true, false],
    ]);
  });

  it('lets the admin account retry and remove jobs', async () => {
    const list = (await (await call('GET', '/admin/queues/api/queues', admin)).json()) as {
      queues: Array<{ readOnlyMode: boolean }>;
    };
    expect(list.queues.every((q) => !q.readOnlyMode)).toBe(true);
    await dubbing.add('dub', dubData('job_fail2'), { jobId: 'job_fail2' });
    await dubbing.add('dub', dubData('job_gone'), { jobId: 'job_gone' });
    const worker = new Worker(
      QUEUES.dubbing.name,
      async () => {
        throw new Error('boom');
      },
      { connection: workerRedis, prefix },
    );
    await waitForState(dubbing, 'job_fail2', ['failed']);
    await waitForState(dubbing, 'job_gone', ['failed']);
    await worker.close();

    const retry = await call('PUT', '/admin/queues/api/queues/dubbing/job_fail2/retry', admin);
    expect(retry.status).toBe(204);
    expect(await dubbing.getJobState('job_fail2')).toBe('waiting');
    const remove = await call('PUT', '/admin/queues/api/queues/dubbing/job_gone/clean', admin);
    expect(remove.status).toBe(204);
    expect(await dubbing.getJob('job_gone')).toBeUndefined();
    await dubbing.remove('job_fail2');
  });
});

describe('dashboard redaction', () => {
  const pages = [
    '/admin/queues/api/queues?activeQueue=dubbing&status=completed&page=1&jobsPerPage=10',
    '/admin/queues/api/queues?activeQueue=dubbing&status=failed&page=1&jobsPerPage=10',
    '/admin/queues/api/queues?activeQueue=webhooks&status=latest',
    '/admin/queues/api/queues/dubbing/job_fail1',
    '/admin/queues/api/queues/dubbing/job_done1',
    '/admin/queues/api/queues/webhooks/evt_0001',
  ];

  it.each(pages)('GET %s shows no presigned URL, token or key', async (path) => {
    for (const who of [admin, viewer]) {
      const res = await call('GET', path, who);
      expect(res.status).toBe(200);
      const text = await res.text();
      for (const secret of SECRETS) expect(text).not.toContain(secret);
      expect(text).toContain('?[redacted]');
    }
  });

  it('names jobs readably and keeps what ops need to see', async () => {
    const res = await call('GET', '/admin/queues/api/queues?activeQueue=dubbing&status=failed&page=1', admin);
    const body = (await res.json()) as { queues: Array<{ name: string; jobs: BoardJob[] }> };
    const job = body.queues.find((q) => q.name === 'dubbing')?.jobs.find((j) => j.id === 'job_fail1');
    expect(job?.name).toBe('dub job_fail1 (tenant acme, batch bat_0123456789, fal req-job_fail1)');
    expect(job?.data.input?.video_url).toBe('https://bucket.s3.example/in/job_fail1.mp4?[redacted]');
    expect(job?.data.webhook_url).toBe('https://hooks.example/foley?[redacted]');
    expect(job?.data.metadata).toEqual({ api_key: '[redacted]', order: 42 });
    expect(job?.failedReason).toBe('GET https://cdn.example/v.mp4?[redacted] failed');

    const hook = (await (await call('GET', '/admin/queues/api/queues/webhooks/evt_0001', admin)).json()) as {
      job: BoardJob;
    };
    expect(hook.job.name).toBe('job.completed evt_0001 → job job_done1 (tenant acme)');
    expect(hook.job.data.target_url).toBe('https://hooks.example/in?[redacted]');
    expect(JSON.parse(hook.job.data.body ?? '{}').data.output.url).toBe('https://s3/o?[redacted]');
  });
});

describe('dashboard disabled', () => {
  it('is not mounted without ADMIN_USER and says so in the log', async () => {
    const lines: string[] = [];
    const sink = new Writable({
      write(chunk, _enc, done) {
        lines.push(String(chunk));
        done();
      },
    });
    const log = pino({ level: 'info' }, sink);
    expect(dashboardRouter({ settings: {}, queues: [dubbing], logger: log })).toBeUndefined();
    expect(lines.join('')).toContain('dashboard disabled');
  });

  it('refuses an admin user without a password', () => {
    expect(() => dashboardRouter({ settings: { ADMIN_USER: 'ops' }, queues: [dubbing], logger })).toThrow(
      /ADMIN_PASSWORD/,
    );
  });
});
