import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import type { FoleyKeys } from '../infra/keys';
import type { RedisClient } from '../infra/redis';
import { JOB_RETENTION } from '../queues/catalog';

/**
 * The job signal protocol, owned here and nowhere else: the cancel flag a client sets, the wake message a
 * job waiting on fal receives on its channel, and the claim on a job's one fal submit. The API writes
 * signals, the worker reads them; both go through this module so the formats cannot drift apart.
 */

/** A message on a job's events channel. */
export const jobSignalSchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('cancel') }),
  z.object({ type: z.literal('fal-completed'), request_id: z.string() }),
]);
export type JobSignal = z.infer<typeof jobSignalSchema>;
export type JobSignalType = JobSignal['type'];

export const encodeJobSignal = (signal: JobSignal): string => JSON.stringify(signal);

/** The signal a message carries, or undefined for anything this protocol does not define. */
export function parseJobSignal(message: string): JobSignal | undefined {
  try {
    const parsed = jobSignalSchema.safeParse(JSON.parse(message));
    return parsed.success ? parsed.data : undefined;
  } catch {
    return undefined;
  }
}

/** How long a cancel request waits for a worker to act on it. */
export const CANCEL_FLAG_TTL_SECONDS = 24 * 3600;

export interface JobSignalStore {
  /** The pub/sub channel a waiting job listens on. */
  channel(jobId: string): string;
  /** Flags the job as canceled by the client and wakes it if it is waiting on fal. */
  requestCancel(jobId: string): Promise<void>;
  isCancelRequested(jobId: string): Promise<boolean>;
  clearCancelRequest(jobId: string): Promise<void>;
  /** fal reported the request finished (its callback arrived): the waiting job reads the result now. */
  notifyFalCompleted(jobId: string, requestId: string): Promise<void>;
  /**
   * Atomically claims the job's one fal submit; false when an attempt of this job claimed it first. The
   * claim is kept unless fal surely created nothing, so a crashed attempt can never lead to a second bill.
   * `attempt` names the claiming run: the same run asking again (ioredis resends a command whose answer a
   * Redis restart cut off, after Redis ran it) gets its own claim back instead of a refusal.
   */
  claimSubmit(jobId: string, attempt?: string): Promise<boolean>;
  /** When the job's submit was claimed (ms since the epoch); undefined when it is not claimed. */
  submitClaimedAt(jobId: string): Promise<number | undefined>;
  releaseSubmit(jobId: string): Promise<void>;
}

/** A claim's value: `<claimed at ms>|<attempt>` (older claims hold only the time). */
const claimValue = (at: number, attempt: string) => `${at}|${attempt}`;
const claimedAt = (value: string) => Number(value.split('|')[0]);

// KEYS: the claim. ARGV: its value, TTL (s), the attempt. 1 when the claim is (now, or already) this attempt's.
const CLAIM = `
local v = redis.call('GET', KEYS[1])
if not v then
  redis.call('SET', KEYS[1], ARGV[1], 'EX', tonumber(ARGV[2]))
  return 1
end
local sep = string.find(v, '|', 1, true)
if sep and string.sub(v, sep + 1) == ARGV[3] then return 1 end
return 0`;

export function createJobSignalStore(deps: {
  redis: Pick<RedisClient, 'set' | 'get' | 'del' | 'exists' | 'publish' | 'eval'>;
  keys: Pick<FoleyKeys, 'cancelRequested' | 'jobEvents' | 'falSubmitClaim'>;
  now?: () => number;
}): JobSignalStore {
  const { redis, keys } = deps;
  const now = deps.now ?? Date.now;
  return {
    channel: keys.jobEvents,
    async requestCancel(jobId) {
      await redis.set(keys.cancelRequested(jobId), '1', 'EX', CANCEL_FLAG_TTL_SECONDS);
      await redis.publish(keys.jobEvents(jobId), encodeJobSignal({ type: 'cancel' }));
    },
    isCancelRequested: async (jobId) => (await redis.exists(keys.cancelRequested(jobId))) === 1,
    clearCancelRequest: async (jobId) => void (await redis.del(keys.cancelRequested(jobId))),
    async notifyFalCompleted(jobId, requestId) {
      await redis.publish(
        keys.jobEvents(jobId),
        encodeJobSignal({ type: 'fal-completed', request_id: requestId }),
      );
    },
    async claimSubmit(jobId, attempt = randomUUID()) {
      const value = claimValue(now(), attempt);
      const ok = await redis.eval(
        CLAIM,
        1,
        keys.falSubmitClaim(jobId),
        value,
        JOB_RETENTION.failedSeconds,
        attempt,
      );
      return ok === 1;
    },
    async submitClaimedAt(jobId) {
      const value = await redis.get(keys.falSubmitClaim(jobId));
      return value === null ? undefined : claimedAt(value);
    },
    releaseSubmit: async (jobId) => void (await redis.del(keys.falSubmitClaim(jobId))),
  };
}
