import { readAccountState } from '@foley/shared/dispatch/account-state';
import { createReadyList } from '@foley/shared/dispatch/ready-entry';
import { foleyKeys } from '@foley/shared/infra/keys';
import type { RedisClient } from '@foley/shared/infra/redis';
import { createRedis } from '@foley/shared/infra/redis';
import { deleteKeys, resolveTestRedisUrl, testPrefix } from '@foley/testkit/redis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createFalDispatch, type FalDispatchOptions } from './fal-dispatch';

// The dispatcher's Lua against a real Redis: who gets each freed slot, and what waiting costs.
let redis: RedisClient;
const prefixes: string[] = [];
beforeAll(async () => {
  redis = createRedis(await resolveTestRedisUrl(), 'worker');
});
afterAll(async () => {
  for (const p of prefixes) await deleteKeys(redis, p);
  redis.disconnect();
});

let seq = 0;
/** Ids that sort by creation, like real job ids. */
const jobId = (tenant: string) => `job_${String(++seq).padStart(8, '0')}${tenant}`;

function setup(overrides: Partial<FalDispatchOptions> = {}) {
  const prefix = testPrefix('disp');
  prefixes.push(prefix);
  const keys = foleyKeys(prefix);
  const promoted: string[] = [];
  let clock = 1_000_000;
  const dispatch = createFalDispatch({
    redis,
    keys,
    account: 'main',
    concurrency: 1,
    tenants: { mode: 'out', list: [] },
    weights: { byTenant: {} },
    maxRunning: { byTenant: {} },
    promote: async (id) => {
      promoted.push(id);
      return 'promoted';
    },
    // These jobs never start (nothing calls tryAcquire for them): no re-promote of unstarted grants here.
    staleGrantMs: 1e9,
    now: () => clock,
    ...overrides,
  });
  const ready = createReadyList({ redis, keys });
  const list = async (tenant: string, n: number, priority?: number) => {
    const tickets = Array.from({ length: n }, () => ({ id: jobId(tenant), tenant, priority }));
    for (let i = 0; i < tickets.length; i += 1000) await ready.add(tenant, tickets.slice(i, i + 1000));
    return tickets.map((t) => t.id);
  };
  /** One slot turnover: the job that got the slot finishes and frees it; returns who got it next. */
  const turnover = async () => {
    const holder = promoted[promoted.length - 1] as string;
    await dispatch.release(holder);
    return promoted[promoted.length - 1] === holder ? undefined : promoted[promoted.length - 1];
  };
  return {
    keys,
    dispatch,
    promoted,
    list,
    turnover,
    advance: (ms: number) => {
      clock += ms;
    },
  };
}

const tenantOf = (id: string | undefined) => id?.replace(/^job_\d+/, '');

