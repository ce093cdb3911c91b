import { deleteKeys, resolveTestRedisUrl, testPrefix } from '@foley/testkit/redis';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { foleyKeys } from '../infra/keys';
import { createRedis, type RedisClient } from '../infra/redis';
import { createJobSignalStore } from './signals';

describe('submit claim (real Redis)', () => {
  let redis: RedisClient;
  let prefix: string;
  beforeEach(async () => {
    redis = createRedis(await resolveTestRedisUrl(), 'worker');
    prefix = testPrefix('claim');
  });
  afterEach(async () => {
    await deleteKeys(redis, prefix);
    redis.disconnect();
  });

  it('is one attempt’s: the same attempt asking again keeps it (a resent command), another is refused', async () => {
    const store = createJobSignalStore({ redis, keys: foleyKeys(prefix), now: () => 1_000 });
    expect(await store.submitClaimedAt('job_a')).toBeUndefined();
    expect(await store.claimSubmit('job_a', 'run-1')).toBe(true);
    // Before: a SET NX that Redis ran but whose answer a restart cut off was resent and refused its own run.
    expect(await store.claimSubmit('job_a', 'run-1')).toBe(true);
    expect(await store.claimSubmit('job_a', 'run-2')).toBe(false);
    expect(await store.claimSubmit('job_a')).toBe(false);
    expect(await store.submitClaimedAt('job_a')).toBe(1_000);
    await store.releaseSubmit('job_a');
    expect(await store.claimSubmit('job_a', 'run-2')).toBe(true);
  });

  it('reads the time of a claim written before claims named their attempt', async () => {
    const keys = foleyKeys(prefix);
    await redis.set(keys.falSubmitClaim('job_old'), '12345');
    const store = createJobSignalStore({ redis, keys });
    expect(await store.submitClaimedAt('job_old')).toBe(12_345);
    expect(await store.claimSubmit('job_old', 'run-1')).toBe(false);
  });
});
