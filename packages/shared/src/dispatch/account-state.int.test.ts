import { deleteKeys, resolveTestRedisUrl, testPrefix } from '@foley/testkit/redis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { foleyKeys } from '../infra/keys';
import { createRedis, type RedisClient } from '../infra/redis';
import { ACCOUNTS_TTL_SECONDS, readAccounts, writeAccounts } from './account-state';

let redis: RedisClient;
const prefix = testPrefix('acct');
beforeAll(async () => {
  redis = createRedis(await resolveTestRedisUrl(), 'worker');
});
afterAll(async () => {
  await deleteKeys(redis, prefix);
  redis.disconnect();
});

describe('account registry (real Redis)', () => {
  it('expires unless a worker writes it again: no key of a deployment outlives its workers', async () => {
    const keys = foleyKeys(prefix);
    await writeAccounts(redis, keys, [{ name: 'main', concurrency: 4 }]);
    expect(await readAccounts(redis, keys)).toEqual([{ name: 'main', concurrency: 4 }]);
    const ttl = await redis.ttl(keys.dispatchAccounts());
    expect(ttl).toBeGreaterThan(ACCOUNTS_TTL_SECONDS - 5);
    expect(ttl).toBeLessThanOrEqual(ACCOUNTS_TTL_SECONDS);
  });
});
