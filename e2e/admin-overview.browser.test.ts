import { apiConfigSchema } from '@foley/api/config';
import { type RunningApi, startApi } from '@foley/api/server';
import { writeAccounts } from '@foley/shared/dispatch/account-state';
import { createReadyList } from '@foley/shared/dispatch/ready-entry';
import { loadConfig } from '@foley/shared/infra/config';
import { foleyKeys } from '@foley/shared/infra/keys';
import { createLogger } from '@foley/shared/infra/logger';
import type { RedisClient } from '@foley/shared/infra/redis';
import { createRedis } from '@foley/shared/infra/redis';
import { tenantBudgets } from '@foley/shared/spend/budgets';
import { createSpendLedger } from '@foley/shared/spend/ledger';
import { deleteKeys, resolveTestRedisUrl, testPrefix } from '@foley/testkit/redis';
import { startTestS3, type TestS3 } from '@foley/testkit/s3';
import { createFalDispatch } from '@foley/worker/clients/fal-dispatch';
import { type Browser, chromium } from 'playwright-core';
import { afterAll, beforeAll, expect, it } from 'vitest';

// An operator opens /admin in a real browser: fal accounts with their state and slots, tenants with
// their queued, running and finished-today counts, share of dispatch and spend; linked with Bull Board.
const ADMIN = { username: 'ops', password: 'ops-overview-password' };
const VIEWER = { username: 'viewer', password: 'viewer-overview-password' };
let s3: TestS3;
let redis: RedisClient;
let prefix: string;
let api: RunningApi;
let browser: Browser;

beforeAll(async () => {
  const redisUrl = await resolveTestRedisUrl();
  prefix = testPrefix('overview-e2e');
  s3 = await startTestS3();
  const env = {
    REDIS_URL: redisUrl,
    QUEUE_PREFIX: prefix,
    S3_BUCKET: await s3.createBucket(),
    S3_ENDPOINT: s3.endpoint,
    S3_FORCE_PATH_STYLE: 'true',
    AWS_ACCESS_KEY_ID: s3.accessKeyId,
    AWS_SECRET_ACCESS_KEY: s3.secretAccessKey,
    API_KEYS: 'acme:overview_key_acme_01,beta:overview_key_beta_01,gamma:overview_key_gamma_1',
    TENANT_FAL_ACCOUNTS: 'beta:own',
    TENANT_WEIGHTS: 'acme:2',
    TENANT_BUDGETS: 'acme:10/month',
    PORT: '0',
    HOST: '127.0.0.1',
    ADMIN_USER: ADMIN.username,
    ADMIN_PASSWORD: ADMIN.password,
    ADMIN_READONLY_USER: VIEWER.username,
    ADMIN_READONLY_PASSWORD: VIEWER.password,
  };
  api = await startApi(loadConfig(apiConfigSchema, env), createLogger({ name: 'e2e', level: 'silent' }));

  // The state a worker would have written: two accounts, one of them paused; acme holds main's slot.
  redis = createRedis(redisUrl, 'worker');
  const keys = foleyKeys(prefix);
  await writeAccounts(redis, keys, [
    { name: 'main', concurrency: 1 },
    { name: 'own', concurrency: 2 },
  ]);
  const ready = createReadyList({ redis, keys });
  await ready.add(
    'acme',
    [1, 2, 3].map((i) => ({ id: `job_acme${i}`, tenant: 'acme' })),
  );
  await ready.add('gamma', [{ id: 'job_gamma1', tenant: 'gamma' }]);
  await ready.add('beta', [{ id: 'job_beta1', tenant: 'beta' }]);
  const common = {
    redis,
    keys,
    weights: { byTenant: { acme: 2 } },
    maxRunning: { byTenant: {} },
    promote: async () => 'promoted' as const,
  };
  const main = createFalDispatch({
    ...common,
    account: 'main',
    concurrency: 1,
    tenants: { mode: 'out', list: ['beta'] },
  });
  const own = createFalDispatch({
    ...common,
    account: 'own',
    concurrency: 2,
    tenants: { mode: 'in', list: ['beta'] },
  });
  await main.tick();
  await own.refused('job_beta1', { tenant: 'beta' }, { reason: 'fal_account_locked' });
  await ready.finished('gamma');
  // acme's spend as the API and worker would have written it: two jobs accepted now, one settled.
  const ledger = createSpendLedger({ redis, keys, budgets: tenantBudgets.parse('acme:10/month') });
  const acceptedAt = new Date();
  await ledger.reserve({ tenant: 'acme', count: 2, unitMicros: 35_000, at: acceptedAt.getTime() });
  await ledger.settle({
    tenant: 'acme',
    jobId: 'job_acme_done',
    createdAt: acceptedAt.toISOString(),
    status: 'completed',
    reservedMicros: 35_000,
    actualMicros: 35_000,
    keepReserved: false,
  });

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
});

