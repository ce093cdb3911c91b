import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { apiConfigSchema } from '@foley/api/config';
import { type RunningApi, startApi } from '@foley/api/server';
import { loadConfig } from '@foley/shared/infra/config';
import { createLogger } from '@foley/shared/infra/logger';
import { createRedis, type RedisClient } from '@foley/shared/infra/redis';
import type { DubJobData } from '@foley/shared/jobs/contract';
import { QUEUES } from '@foley/shared/queues/catalog';
import { deleteKeys, resolveTestRedisUrl, testPrefix } from '@foley/testkit/redis';
import { startTestS3, type TestS3 } from '@foley/testkit/s3';
import { type Job, Queue, Worker } from 'bullmq';
import { type Browser, chromium } from 'playwright-core';
import { afterAll, beforeAll, expect, it } from 'vitest';

// An operator opens the dashboard in a real browser: logs in, sees a completed and a failed dubbing job.
const ADMIN = { username: 'ops', password: 'ops-browser-password' };
let s3: TestS3;
let redis: RedisClient;
let prefix: string;
let api: RunningApi;
let browser: Browser;
let shots: string;

const job = (id: string): DubJobData => ({
  id,
  tenant: 'acme',
  created_at: new Date().toISOString(),
  fal_request_id: `req-${id}`,
  input: {
    video_url: `https://videos.example/${id}.mp4?X-Amz-Signature=browser-secret`,
    sound_effect_prompt: 'waves',
    background_music_prompt: 'strings',
    asmr_mode: false,
  },
});

async function waitFor(queue: Queue, id: string, state: string) {
  for (let i = 0; i < 100 && (await queue.getJobState(id)) !== state; i++)
    await new Promise((r) => setTimeout(r, 50));
  expect(await queue.getJobState(id)).toBe(state);
}

beforeAll(async () => {
  const redisUrl = await resolveTestRedisUrl();
  prefix = testPrefix('dash-e2e');
  s3 = await startTestS3();
  const bucket = await s3.createBucket();
  const env = {
    REDIS_URL: redisUrl,
    QUEUE_PREFIX: prefix,
    S3_BUCKET: bucket,
    S3_ENDPOINT: s3.endpoint,
    S3_FORCE_PATH_STYLE: 'true',
    AWS_ACCESS_KEY_ID: s3.accessKeyId,
    AWS_SECRET_ACCESS_KEY: s3.secretAccessKey,
    API_KEYS: 'acme:dashboard_e2e_key_01',
    PORT: '0',
    HOST: '127.0.0.1',
    ADMIN_USER: ADMIN.username,
    ADMIN_PASSWORD: ADMIN.password,
  };
  api = await startApi(loadConfig(apiConfigSchema, env), createLogger({ name: 'e2e', level: 'silent' }));

  redis = createRedis(redisUrl, 'worker');
  const queue = new Queue(QUEUES.dubbing.name, { connection: redis, prefix });
  await queue.add('dub', job('job_e2e_done'), { jobId: 'job_e2e_done' });
  await queue.add('dub', job('job_e2e_fail'), { jobId: 'job_e2e_fail', attempts: 1 });
  const stub = new Worker(
    QUEUES.dubbing.name,
    async (j: Job) => {
      if (j.id === 'job_e2e_fail') throw new Error('video is 31 s; the model takes 3–20 s');
      return { fal_request_id: `req-${j.id}` };
    },
    { connection: redis, prefix },
  );
  await waitFor(queue, 'job_e2e_done', 'completed');
  await waitFor(queue, 'job_e2e_fail', 'failed');
  await stub.close();
  await queue.close();

  shots = await mkdtemp(join(tmpdir(), 'foley-dashboard-'));
  browser = await chromium.launch({
    executablePath: '/usr/bin/chromium',
    headless: true,
    args: ['--no-sandbox'],
  });
});

afterAll(async () => {
  await browser?.close();
  await api?.close();
  if (redis) await deleteKeys(redis, prefix);
  redis?.disconnect();
  await s3?.close();
  if (shots) await rm(shots, { recursive: true, force: true });
});

it('shows the completed and the failed job after a Basic-auth login, and can be captured', async () => {
  const context = await browser.newContext({
    httpCredentials: ADMIN,
    viewport: { width: 1280, height: 900 },
  });
  // The machine is offline and tests talk to loopback only: drop anything else (the UI links web fonts).
  await context.route(/^https?:\/\/(?!127\.0\.0\.1[:/])/, (route) => route.abort());
  const page = await context.newPage();

  const response = await page.goto(`${api.url}/admin/queues/queue/dubbing?status=completed`);
  expect(response?.status()).toBe(200);
  await page
    .getByText('dub job_e2e_done (tenant acme, fal req-job_e2e_done)')
    .first()
    .waitFor({ timeout: 20_000 });

  await page.goto(`${api.url}/admin/queues/queue/dubbing?status=failed`);
  await page
    .getByText('dub job_e2e_fail (tenant acme, fal req-job_e2e_fail)')
    .first()
    .waitFor({ timeout: 20_000 });
  await page.getByText('video is 31 s; the model takes 3–20 s').first().waitFor({ timeout: 20_000 });
  expect(await page.content()).not.toContain('browser-secret');

  const file = join(shots, 'dashboard-failed.png');
  await page.screenshot({ path: file, fullPage: true });
  if (process.env.KEEP_SCREENSHOT)
    await page.screenshot({ path: process.env.KEEP_SCREENSHOT, fullPage: true });
  expect((await stat(file)).size).toBeGreaterThan(10_000);
  await context.close();
});

it('refuses a browser without the right credentials', async () => {
  const anonymous = await browser.newContext();
  // Headless Chromium has nobody to ask for a login, so the navigation itself fails.
  await expect((await anonymous.newPage()).goto(`${api.url}/admin/queues`)).rejects.toThrow(
    /ERR_INVALID_AUTH_CREDENTIALS/,
  );
  const res = await anonymous.request.get(`${api.url}/admin/queues/api/queues`);
  expect(res.status()).toBe(401);
  expect(res.headers()['www-authenticate']).toMatch(/^Basic /);
  await anonymous.close();

  const wrong = await browser.newContext({
    httpCredentials: { username: ADMIN.username, password: 'wrong' },
  });
  expect((await wrong.request.get(`${api.url}/admin/queues/api/queues`)).status()).toBe(401);
  await wrong.close();
});
