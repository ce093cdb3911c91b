import type { ChainableCommander } from 'ioredis';
import { idTimePart } from '../ids';
import type { RedisClient } from '../infra/redis';
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

// ZADD, trim and EXPIRE as one command: one socket write and one reply instead of three.
const INDEX_ONE = `
redis.call('ZADD', KEYS[1], 0, ARGV[1])
redis.call('ZREMRANGEBYLEX', KEYS[1], '-', ARGV[2])
return redis.call('EXPIRE', KEYS[1], ARGV[3])`;

/**
 * The same for one id (a single job's POST), as one script call: sent beside the job's own add, it
 * adds no round trip, and costs less client CPU than a MULTI of three commands.
 */
export function indexTenantJob(redis: RedisClient, key: string, id: string, now: number): Promise<unknown> {
  // Defined once per connection: ioredis then sends EVALSHA (a 40-byte digest, not the script text).
  const commands = redis as RedisClient & { foleyIndexTenantJob?: IndexCommand };
  if (!commands.foleyIndexTenantJob)
    redis.defineCommand('foleyIndexTenantJob', { numberOfKeys: 1, lua: INDEX_ONE });
  return (commands.foleyIndexTenantJob as IndexCommand)(
    key,
    id,
    tenantIndexFloor(now),
    JOB_RETENTION.failedSeconds,
  );
}
type IndexCommand = (key: string, id: string, floor: string, ttlSeconds: number) => Promise<unknown>;
