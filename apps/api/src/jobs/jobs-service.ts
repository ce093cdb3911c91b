import type { ReadyList } from '@foley/shared/dispatch/ready-entry';
import { ApiError, notFound } from '@foley/shared/errors';
import { newId } from '@foley/shared/ids';
import type { FoleyKeys } from '@foley/shared/infra/keys';
import type { RedisClient } from '@foley/shared/infra/redis';
import type { CreateJobBody, DubJobData, DubJobResult, JobStatus } from '@foley/shared/jobs/contract';
import type { OnJobFinished } from '@foley/shared/jobs/finished';
import { withModelDefaults } from '@foley/shared/jobs/model';
import { createJobSignalStore } from '@foley/shared/jobs/signals';
import { type JobView, toJobView } from '@foley/shared/jobs/view';
import { JOB_RETENTION } from '@foley/shared/queues/catalog';
import type { ReserveRequest } from '@foley/shared/spend/ledger';
import { type EstimatedCost, estimate as estimateCost } from '@foley/shared/spend/money';
import type { Queue } from 'bullmq';
import type { RejectedItem } from '../batches/parsing/raw-item';
import type { Spend } from '../spend/spend';
import { type Idempotency, requestInProgress } from './idempotency';
import { createJobIntake, type JobIntake } from './job-intake';
import type { CanceledJobRecord, JobReader } from './job-reader';
import type { UrlPolicy } from './url-policy';

export interface JobsServiceDeps {
  queue: Queue<DubJobData, DubJobResult>;
  redis: RedisClient;
  keys: FoleyKeys;
  reader: JobReader;
  idempotency: Idempotency;
  urls: UrlPolicy;
  onJobFinished: OnJobFinished;
  /** Where parked jobs are listed for the fal dispatcher; also counts a tenant's open jobs. */
  ready: ReadyList;
  /** TENANT_MAX_QUEUED of a tenant. */
  maxQueued: (tenant: string) => number | undefined;
  attempts: number;
  /** How an accepted job reaches Redis (default: one pipeline on `queue`'s connection; tests pass fakes). */
  intake?: JobIntake;
  /** Prices and budgets; without it jobs carry no price and nothing is reserved (unit tests). */
  spend?: Spend;
  now?: () => number;
}

/** `POST /v1/jobs?dry_run=true` and `POST /v1/batches?dry_run=true`: what would be accepted and cost. */
export interface DryRun {
  accepted: number;
  rejected: number;
  /** The items refused (a batch's invalid lines); empty for a job, which is refused with a 4xx instead. */
  errors: RejectedItem[];
  estimated_cost: EstimatedCost;
}

const PAGE_MAX = 100;
/** A status-filtered page reads at most this many index entries before answering with a cursor. */
const SCAN_BUDGET = 1_000;

export interface JobsService {
  /** Builds the stored payload of a job; shared with batches so both enqueue the same shape. */
  buildJobData(tenant: string, body: CreateJobBody, extra?: Partial<DubJobData>): DubJobData;
  create(
    tenant: string,
    body: CreateJobBody,
    idempotencyKey?: string,
  ): Promise<{ job: JobView; replayed: boolean }>;
  /** Validates like `create` (URL rules, budget) and writes nothing. */
  dryRun(tenant: string, body: CreateJobBody): Promise<DryRun>;
  get(tenant: string, id: string): Promise<JobView>;
  list(
    tenant: string,
    q: { status?: JobStatus; cursor?: string; limit: number; indexKey?: string },
  ): Promise<{ data: JobView[]; next_cursor: string | null }>;
  cancel(tenant: string, id: string): Promise<JobView>;
}