describe('fal dispatch (real Redis)', () => {
  it('alternates between two tenants: every window of 50 dispatches gives the newcomer 50% ± 15 pp', async () => {
    const t = setup();
    await t.list('big', 2_000);
    await t.dispatch.tick();
    // "small" arrives after 2,000 of "big" are waiting.
    await t.list('small', 100);
    const order: string[] = [];
    for (let i = 0; i < 300; i++) order.push(tenantOf(await t.turnover()) as string);
    // Both have work waiting for the first 200 dispatches (100 of "small" among them).
    for (let w = 0; w + 50 <= 200; w += 50) {
      const share = order.slice(w, w + 50).filter((x) => x === 'small').length / 50;
      expect(share).toBeGreaterThanOrEqual(0.35);
      expect(share).toBeLessThanOrEqual(0.65);
    }
    // Once "small" has nothing left, "big" gets every slot.
    expect(order.filter((x) => x === 'small')).toHaveLength(100);
    expect(order.slice(210).every((x) => x === 'big')).toBe(true);
  });

  it('weights the share by TENANT_WEIGHTS (acme:2 gets two of every three)', async () => {
    const t = setup({ weights: { byTenant: { acme: 2 } } });
    await t.list('acme', 300);
    await t.list('beta', 300);
    await t.dispatch.tick();
    const order: string[] = [];
    for (let i = 0; i < 150; i++) order.push(tenantOf(await t.turnover()) as string);
    const acme = order.filter((x) => x === 'acme').length / order.length;
    expect(acme).toBeGreaterThan(0.6);
    expect(acme).toBeLessThan(0.72);
  });

  it('a single job of an idle tenant gets the very next free slot, behind 5,000 of another', async () => {
    const t = setup();
    await t.list('busy', 5_000);
    await t.dispatch.tick();
    for (let i = 0; i < 10; i++) await t.turnover();
    const [single] = await t.list('idle', 1);
    expect(await t.turnover()).toBe(single);
  });

  it('within a tenant: higher priority first, then first come first served', async () => {
    const t = setup();
    const low = await t.list('acme', 2, 1);
    const normal = await t.list('acme', 2);
    const high = await t.list('acme', 1, 9);
    await t.dispatch.tick();
    const order = [t.promoted[0]];
    for (let i = 0; i < 4; i++) order.push(await t.turnover());
    expect(order).toEqual([...high, ...normal, ...low]);
  });

  it('waiting costs nothing per job: a dispatch takes the same Redis calls with 100 or 10,000 waiting', async () => {
    const cost = async (waiting: number) => {
      const counted = new Proxy(redis, {
        get(target, prop, receiver) {
          const value = Reflect.get(target, prop, receiver);
          if (typeof value !== 'function') return value;
          return (...args: unknown[]) => {
            calls++;
            return value.apply(target, args);
          };
        },
      });
      let calls = 0;
      const t = setup({ redis: counted });
      await t.list('a', waiting);
      await t.list('b', waiting);
      await t.dispatch.tick();
      calls = 0;
      for (let i = 0; i < 20; i++) await t.turnover();
      const started = performance.now();
      for (let i = 0; i < 20; i++) await t.turnover();
      return { calls, ms: performance.now() - started };
    };
    const small = await cost(100);
    const large = await cost(10_000);
    // One Lua call per dispatch, whatever the backlog (the promote itself is the test's stub).
    expect(small.calls).toBe(40);
    expect(large.calls).toBe(small.calls);
  });

  it('a paused account dispatches nothing but one probe at growing intervals; a submit that works resumes it', async () => {
    const t = setup({ concurrency: 3 });
    const ids = await t.list('acme', 10);
    await t.dispatch.tick();
    expect(t.promoted).toHaveLength(3);
    // The first submit is refused: account locked. The job goes back to its place.
    expect(
      await t.dispatch.refused(ids[0] as string, { tenant: 'acme' }, { reason: 'fal_account_locked' }),
    ).toBe(true);
    const state = await readAccountState(redis, t.keys, 'main');
    expect(state).toMatchObject({ account: 'main', state: 'paused', reason: 'fal_account_locked' });
    await t.dispatch.release(ids[1] as string);
    await t.dispatch.release(ids[2] as string);
    await t.dispatch.tick();
    expect(t.promoted).toHaveLength(3); // nothing while paused
    t.advance(5_000);
    await t.dispatch.tick();
    expect(t.promoted.slice(3)).toEqual([ids[0]]); // the probe: the refused job, first in line again
    await t.dispatch.tick();
    expect(t.promoted).toHaveLength(4); // one probe per interval
    await t.dispatch.refused(ids[0] as string, { tenant: 'acme' }, { reason: 'fal_account_locked' });
    t.advance(9_000);
    await t.dispatch.tick();
    expect(t.promoted).toHaveLength(4); // the second interval is longer (10 s)
    t.advance(1_000);
    await t.dispatch.tick();
    expect(t.promoted).toHaveLength(5);
    await t.dispatch.accepted();
    expect((await readAccountState(redis, t.keys, 'main')).state).toBe('active');
    await t.dispatch.tick();
    expect(t.promoted).toHaveLength(7); // back to the full concurrency
  });

  it('a 429 to the probe of a paused account: fal took the account again, so it is only slowed', async () => {
    // The chaos suite's full run: a lock, then 429s answered every probe; the account stayed paused with
    // the probe interval doubling (5, 10, 20 … 160 s) and 239 jobs queued for minutes.
    const t = setup({ concurrency: 3, slowIntervalMs: 1_000 });
    const ids = await t.list('acme', 10);
    await t.dispatch.tick();
    await t.dispatch.refused(ids[0] as string, { tenant: 'acme' }, { reason: 'fal_account_locked' });
    for (const id of ids.slice(1, 3)) await t.dispatch.release(id as string);
    t.advance(5_000);
    await t.dispatch.tick();
    expect(t.promoted.slice(3)).toEqual([ids[0]]); // the probe
    await t.dispatch.refused(
      ids[0] as string,
      { tenant: 'acme' },
      { reason: 'fal_rate_limited', retryAfterMs: 1_000 },
    );
    expect(await readAccountState(redis, t.keys, 'main')).toMatchObject({
      state: 'slowed',
      reason: 'fal_rate_limited',
    });
    t.advance(1_000);
    await t.dispatch.tick();
    expect(t.promoted).toHaveLength(5); // one a second after Retry-After, not the next probe 10 s later
  });

  it('a 401 pauses only a key that worked before; a key that never worked fails its job as before', async () => {
    const t = setup();
    const [a] = await t.list('acme', 1);
    await t.dispatch.tick();
    expect(await t.dispatch.refused(a as string, { tenant: 'acme' }, { reason: 'fal_unauthorized' })).toBe(
      false,
    );
    expect((await readAccountState(redis, t.keys, 'main')).state).toBe('active');
    await t.dispatch.accepted();
    expect(await t.dispatch.refused(a as string, { tenant: 'acme' }, { reason: 'fal_unauthorized' })).toBe(
      true,
    );
    expect((await readAccountState(redis, t.keys, 'main')).state).toBe('paused');
  });

  it('a 429 slows the account: one dispatch per interval after Retry-After, then full speed again', async () => {
    const t = setup({ concurrency: 5, slowIntervalMs: 1_000 });
    const ids = await t.list('acme', 20);
    await t.dispatch.tick();
    expect(t.promoted).toHaveLength(5);
    await t.dispatch.refused(
      ids[0] as string,
      { tenant: 'acme' },
      { reason: 'fal_rate_limited', retryAfterMs: 3_000 },
    );
    expect(await readAccountState(redis, t.keys, 'main')).toMatchObject({
      state: 'slowed',
      reason: 'fal_rate_limited',
    });
    await t.dispatch.tick();
    expect(t.promoted).toHaveLength(5); // Retry-After honoured
    t.advance(3_000);
    await t.dispatch.tick();
    await t.dispatch.tick();
    expect(t.promoted).toHaveLength(6); // then one per interval
    t.advance(1_000);
    await t.dispatch.release(ids[1] as string);
    await t.dispatch.release(ids[2] as string);
    expect(t.promoted).toHaveLength(7);
    t.advance(10_000);
    await t.dispatch.tick();
    expect((await readAccountState(redis, t.keys, 'main')).state).toBe('active');
    expect(t.promoted).toHaveLength(8); // every free slot at once (4 held + 1)
  });

  it('TENANT_MAX_RUNNING caps a tenant while the others use the free slots', async () => {
    const t = setup({ concurrency: 4, maxRunning: { byTenant: { acme: 1 } } });
    await t.list('acme', 5);
    await t.list('beta', 5);
    await t.dispatch.tick();
    expect(t.promoted.map(tenantOf).sort()).toEqual(['acme', 'beta', 'beta', 'beta']);
  });

  it('serves only its own tenants: a paused account never slows another account', async () => {
    const prefix = testPrefix('disp2');
    prefixes.push(prefix);
    const keys = foleyKeys(prefix);
    const promoted: string[] = [];
    const make = (account: string, tenants: FalDispatchOptions['tenants']) =>
      createFalDispatch({
        redis,
        keys,
        account,
        concurrency: 2,
        tenants,
        weights: { byTenant: {} },
        maxRunning: { byTenant: {} },
        promote: async (id) => {
          promoted.push(`${account}:${id}`);
          return 'promoted';
        },
      });
    const main = make('main', { mode: 'out', list: ['acme'] });
    const own = make('own', { mode: 'in', list: ['acme'] });
    const ready = createReadyList({ redis, keys });
    await ready.add(
      'acme',
      [1, 2, 3].map((i) => ({ id: `job_acme${i}`, tenant: 'acme' })),
    );
    await ready.add(
      'beta',
      [1, 2, 3].map((i) => ({ id: `job_beta${i}`, tenant: 'beta' })),
    );
    await own.refused('job_acme0', { tenant: 'acme' }, { reason: 'fal_account_locked' });
    await main.tick();
    await own.tick();
    expect(promoted.sort()).toEqual(['main:job_beta1', 'main:job_beta2']);
  });

  it('a grant whose promote was lost is promoted again; a vanished job gives its slot to the next', async () => {
    let lose = true;
    const promoted: string[] = [];
    const t = setup({
      staleGrantMs: 2_000,
      promote: async (id) => {
        if (id.endsWith('gone')) return 'missing';
        promoted.push(id);
        if (lose) {
          lose = false;
          throw new Error('connection lost');
        }
        return 'promoted';
      },
    });
    const [first] = await t.list('acme', 1);
    await t.dispatch.tick();
    expect(promoted).toEqual([first]);
    t.advance(2_500);
    await t.dispatch.tick();
    expect(promoted).toEqual([first, first]);
    const [gone] = await t.list('gone', 1);
    const [next] = await t.list('acme', 1);
    await t.dispatch.release(first as string);
    expect(gone).toBeDefined();
    expect(promoted).toEqual([first, first, next]);
  });
});

