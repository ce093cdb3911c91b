import { createReadyList } from '@foley/shared/dispatch/ready-entry';
import { foleyKeys } from '@foley/shared/infra/keys';
import { createRedis, type RedisClient } from '@foley/shared/infra/redis';
import { tenantBudgets } from '@foley/shared/spend/budgets';
import { createSpendLedger } from '@foley/shared/spend/ledger';
import { deleteKeys, resolveTestRedisUrl, testPrefix } from '@foley/testkit/redis';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createOverview } from './overview';
import { renderOverview } from './overview-page';

let redis: RedisClient;
let prefix: string;

beforeAll(async () => {
  redis = createRedis(await resolveTestRedisUrl(), 'worker');
  prefix = testPrefix('overview');
});

afterAll(async () => {
  await deleteKeys(redis, prefix);
  redis.disconnect();
});

it("shows each tenant's spend today and this month (UTC, by acceptance day) and what its budget has left", async () => {
  const keys = foleyKeys(prefix);
  const budgets = tenantBudgets.parse('acme:1/month');
  const ledger = createSpendLedger({ redis, keys, budgets });
  const at = (iso: string) => Date.parse(iso);
  const unit = 35_000; // $0.035
  const settle = (tenant: string, jobId: string, createdAt: string, actual: number) =>
    ledger.settle({
      tenant,
      jobId,
      createdAt,
      status: 'completed',
      reservedMicros: unit,
      actualMicros: actual,
      keepReserved: false,
    });
  // acme: one job accepted today (settled), one earlier this month (settled at fal's 2 units), one last
  // month (not this month), and two accepted today still open (reserved).
  await ledger.reserve({ tenant: 'acme', count: 3, unitMicros: unit, at: at('2026-11-15T08:00:00Z') });
  await settle('acme', 'job_today', '2026-11-15T08:00:00Z', unit);
  await ledger.reserve({ tenant: 'acme', count: 1, unitMicros: unit, at: at('2026-11-03T23:59:59Z') });
  await settle('acme', 'job_early', '2026-11-03T23:59:59Z', 2 * unit);
  await ledger.reserve({ tenant: 'acme', count: 1, unitMicros: unit, at: at('2026-10-31T23:59:59Z') });
  await settle('acme', 'job_october', '2026-10-31T23:59:59Z', unit);

  const overview = createOverview({
    redis,
    keys,
    ready: createReadyList({ redis, keys }),
    tenants: ['acme', 'beta'],
    mapping: { byTenant: {} },
    weights: { byTenant: {} },
    spend: ledger,
    now: () => at('2026-11-15T18:00:00Z'),
  });
  const o = await overview();
  const acme = o.tenants.find((t) => t.name === 'acme');
  const beta = o.tenants.find((t) => t.name === 'beta');
  expect(acme).toMatchObject({
    spentToday: 0.035,
    spentThisMonth: 0.105,
    reservedThisMonth: 0.07,
    budget: { budget: 1, period: 'month', remaining: 0.825 },
  });
  expect(beta).toMatchObject({ spentToday: 0, spentThisMonth: 0, reservedThisMonth: 0, budget: undefined });

  const page = renderOverview(o, { queues: '/admin/queues' });
  expect(page).toContain('<td>$0.035</td><td>$0.105</td><td>$0.07</td><td>$0.825 of $1.00 / month</td></tr>');
  expect(page).toContain('<td>$0.00</td><td>$0.00</td><td>$0.00</td><td>none</td></tr>');
});