export function createJobsService(deps: JobsServiceDeps): JobsService {
  const now = deps.now ?? Date.now;
  const signals = createJobSignalStore({ redis: deps.redis, keys: deps.keys });
  const intake =
    deps.intake ??
    createJobIntake({
      queue: deps.queue,
      redis: deps.redis,
      keys: deps.keys,
      ready: deps.ready,
      spend: deps.spend,
      attempts: deps.attempts,
      now,
    });

  /** Builds the stored payload of a job; shared with batches so both enqueue the same shape. */
  function buildJobData(tenant: string, body: CreateJobBody, extra: Partial<DubJobData> = {}): DubJobData {
    const id = newId('job', now());
    return {
      id,
      tenant,
      input: withModelDefaults(body),
      ...(body.webhook_url ? { webhook_url: body.webhook_url } : {}),
      ...(body.metadata ? { metadata: body.metadata } : {}),
      ...(body.priority !== undefined ? { priority: body.priority } : {}),
      created_at: new Date(now()).toISOString(),
      ...(deps.spend ? { price_micros: deps.spend.unitMicros(tenant) } : {}),
      ...extra,
    };
  }

  async function create(
    tenant: string,
    body: CreateJobBody,
    idempotencyKey?: string,
  ): Promise<{ job: JobView; replayed: boolean }> {
    deps.urls.assertAllowed(body);
    const data = buildJobData(tenant, body);
    if (idempotencyKey) {
      const claim = await deps.idempotency.claim(tenant, idempotencyKey, body, data.id);
      if (claim.kind === 'replay') {
        const job = await deps.reader.view(claim.resourceId);
        if (job) return { job, replayed: true };
        const taken = await deps.idempotency.takeOver(tenant, idempotencyKey, claim, body, data.id);
        if (!taken) throw requestInProgress();
      }
    }
    try {
      // One round trip: BullMQ's add, then (same pipeline) budget, quota, tenant index and listing.
      await intake.enqueue(data, { limit: deps.maxQueued(tenant), reservation: reservationOf(data) });
    } catch (error) {
      // Frees the Idempotency-Key for a retry once the job is certainly not there (retried when Redis is back).
      if (idempotencyKey) {
        await deps.idempotency.release(
          tenant,
          idempotencyKey,
          data.id,
          async () => (await deps.queue.getJob(data.id)) === undefined,
        );
      }
      throw error;
    }
    // The answer is built from what was just written: re-reading it would cost three more round trips
    // and could only add a worker's progress, which the client learns from GET anyway.
    const job = toJobView({ data, state: 'delayed', progress: undefined, attemptsMade: 0 });
    return { job, replayed: false };
  }

  function reservationOf(data: DubJobData): ReserveRequest | undefined {
    if (data.price_micros === undefined) return undefined;
    return { tenant: data.tenant, count: 1, unitMicros: data.price_micros, at: Date.parse(data.created_at) };
  }

  async function dryRun(tenant: string, body: CreateJobBody): Promise<DryRun> {
    deps.urls.assertAllowed(body);
    const unit = deps.spend?.unitMicros(tenant) ?? 0;
    await deps.spend?.reserve({ tenant, count: 1, unitMicros: unit, at: now(), dryRun: true });
    return { accepted: 1, rejected: 0, errors: [], estimated_cost: estimateCost(1, unit) };
  }

  async function get(tenant: string, id: string): Promise<JobView> {
    const snapshot = await deps.reader.snapshot(id);
    if (!snapshot || snapshot.data.tenant !== tenant) throw notFound('job');
    const view = await deps.reader.view(id);
    if (!view) throw notFound('job');
    return view;
  }

  /** Pages newest first. Ids sort by creation time, so the index is a lexicographic ZSET. */
  async function list(
    tenant: string,
    q: { status?: JobStatus; cursor?: string; limit: number; indexKey?: string },
  ): Promise<{ data: JobView[]; next_cursor: string | null }> {
    const key = q.indexKey ?? deps.keys.tenantJobs(tenant);
    const limit = Math.min(q.limit, PAGE_MAX);
    const data: JobView[] = [];
    let max = q.cursor ? `(${q.cursor}` : '+';
    let scanned = 0;
    while (data.length < limit && scanned < SCAN_BUDGET) {
      const chunk = q.status ? Math.min(200, SCAN_BUDGET - scanned) : limit - data.length;
      const ids = await deps.redis.zrevrangebylex(key, max, '-', 'LIMIT', 0, chunk);
      if (ids.length === 0) return { data, next_cursor: null };
      scanned += ids.length;
      const views = await Promise.all(ids.map((id) => deps.reader.view(id)));
      for (const [i, view] of views.entries()) {
        const id = ids[i] as string;
        max = `(${id}`;
        if (!view) {
          // Expired from BullMQ (retention): drop it from the index lazily.
          await deps.redis.zrem(key, id);
          continue;
        }
        if (view.id && (!q.status || view.status === q.status)) data.push(view);
        if (data.length === limit) return { data, next_cursor: id };
      }
    }
    return { data, next_cursor: max === '+' ? null : max.slice(1) };
  }

  /**
   * Queued → removed and recorded as canceled. Running (or waiting between fal polls) → a flag the
   * worker acts on: it asks fal to cancel and ends the job `canceled`.
   */
  async function cancel(tenant: string, id: string): Promise<JobView> {
    const current = await get(tenant, id);
    if (['completed', 'failed', 'canceled'].includes(current.status)) {
      throw new ApiError('job_finished', `the job already ended with status ${current.status}`, {
        status: current.status,
      });
    }
    const job = await deps.queue.getJob(id);
    if (job && current.status === 'queued' && !job.data.fal_request_id) {
      const removed = await job.remove().then(
        () => true,
        () => false, // taken by a worker meanwhile: cancel it as running
      );
      if (removed) {
        await deps.ready.remove(job.data);
        const record: CanceledJobRecord = {
          data: {
            ...job.data,
            error: { code: 'canceled', message: 'canceled by the client before it started' },
          },
          attemptsMade: job.attemptsMade,
          finishedOn: now(),
        };
        await deps.redis.set(
          deps.keys.canceledJob(id),
          JSON.stringify(record),
          'EX',
          JOB_RETENTION.failedSeconds,
        );
        const view = await get(tenant, id);
        await deps.onJobFinished(view, { tenant, priceMicros: job.data.price_micros });
        return view;
      }
    }
    await signals.requestCancel(id);
    // A job parked in `delayed` between polls would only notice at its next run: run it now.
    const fresh = await deps.queue.getJob(id);
    if (fresh && (await fresh.getState()) === 'delayed') await fresh.promote().catch(() => {});
    const view = await get(tenant, id);
    // The worker may already have acted on the flag (and cleared it) before this read.
    return view.status === 'queued' || view.status === 'processing'
      ? { ...view, cancel_requested: true }
      : view;
  }

  return { buildJobData, create, dryRun, get, list, cancel };
}