const cells = async (page: import('playwright-core').Page, selector: string) =>
  (await page.locator(`${selector} td`).allTextContents()).map((t) => t.trim());

it('shows each account and tenant to the read-only user, with no way to change anything', async () => {
  const context = await browser.newContext({ httpCredentials: VIEWER });
  await context.route(/^https?:\/\/(?!127\.0\.0\.1[:/])/, (route) => route.abort());
  const page = await context.newPage();
  const response = await page.goto(`${api.url}/admin`);
  expect(response?.status()).toBe(200);
  expect(await page.title()).toBe('Foley overview');

  expect(await cells(page, 'tr[data-account="main"]')).toEqual(['main', 'active', '', '', '1 / 1']);
  const own = await cells(page, 'tr[data-account="own"]');
  expect(own.slice(0, 3)).toEqual(['own', 'paused', 'fal_account_locked']);
  expect(Date.parse(own[3] as string)).toBeGreaterThan(0);
  expect(own[4]).toBe('0 / 2');
  // acme: 2 waiting, 1 running; weight 2 against gamma's 1 on account main.
  // Spend today, this month, reserved, budget left: acme has $0.035 settled and $0.035 reserved.
  const none = ['$0.00', '$0.00', '$0.00', 'none'];
  expect(await cells(page, 'tr[data-tenant="acme"]')).toEqual([
    ...['acme', 'main', '2', '1', '0', '67%'],
    ...['$0.035', '$0.035', '$0.035', '$9.93 of $10.00 / month'],
  ]);
  expect(await cells(page, 'tr[data-tenant="gamma"]')).toEqual([
    'gamma',
    'main',
    '1',
    '0',
    '1',
    '33%',
    ...none,
  ]);
  expect(await cells(page, 'tr[data-tenant="beta"]')).toEqual([
    'beta',
    'own',
    '1',
    '0',
    '0',
    '100%',
    ...none,
  ]);
  expect(await page.locator('form, button, input').count()).toBe(0);
  expect((await context.request.post(`${api.url}/admin`)).status()).not.toBe(200);

  // Linked both ways with Bull Board.
  await page.getByRole('link', { name: 'Queues (Bull Board)' }).click();
  await page.waitForURL(/\/admin\/queues/);
  // Bull Board puts its misc links in the header's last menu.
  const menu = page.locator('header ul[class^="actions"] > li:last-child button');
  await menu.waitFor({ timeout: 20_000 });
  await menu.click();
  await page.getByText('Overview', { exact: true }).first().click();
  await page.waitForURL(new RegExp(`${api.url}/admin$`));
  expect(await page.locator('#accounts').count()).toBe(1);
  await context.close();
}, 60_000);

it('asks for the same Basic auth as Bull Board', async () => {
  const anonymous = await browser.newContext();
  const res = await anonymous.request.get(`${api.url}/admin`);
  expect(res.status()).toBe(401);
  const admin = await browser.newContext({ httpCredentials: ADMIN });
  expect((await admin.request.get(`${api.url}/admin`)).status()).toBe(200);
  await anonymous.close();
  await admin.close();
});
