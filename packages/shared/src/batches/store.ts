import type { FoleyKeys } from '../infra/keys';
import type { RedisClient } from '../infra/redis';
import { indexTenantJobs } from '../jobs/tenant-index';
import { JOB_RETENTION } from '../queues/catalog';
import type { BatchEndStatus } from './contract';
import { BATCH_FIELDS, type BatchRecord, decodeBatch, encodeBatch, type NewBatch } from './record';

/**
 * Counts one job's end exactly once: SADD into the counted set guards the HINCRBY, all in one script,
 * so a job reported twice (worker crash after onFinished, API cancel racing the worker) counts once.
 * Returns {1 if counted now, 1 if every job has ended and the end was not yet announced}; -1 = no batch.
 */
const RECORD_END = `
if redis.call('EXISTS', KEYS[1]) == 0 then return -1 end
local counted = redis.call('SADD', KEYS[2], ARGV[1])
if counted == 1 then
  redis.call('HINCRBY', KEYS[1], ARGV[2], 1)
  redis.call('HSET', KEYS[3], ARGV[1], ARGV[3])
  redis.call('EXPIRE', KEYS[2], ARGV[4])
  redis.call('EXPIRE', KEYS[3], ARGV[4])
end
local total = tonumber(redis.call('HGET', KEYS[1], 'total'))
local finished = 0
if redis.call('SCARD', KEYS[2]) >= total then
  if counted == 1 then redis.call('HSETNX', KEYS[1], 'finished_at', ARGV[5]) end
  if redis.call('HEXISTS', KEYS[1], 'emitted_at') == 0 then finished = 1 end
end
return {counted, finished}`;

/** Batches outlive their longest-kept job, so GET keeps answering while its jobs can be read. */
export const BATCH_TTL_SECONDS = JOB_RETENTION.failedSeconds;

export interface BatchStore {
  /** Writes the batch hash; `creation` (received count, rejected items) is kept for idempotent replays. */
  create(batch: NewBatch, creation: BatchCreation): Promise<void>;
  /** Adds job ids to the batch index and the tenant index (both lexicographic, score 0). */
  addJobs(batchId: string, tenant: string, jobIds: string[]): Promise<void>;
  jobsKey(batchId: string): string;
  read(batchId: string): Promise<BatchRecord | undefined>;
  creation(batchId: string): Promise<BatchCreation | undefined>;
  /** Best-effort undo of a batch whose jobs could not all be enqueued. */
  remove(batchId: string, tenant: string, jobIds: string[]): Promise<void>;
  /**
   * A batch whose intake failed but some of whose jobs could not be taken back (already running, or
   * Redis refused the removal): `total` becomes the jobs that exist (`keep`), the others leave its index,
   * so it finishes when those end. Returns whether every job has already ended (finish it then).
   */
  shrink(batchId: string, tenant: string, keep: string[], drop: string[]): Promise<boolean>;
  recordEnd(
    batchId: string,
    jobId: string,
    status: BatchEndStatus,
    line: string,
    now: number,
  ): Promise<{ counted: boolean; finished: boolean } | undefined>;
  /** Every recorded manifest line (JSON strings), read in bounded HSCAN pages. */
  results(batchId: string): Promise<string[]>;
  /** Job ids of the batch in index order (lexicographic), `limit` after `after`. */
  jobIds(batchId: string, after: string | undefined, limit: number): Promise<string[]>;
  /** Which of `jobIds` have not been counted as ended yet. */
  unfinished(batchId: string, jobIds: string[]): Promise<string[]>;
  /** How many of `jobIds` belong to the batch (ZMSCORE on its index). */
  countMembers(batchId: string, jobIds: string[]): Promise<number>;
  markCanceled(batchId: string, now: number): Promise<void>;
  /** A lease for the one caller that finishes the batch; a crashed holder's lease runs out. */
  takeFinishLease(batchId: string, leaseMs: number): Promise<boolean>;
  releaseFinishLease(batchId: string): Promise<void>;
  setManifest(batchId: string, key: string): Promise<void>;
  markEmitted(batchId: string, now: number): Promise<void>;
}

/** What a batch's creation request left behind, for idempotent replays. */
export interface BatchCreation {
  received: number;
  rejected: unknown[];
}

