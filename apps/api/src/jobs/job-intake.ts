import type { ReadyList } from '@foley/shared/dispatch/ready-entry';
import { holdWrites } from '@foley/shared/infra/hold-writes';
import type { FoleyKeys } from '@foley/shared/infra/keys';
import type { RedisClient } from '@foley/shared/infra/redis';
import { redisScript } from '@foley/shared/infra/redis-script';
import type { DubJobData, DubJobResult } from '@foley/shared/jobs/contract';
import { tenantIndexArgs } from '@foley/shared/jobs/tenant-index';
import { dubJobOptions, QUEUES } from '@foley/shared/queues/catalog';
import type { ReserveRequest } from '@foley/shared/spend/ledger';
import { Job, type Queue } from 'bullmq';
import type { Spend } from '../spend/spend';
import { INTAKE, INTAKE_KEYS, type IntakeReply } from './intake-script';
import { quotaExceeded } from './quota-error';

/** How one accepted job reaches Redis. */
export interface JobIntake {
  /**
   * Adds the job to BullMQ (parked) and, in the same round trip, reserves its price (402
   * `budget_exceeded` over the tenant's budget), counts it against `limit` (429 `quota_exceeded`),
   * indexes it for its tenant and lists it for the fal dispatcher. A refusal leaves nothing behind.
   * Any other error: what was certainly written is taken back; an unknown outcome (a lost reply) is
   * the caller's to resolve (it keeps or frees the Idempotency-Key by whether the job exists).
   */
  enqueue(
    data: DubJobData,
    opts: { limit: number | undefined; reservation?: ReserveRequest | undefined },
  ): Promise<void>;
}

const SCRIPT = 'foleyJobIntake';

export function createJobIntake(deps: {
  queue: Queue<DubJobData, DubJobResult>;
  /** The connection the queue uses: the script follows BullMQ's add on it. */
  redis: RedisClient;
  keys: FoleyKeys;
  ready: Pick<ReadyList, 'listing' | 'remove' | 'unreserve'>;
  spend?: Pick<Spend, 'reservation' | 'unreserve'> | undefined;
  attempts: number;
  now?: () => number;
}): JobIntake {
  const now = deps.now ?? Date.now;
  const intake = redisScript(deps.redis, SCRIPT, INTAKE, INTAKE_KEYS);

  /** The script landed but BullMQ's add did not: take back its writes (best effort, like any undo). */
  async function undoScript(data: DubJobData, reservation: ReserveRequest | undefined) {
    await Promise.allSettled([
      deps.ready.remove(data),
      deps.ready.unreserve(data.tenant, 1),
      deps.redis.zrem(deps.keys.tenantJobs(data.tenant), data.id),
      ...(reservation && deps.spend ? [deps.spend.unreserve(reservation)] : []),
    ]);
  }

  return {
    async enqueue(data, opts) {
      const listing = deps.ready.listing(data, opts.limit);
      const step = opts.reservation ? deps.spend?.reservation(opts.reservation) : undefined;
      const [floor, indexTtl] = tenantIndexArgs(now());
      const spendKeys = step?.keys ?? [listing.keys[0], listing.keys[0], listing.keys[0]];
      const spendArgs = step ? ['1', ...step.args.slice(0, 4)] : ['0', 0, 0, -1, 0];
      const keysThenArgs = [
        ...listing.keys,
        deps.keys.tenantJobs(data.tenant),
        ...spendKeys,
        deps.queue.toKey(data.id),
        ...listing.args,
        data.id,
        floor,
        indexTtl,
        ...spendArgs,
        step?.args[4] ?? '',
      ];
      const client = await deps.queue.client;
      const job = new Job(
        deps.queue,
        QUEUES.dubbing.jobs.dub,
        data,
        dubJobOptions(data.id, deps.attempts),
        data.id,
      );
      // BullMQ's own add, then the script, sent in this tick without waiting for either reply: one round
      // trip, and one socket write (held to the end of the loop iteration, shared with the other requests
      // of that iteration). Not a pipeline: ioredis builds each pipeline by copying every defined script,
      // BullMQ's fifty among them, which costs more CPU than the add itself.
      holdWrites(deps.redis);
      const added = job.addJob(client).then(
        () => undefined,
        (error: Error) => error,
      );
      const listed = intake(...keysThenArgs).then(
        (r) => r as IntakeReply,
        (error: Error) => error,
      );
      const addError = await added;
      let reply = await listed;
      if (!addError && !(reply instanceof Error) && reply[0] === 0 && reply[1] === 'missing') {
        reply = await intake(...keysThenArgs).then(
          (r) => r as IntakeReply,
          (error: Error) => error,
        ); // the add reached Redis after the script after all: a second round trip, now in order
      }
      if (reply instanceof Error) {
        // The script failed: nothing of it was written. Take the job back if it landed.
        if (!addError) await deps.queue.remove(data.id).catch(() => {});
        throw reply;
      }
      if (reply[0] === 1) {
        if (addError) {
          await undoScript(data, opts.reservation);
          throw addError;
        }
        step?.outcome(true, reply[1], reply[2]);
        return;
      }
      if (addError) throw addError; // 'missing': the add failed, the script wrote nothing
      await deps.queue.remove(data.id);
      if (reply[1] === 'quota') throw quotaExceeded(listing.refusal(reply[2]), 1);
      if (reply[1] === 'budget') step?.outcome(false, reply[2], reply[3]); // throws 402 budget_exceeded
      throw new Error(`the intake script refused a job: ${reply[1]}`);
    },
  };
}
