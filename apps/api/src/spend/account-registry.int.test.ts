import { accountOf, writeAccounts } from '@foley/shared/dispatch/account-state';
import { foleyKeys } from '@foley/shared/infra/keys';
import { createRedis, type RedisClient } from '@foley/shared/infra/redis';
import { createPriceList } from '@foley/shared/spend/price';
import { deleteKeys, resolveTestRedisUrl, testPrefix } from '@foley/testkit/redis';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createAccountRegistry } from './account-registry';

let redis: RedisClient;
let prefix: string;

beforeAll(async () => {
  redis = createRedis(await resolveTestRedisUrl(), 'worker');
  prefix = testPrefix('account-registry');
});
afterAll(async () => {
  await deleteKeys(redis, prefix);
  redis.disconnect();
});

it("prices an unmapped tenant at the workers' first account, re-reading the registry as workers rewrite it", async () => {
  const keys = foleyKeys(prefix);
  const prices = createPriceList({
    defaultMicros: 35_000,
    perAccount: new Map([
      ['main', 30_000],
      ['own', 20_000],
    ]),
  });
  const mapping = { byTenant: { beta: 'own' } };
  const registry = createAccountRegistry({ redis, keys, refreshMs: 50 });
  const unitPrice = (tenant: string) => prices.priceFor(accountOf(tenant, mapping, registry.current()));
  try {
    await registry.ready;
    // No worker has written its accounts yet: the one implicit account, `default`.
    expect(registry.current().map((a) => a.name)).toEqual(['default']);
    expect(unitPrice('acme')).toBe(35_000);

    await writeAccounts(redis, keys, [
      { name: 'main', concurrency: 4 },
      { name: 'own', concurrency: 2 },
    ]);
    const deadline = Date.now() + 5_000;
    while (registry.current()[0]?.name !== 'main' && Date.now() < deadline)
      await new Promise((r) => setTimeout(r, 20));
    expect(unitPrice('acme')).toBe(30_000);
    expect(unitPrice('beta')).toBe(20_000);
  } finally {
    registry.stop();
  }
});
