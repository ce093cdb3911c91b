import type { AccountRefusalReason, AccountStateName } from '@foley/shared/dispatch/account-state';
import { type ReadyTicket, readyEntry } from '@foley/shared/dispatch/ready-entry';
import type { FoleyKeys } from '@foley/shared/infra/keys';
import type { RedisClient } from '@foley/shared/infra/redis';
import { type RedisScript, redisScript } from '@foley/shared/infra/redis-script';
import { ACCEPTED, ACQUIRE, DISPATCH, FORCE, REFUSED, RELEASE } from './fal-dispatch-lua';

/**
 * One fal account's slots and dispatch. At most `concurrency` jobs across every worker hold a slot; a
 * freed slot goes, in the same atomic step, to the next (tenant, job) of the weighted round-robin over
 * the ready list (see fal-dispatch-lua.ts), and that job is promoted out of BullMQ's `delayed`. A job
 * that finds no slot stays listed and parks: waiting costs nothing per job. Slots are leases: a crashed
 * worker's slot frees itself; a grant whose promote was lost is promoted again by the next tick.
 */
export interface FalSlots {
  /** True if the job holds a slot (granted earlier, or now); else it is listed and waits to be promoted. */
  tryAcquire(jobId: string, ticket: Omit<ReadyTicket, 'id'>): Promise<boolean>;
  /** For a job resuming a request that already exists at fal: holds a slot even past the limit. */
  forceAcquire(jobId: string, tenant?: string): Promise<void>;
  renew(jobId: string): Promise<void>;
  /** Frees the slot and hands free slots on to waiting jobs. */
  release(jobId: string): Promise<void>;
  /** Jobs holding a live lease now. */
  count(): Promise<number>;
  /**
   * fal refused the job because of the account: it goes back to the ready list at its place and the
   * account pauses (locked, unauthorized) or slows (429). False when a 401 hit a key that never worked
   * (a bad key: the job fails as before).
   */
  refused(jobId: string, ticket: Omit<ReadyTicket, 'id'>, why: AccountRefusal): Promise<boolean>;
  /** A submit went through: a paused account is active again. */
  accepted(): Promise<void>;
}

export interface AccountRefusal {
  reason: AccountRefusalReason;
  retryAfterMs?: number | undefined;
}

export interface FalDispatch extends FalSlots {
  readonly account: string;
  /** A free-slot pass: expired leases, free slots to waiting jobs, grants whose promote was lost. */
  tick(): Promise<void>;
}

export interface FalDispatchOptions {
  redis: RedisClient;
  keys: FoleyKeys;
  account: string;
  concurrency: number;
  /** Tenants this account serves: `in` the listed ones, or all `out` of those mapped elsewhere. */
  tenants: { mode: 'in' | 'out'; list: string[] };
  weights: { fallback?: number; byTenant: Record<string, number> };
  maxRunning: { fallback?: number; byTenant: Record<string, number> };
  /** Moves a granted job from `delayed` to `wait`; 'missing' when it no longer exists (canceled, expired). */
  promote: (jobId: string) => Promise<'promoted' | 'missing' | 'busy'>;
  onStateChange?: (account: string, state: AccountStateName, reason?: string) => void;
  onError?: (error: unknown) => void;
  leaseMs?: number;
  slowIntervalMs?: number;
  /** A grant not started after this long is promoted again. */
  staleGrantMs?: number;
  now?: () => number;
}

export function createFalDispatch(opts: FalDispatchOptions): FalDispatch {
  const { redis, keys, account } = opts;
  const now = opts.now ?? Date.now;
  const leaseMs = opts.leaseMs ?? 120_000;
  const keyList = [
    keys.dispatchReady(),
    keys.dispatchTenants(),
    keys.falSlots(account),
    keys.falSlotOwners(account),
    keys.falGranted(account),
    keys.falAccountState(account),
  ];
  const pairs = (v: FalDispatchOptions['weights']) =>
    [
      ...Object.entries(v.byTenant).map(([t, n]) => `${t}=${n}`),
      ...(v.fallback !== undefined ? [`*=${v.fallback}`] : []),
    ].join(',');
  const common = () => [
    now(),
    leaseMs,
    opts.concurrency,
    opts.concurrency,
    opts.tenants.mode,
    opts.tenants.list.join(','),
    pairs(opts.weights),
    pairs(opts.maxRunning),
    opts.slowIntervalMs ?? 1_000,
  ];
  // Sent as EVALSHA: the scripts share a 4 KB prelude that EVAL would carry on every call.
  const define = (name: string, lua: string) =>
    redisScript(redis, `foleyDispatch${name}`, lua, keyList.length);
  const scripts = {
    acquire: define('Acquire', ACQUIRE),
    force: define('Force', FORCE),
    release: define('Release', RELEASE),
    refused: define('Refused', REFUSED),
    accepted: define('Accepted', ACCEPTED),
    dispatch: define('Tick', DISPATCH),
  };
  const run = (script: RedisScript, ...extra: Array<string | number>) =>
    script(...keyList, ...common(), ...extra);

  const report = (change: unknown, reason?: string) => {
    if (change === 'active' || change === 'paused' || change === 'slowed')
      opts.onStateChange?.(account, change, reason);
  };

  /** Promotes granted jobs; a vanished one gives its slot back (and that pass may grant another). */
  async function promoteAll(ids: string[]): Promise<void> {
    await Promise.all(
      ids.map(async (id) => {
        const outcome = await opts.promote(id).catch((error: unknown) => {
          opts.onError?.(error);
          return 'busy' as const;
        });
        if (outcome === 'missing') await self.release(id);
      }),
    );
  }

  const self: FalDispatch = {
    account,
    async tryAcquire(jobId, ticket) {
      const entry = readyEntry({ id: jobId, ...ticket });
      const [outcome, change, others] = (await run(scripts.acquire, jobId, entry, ticket.tenant)) as [
        string,
        string,
        string[],
      ];
      report(change);
      if (others.length) void promoteAll(others).catch(opts.onError);
      return outcome === 'held';
    },
    async forceAcquire(jobId, tenant = '') {
      await run(scripts.force, jobId, '', tenant);
    },
    renew: async (jobId) => void (await redis.zadd(keys.falSlots(account), 'XX', now() + leaseMs, jobId)),
    async release(jobId) {
      const [change, granted] = (await run(scripts.release, jobId)) as [string, string[]];
      report(change);
      if (granted.length) await promoteAll(granted);
    },
    count: async () => redis.zcount(keys.falSlots(account), now(), '+inf'),
    async refused(jobId, ticket, why) {
      const entry = readyEntry({ id: jobId, ...ticket });
      const state = why.reason === 'fal_rate_limited' ? 'slowed' : 'paused';
      const next = now() + (why.retryAfterMs ?? (state === 'paused' ? 5_000 : 1_000));
      const change = await run(
        scripts.refused,
        jobId,
        entry,
        ticket.tenant,
        state,
        why.reason,
        next,
        why.reason === 'fal_unauthorized' ? '1' : '0',
      );
      if (change === 'refused') return false;
      report(change, why.reason);
      return true;
    },
    async accepted() {
      report(await run(scripts.accepted));
    },
    async tick() {
      const [change, granted, stale] = (await run(scripts.dispatch, opts.staleGrantMs ?? 3_000)) as [
        string,
        string[],
        string[],
      ];
      report(change);
      await promoteAll([...granted, ...stale]);
    },
  };
  return self;
}
