import type { ChainableCommander } from 'ioredis';
import { idTimePart } from '../ids';
import { JOB_RETENTION } from '../queues/catalog';

/**
 * The lexicographic bound below which every id of a tenant index is older than the longest job
 * retention, so BullMQ has removed its job: `ZREMRANGEBYLEX key - <bound>` trims exactly those.
 */
export function tenantIndexFloor(now: number): string {
  // `job_` and the time part sort below every id of that millisecond and above every older one.
  return `(job_${idTimePart(now - JOB_RETENTION.failedSeconds * 1000)}`;
}

/**
 * Adds ids to a tenant index and trims it in the same MULTI or pipeline: the index never holds more
 * than retention's worth of ids, and the index of a tenant that stopped writing expires with its last
 * job. Costs no round trip of its own.
 */
export function indexTenantJobs(
  multi: ChainableCommander,
  key: string,
  ids: string[],
  now: number,
): ChainableCommander {
  return multi
    .zadd(key, ...ids.flatMap((id) => [0, id]))
    .zremrangebylex(key, '-', tenantIndexFloor(now))
    .expire(key, JOB_RETENTION.failedSeconds);
}

/**
 * The same for one id as a Lua function, for a script that does more in the same step (the API's
 * intake, `apps/api/src/jobs/intake-script.ts`): with `tenantIndexArgs`, it adds no round trip.
 */
export const TENANT_INDEX_LUA = `
local function index_add(key, id, floor, ttl)
  redis.call('ZADD', key, 0, id)
  redis.call('ZREMRANGEBYLEX', key, '-', floor)
  redis.call('EXPIRE', key, ttl)
end
`;

/** `index_add`'s floor and ttl at `now`. */
export function tenantIndexArgs(now: number): [floor: string, ttlSeconds: number] {
  return [tenantIndexFloor(now), JOB_RETENTION.failedSeconds];
}
