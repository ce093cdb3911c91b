import type { FoleyKeys } from '../infra/keys';
import type { RedisClient } from '../infra/redis';

/**
 * The ready list, owned here: jobs waiting for a fal slot, one lexicographic ZSET for the deployment
 * whose members are `tenant|P|job id` (P = 10 − priority, one digit, so priority 10 sorts first; job
 * ids sort by creation time, so FIFO within a priority). A tenant's next job is the first member in
 * the range `[tenant|` … `(tenant}` — tenant names cannot hold `|` or `}`. The worker's dispatcher
 * (apps/worker/src/clients/fal-dispatch.ts) pops from it; the API adds to it.
 */

export const PRIORITY = { min: 1, max: 10, default: 5 } as const;

/**
 * A parked job's safety net: BullMQ holds it in `delayed` this long, after which it runs once and
 * parks again (its ready entry keeps its place). Dispatch promotes it long before in normal operation.
 */
export const PARK_MS = 60 * 60_000;

export interface ReadyTicket {
  id: string;
  tenant: string;
  priority?: number | undefined;
}

export function readyEntry(t: ReadyTicket): string {
  const p = Math.min(PRIORITY.max, Math.max(PRIORITY.min, Math.round(t.priority ?? PRIORITY.default)));
  return `${t.tenant}|${PRIORITY.max - p}|${t.id}`;
}

// KEYS: ready, tenants, tenant open-jobs counter (the tenant index is written beside the job's add).
// ARGV: nudge channel, tenant, limit ('' = none), count to reserve, then entry, id pairs.
// Over the limit: nothing is written; returns {0, open}. Else {1, open after}.
const ENQUEUE = `
local open = tonumber(redis.call('GET', KEYS[3]) or '0')
local reserve = tonumber(ARGV[4])
if ARGV[3] ~= '' and open + reserve > tonumber(ARGV[3]) then return {0, open} end
if reserve > 0 then open = redis.call('INCRBY', KEYS[3], reserve) end
if #ARGV >= 5 then
  for i = 5, #ARGV, 2 do
    redis.call('ZADD', KEYS[1], 0, ARGV[i])
  end
  redis.call('ZADD', KEYS[2], 'NX', 0, ARGV[2])
  redis.call('PUBLISH', ARGV[1], '1')
end
return {1, open}`;

// KEYS: open counter, finished-per-day hash; ARGV: count, day, hash ttl seconds.
const FINISHED = `
local open = tonumber(redis.call('GET', KEYS[1]) or '0')
local n = tonumber(ARGV[1])
if open <= n then redis.call('DEL', KEYS[1]) else redis.call('DECRBY', KEYS[1], n) end
if ARGV[2] ~= '' then
  redis.call('HINCRBY', KEYS[2], ARGV[2], n)
  redis.call('EXPIRE', KEYS[2], tonumber(ARGV[3]))
end
return 1`;

/** Refused by TENANT_MAX_QUEUED: nothing was written. */
export interface QuotaRefusal {
  limit: number;
  current: number;
}

export interface ReadyList {
  /**
   * Lists jobs (already in BullMQ, parked) in the ready list and wakes the
   * dispatchers. With `reserve`, first counts them as the tenant's open jobs, refusing all of them
   * when that would pass `limit`.
   */
  add(
    tenant: string,
    tickets: ReadyTicket[],
    quota?: { reserve: number; limit?: number | undefined },
  ): Promise<QuotaRefusal | undefined>;
  /** A queued job canceled by its client: its entry goes (a missed one is dropped at dispatch). */
  remove(ticket: ReadyTicket): Promise<void>;
  /** A job ended: the tenant's open count goes down, its finished-today count up. */
  finished(tenant: string): Promise<void>;
  /** Reserved jobs that were never enqueued after all (a failed batch): the open count goes down. */
  unreserve(tenant: string, count: number): Promise<void>;
  open(tenant: string): Promise<number>;
  finishedToday(tenant: string): Promise<number>;
}

const day = (now: number) => new Date(now).toISOString().slice(0, 10);

export function createReadyList(deps: {
  redis: RedisClient;
  keys: FoleyKeys;
  now?: () => number;
}): ReadyList {
  const { redis, keys } = deps;
  const now = deps.now ?? Date.now;
  const lower = async (tenant: string, count: number, today: string) =>
    void (await redis.eval(
      FINISHED,
      2,
      keys.tenantOpenJobs(tenant),
      keys.tenantFinished(tenant),
      count,
      today,
      3 * 86_400,
    ));
  return {
    async add(tenant, tickets, quota) {
      const args = tickets.flatMap((t) => [readyEntry(t), t.id]); // (id: kept for the pairs' shape)
      const [ok, open] = (await redis.eval(
        ENQUEUE,
        3,
        keys.dispatchReady(),
        keys.dispatchTenants(),
        keys.tenantOpenJobs(tenant),
        keys.dispatchNudge(),
        tenant,
        quota?.limit ?? '',
        quota?.reserve ?? 0,
        ...args,
      )) as [number, number];
      return ok === 1 ? undefined : { limit: quota?.limit ?? 0, current: open };
    },
    remove: async (ticket) => void (await redis.zrem(keys.dispatchReady(), readyEntry(ticket))),
    finished: (tenant) => lower(tenant, 1, day(now())),
    unreserve: (tenant, count) => lower(tenant, count, ''),
    open: async (tenant) => Number((await redis.get(keys.tenantOpenJobs(tenant))) ?? 0),
    finishedToday: async (tenant) => Number((await redis.hget(keys.tenantFinished(tenant), day(now()))) ?? 0),
  };
}
