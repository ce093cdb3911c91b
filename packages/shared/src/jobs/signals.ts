import { z } from 'zod';
import type { FoleyKeys } from '../infra/keys';
import type { RedisClient } from '../infra/redis';
import { JOB_RETENTION } from '../queues/catalog';
import {
  ABANDON_UNRECORDED,
  type CallbackRecordOutcome,
  CLAIM_SUBMIT,
  encodeSubmitClaim,
  parseSubmitClaim,
  RECORD_CALLBACK_REQUEST,
} from './submit-claim';

export { type CallbackRecordOutcome, isSubmitNonce } from './submit-claim';

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
   * `nonce` is the one the submit's fal callback URL carries (`recordCallbackRequest`); it also names
   * the claiming run: the same run asking again (ioredis resends a command whose answer a Redis restart
   * cut off, after Redis ran it) gets its own claim back instead of a refusal.
   */
  claimSubmit(jobId: string, nonce?: string): Promise<boolean>;
  /** When the job's submit was claimed (ms since the epoch, the claimer's clock); undefined when unclaimed. */
  submitClaimedAt(jobId: string): Promise<number | undefined>;
  releaseSubmit(jobId: string): Promise<void>;
  /**
   * fal's signed callback named the request a submit created: recorded on the job's claim when the nonce
   * is that claim's and the claim has no request id yet (atomic), so a job whose worker lost fal's answer
   * can attach the request instead of failing.
   */
  recordCallbackRequest(jobId: string, nonce: string, requestId: string): Promise<CallbackRecordOutcome>;
  /** The request id a callback recorded on the job's claim, if any. */
  claimedRequest(jobId: string): Promise<string | undefined>;
  /**
   * Gives up a submit whose outcome stayed unknown (so the job may submit again), unless a callback
   * recorded its request meanwhile: then returns that id and keeps the claim.
   */
  abandonSubmit(jobId: string): Promise<string | undefined>;
}

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
    claimSubmit: async (jobId, nonce) =>
      (await redis.eval(
        CLAIM_SUBMIT,
        1,
        keys.falSubmitClaim(jobId),
        encodeSubmitClaim({ at: String(now()), ...(nonce ? { nonce } : {}) }),
        JOB_RETENTION.failedSeconds,
        nonce ?? '',
      )) === 1,
    async submitClaimedAt(jobId) {
      const at = Number(parseSubmitClaim(await redis.get(keys.falSubmitClaim(jobId)))?.at);
      return Number.isFinite(at) ? at : undefined;
    },
    releaseSubmit: async (jobId) => void (await redis.del(keys.falSubmitClaim(jobId))),
    recordCallbackRequest: async (jobId, nonce, requestId) =>
      (await redis.eval(
        RECORD_CALLBACK_REQUEST,
        1,
        keys.falSubmitClaim(jobId),
        nonce,
        requestId,
      )) as CallbackRecordOutcome,
    claimedRequest: async (jobId) =>
      parseSubmitClaim(await redis.get(keys.falSubmitClaim(jobId)))?.request_id,
    abandonSubmit: async (jobId) =>
      ((await redis.eval(ABANDON_UNRECORDED, 1, keys.falSubmitClaim(jobId))) as string | null) ?? undefined,
  };
}