describe('fal dispatch keys (real Redis)', () => {
  it('every key it writes expires or empties: the account state hash keeps a TTL through grants, submits and refusals', async () => {
    const t = setup({ concurrency: 2 });
    const [a, b] = await t.list('acme', 3);
    const state = t.keys.falAccountState('main');
    const ttl = () => redis.ttl(state);
    await t.dispatch.tick();
    expect(await ttl()).toBeGreaterThan(0);
    await redis.persist(state);
    await t.dispatch.accepted();
    expect(await ttl()).toBeGreaterThan(0);
    await redis.persist(state);
    await t.dispatch.refused(
      a as string,
      { tenant: 'acme' },
      { reason: 'fal_rate_limited', retryAfterMs: 100 },
    );
    expect(await ttl()).toBeGreaterThan(0);
    await redis.persist(state);
    t.advance(20_000);
    await t.dispatch.release(b as string);
    expect(await ttl()).toBeGreaterThan(0);
    // The rest of the account's keys empty out (Redis deletes an empty ZSET or HASH) once its jobs end.
    for (const id of t.promoted) await t.dispatch.release(id);
    await t.dispatch.tick();
    for (const id of t.promoted) await t.dispatch.release(id);
    const left = await redis.keys(`${t.keys.falSlots('main').replace(/:slots$/, '')}:*`);
    expect(left).toEqual([state]);
    expect(await redis.exists(t.keys.dispatchReady(), t.keys.dispatchTenants())).toBe(0);
  });
});