export function createBatchStore(deps: {
  redis: RedisClient;
  keys: FoleyKeys;
  ttlSeconds?: number;
}): BatchStore {
  const { redis, keys } = deps;
  const ttl = deps.ttlSeconds ?? BATCH_TTL_SECONDS;

  return {
    /** Writes the batch hash; `creation` (received count, rejected items) is kept for idempotent replays. */
    async create(batch: NewBatch, creation: { received: number; rejected: unknown[] }): Promise<void> {
      await redis
        .multi()
        .hset(keys.batch(batch.id), {
          ...encodeBatch(batch),
          received: String(creation.received),
          rejected: JSON.stringify(creation.rejected),
        })
        .expire(keys.batch(batch.id), ttl)
        .exec();
    },

    /** Adds job ids to the batch index and the tenant index (both lexicographic, score 0). */
    async addJobs(batchId: string, tenant: string, jobIds: string[]): Promise<void> {
      if (jobIds.length === 0) return;
      const members = jobIds.flatMap((id) => [0, id]);
      const multi = redis
        .multi()
        .zadd(keys.batchJobs(batchId), ...members)
        .expire(keys.batchJobs(batchId), ttl);
      await indexTenantJobs(multi, keys.tenantJobs(tenant), jobIds, Date.now()).exec();
    },

    jobsKey: (batchId: string) => keys.batchJobs(batchId),

    async read(batchId: string): Promise<BatchRecord | undefined> {
      return decodeBatch(await redis.hmget(keys.batch(batchId), ...BATCH_FIELDS));
    },

    async creation(batchId: string): Promise<{ received: number; rejected: unknown[] } | undefined> {
      const [received, rejected] = await redis.hmget(keys.batch(batchId), 'received', 'rejected');
      if (received === null || received === undefined) return undefined;
      return { received: Number(received), rejected: rejected ? (JSON.parse(rejected) as unknown[]) : [] };
    },

    /** Best-effort undo of a batch whose jobs could not all be enqueued. */
    async remove(batchId: string, tenant: string, jobIds: string[]): Promise<void> {
      const multi = redis.multi().unlink(keys.batch(batchId), keys.batchJobs(batchId));
      if (jobIds.length) multi.zrem(keys.tenantJobs(tenant), ...jobIds);
      await multi.exec();
    },

    async shrink(batchId, tenant, keep, drop) {
      const multi = redis.multi().hset(keys.batch(batchId), 'total', String(keep.length));
      if (drop.length) multi.zrem(keys.batchJobs(batchId), ...drop).zrem(keys.tenantJobs(tenant), ...drop);
      await multi.exec();
      const counted = await redis.scard(keys.batchCounted(batchId));
      return counted >= keep.length;
    },

    async recordEnd(
      batchId: string,
      jobId: string,
      status: BatchEndStatus,
      line: string,
      now: number,
    ): Promise<{ counted: boolean; finished: boolean } | undefined> {
      const reply = (await redis.eval(
        RECORD_END,
        3,
        keys.batch(batchId),
        keys.batchCounted(batchId),
        keys.batchResults(batchId),
        jobId,
        status,
        line,
        ttl,
        new Date(now).toISOString(),
      )) as number | [number, number];
      if (!Array.isArray(reply)) return undefined;
      return { counted: reply[0] === 1, finished: reply[1] === 1 };
    },

    /** Every recorded manifest line (JSON strings), read in bounded HSCAN pages. */
    async results(batchId: string): Promise<string[]> {
      const lines: string[] = [];
      let cursor = '0';
      for (let round = 0; round < 1_000_000; round++) {
        const [next, flat] = await redis.hscan(keys.batchResults(batchId), cursor, 'COUNT', 1000);
        for (let i = 1; i < flat.length; i += 2) lines.push(flat[i] as string);
        cursor = next;
        if (cursor === '0') break;
      }
      return lines;
    },

    /** Job ids of the batch in index order (lexicographic), `limit` after `after`. */
    async jobIds(batchId: string, after: string | undefined, limit: number): Promise<string[]> {
      return redis.zrangebylex(keys.batchJobs(batchId), after ? `(${after}` : '-', '+', 'LIMIT', 0, limit);
    },

    /** Which of `jobIds` have not been counted as ended yet. */
    async unfinished(batchId: string, jobIds: string[]): Promise<string[]> {
      if (jobIds.length === 0) return [];
      const flags = await redis.smismember(keys.batchCounted(batchId), ...jobIds);
      return jobIds.filter((_, i) => flags[i] === 0);
    },

    /** How many of `jobIds` belong to the batch (ZMSCORE on its index). */
    async countMembers(batchId: string, jobIds: string[]): Promise<number> {
      if (jobIds.length === 0) return 0;
      const scores = await redis.zmscore(keys.batchJobs(batchId), ...jobIds);
      return scores.filter((s) => s !== null).length;
    },

    async markCanceled(batchId: string, now: number): Promise<void> {
      await redis.hsetnx(keys.batch(batchId), 'canceled_at', new Date(now).toISOString());
    },

    /** A lease for the one caller that finishes the batch; a crashed holder's lease runs out. */
    async takeFinishLease(batchId: string, leaseMs: number): Promise<boolean> {
      return (await redis.set(keys.batchFinishing(batchId), '1', 'PX', leaseMs, 'NX')) === 'OK';
    },
    async releaseFinishLease(batchId: string): Promise<void> {
      await redis.del(keys.batchFinishing(batchId));
    },

    async setManifest(batchId: string, key: string): Promise<void> {
      await redis.hset(keys.batch(batchId), 'manifest_key', key);
    },

    async markEmitted(batchId: string, now: number): Promise<void> {
      await redis.hset(keys.batch(batchId), 'emitted_at', new Date(now).toISOString());
    },
  };
}
