import type { FoleyKeys } from '../infra/keys';
import type { RedisClient } from '../infra/redis';
import { redisScript } from '../infra/redis-script';

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

/**
 * The ready list's steps as Lua functions, so a script that does more in the same atomic step (the
 * API's intake, `apps/api/src/jobs/intake-script.ts`) runs exactly these. `ready_room`: whether
 * `reserve` more open jobs fit under `limit` ('' = none), and the count now; `ready_count`: counts
 * them; `ready_list`: lists entries and wakes the dispatchers.
 */
export const READY_LUA = `
local function ready_room(open_key, limit, reserve)
  local open = tonumber(redis.call('GET', open_key) or '0')
  return limit == '' or open + reserve <= tonumber(limit), open
end
local function ready_count(open_key, reserve, open)
  if reserve > 0 then return redis.call('INCRBY', open_key, reserve) end
  return open
end
local function ready_list(ready_key, tenants_key, nudge, tenant, entries, first, step)
  for i = first, #entries, step do redis.call('ZADD', ready_key, 0, entries[i]) end
  redis.call('ZADD', tenants_key, 'NX', 0, tenant)
  redis.call('PUBLISH', nudge, '1')
end
`;

// KEYS: ready, tenants, tenant open-jobs counter (the tenant index is written beside the job's add).
// ARGV: nudge channel, tenant, limit ('' = none), count to reserve, then entry, id pairs.
// Over the limit: nothing is written; returns {0, open}. Else {1, open after}.
const ENQUEUE = `${READY_LUA}
local fits, open = ready_room(KEYS[3], ARGV[3], tonumber(ARGV[4]))
if not fits then return {0, open} end
open = ready_count(KEYS[3], tonumber(ARGV[4]), open)
if #ARGV >= 5 then ready_list(KEYS[1], KEYS[2], ARGV[1], ARGV[2], ARGV, 5, 2) end
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

/** KEYS: open counter, ready list, tenant ring. ARGV: tenant, limit ('' = none), entry, nudge channel. */
export interface ListingStep {
  keys: [open: string, ready: string, tenants: string];
  args: [tenant: string, limit: number | '', entry: string, nudge: string];
  refusal(open: number): QuotaRefusal;
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
  /**
   * One job's listing as a step of a bigger script (`READY_LUA`'s functions, the API's intake): counted
   * against `limit` and listed, or refused with nothing written.
   */
  listing(ticket: ReadyTicket, limit: number | undefined): ListingStep;
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
  const enqueue = redisScript(redis, 'foleyReadyEnqueue', ENQUEUE, 3);
  const finished = redisScript(redis, 'foleyReadyFinished', FINISHED, 2);
  const lower = async (tenant: string, count: number, today: string) =>
    void (await finished(keys.tenantOpenJobs(tenant), keys.tenantFinished(tenant), count, today, 3 * 86_400));
  return {
    async add(tenant, tickets, quota) {
      const args = tickets.flatMap((t) => [readyEntry(t), t.id]); // (id: kept for the pairs' shape)
      const [ok, open] = (await enqueue(
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
    listing(ticket, limit) {
      return {
        keys: [keys.tenantOpenJobs(ticket.tenant), keys.dispatchReady(), keys.dispatchTenants()],
        args: [ticket.tenant, limit ?? '', readyEntry(ticket), keys.dispatchNudge()],
        refusal: (open) => ({ limit: limit ?? 0, current: open }),
      };
    },
    remove: async (ticket) => void (await redis.zrem(keys.dispatchReady(), readyEntry(ticket))),
    finished: (tenant) => lower(tenant, 1, day(now())),
    unreserve: (tenant, count) => lower(tenant, count, ''),
    open: async (tenant) => Number((await redis.get(keys.tenantOpenJobs(tenant))) ?? 0),
    finishedToday: async (tenant) => Number((await redis.hget(keys.tenantFinished(tenant), day(now()))) ?? 0),
  };
}
