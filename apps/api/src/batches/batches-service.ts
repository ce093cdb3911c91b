import type { BatchView } from '@foley/shared/batches/contract';
import type { BatchStore } from '@foley/shared/batches/store';
import type { BatchTracker } from '@foley/shared/batches/tracker';
import { toBatchView } from '@foley/shared/batches/view';
import type { ReadyList } from '@foley/shared/dispatch/ready-entry';
import { ApiError, notFound } from '@foley/shared/errors';
import { isId, newId } from '@foley/shared/ids';
import type { Logger } from '@foley/shared/infra/logger';
import type { ObjectStore } from '@foley/shared/infra/object-store';
import type { DubJobData, DubJobResult } from '@foley/shared/jobs/contract';
import type { ReserveRequest } from '@foley/shared/spend/ledger';
import { estimate } from '@foley/shared/spend/money';
import type { Queue } from 'bullmq';
import { type Idempotency, requestInProgress } from '../jobs/idempotency';
import type { DryRun, JobsService } from '../jobs/jobs-service';
import { quotaExceeded } from '../jobs/quota-error';
import type { UrlPolicy } from '../jobs/url-policy';
import type { Spend } from '../spend/spend';
import { enqueueBatchJobs } from './batch-enqueue';
import type { RawItem, RejectedItem } from './parsing/raw-item';
import type { BatchSettings } from './parsing/settings';
import { type ItemOutcome, validateItem } from './parsing/validate-item';

export interface BatchesServiceDeps {
  queue: Queue<DubJobData, DubJobResult>;
  batches: BatchStore;
  ready: ReadyList;
  /** TENANT_MAX_QUEUED of a tenant. */
  maxQueued: (tenant: string) => number | undefined;
  jobs: Pick<JobsService, 'buildJobData' | 'cancel'>;
  store: Pick<ObjectStore, 'bucket' | 'presignGet'>;
  idempotency: Idempotency;
  urls: Pick<UrlPolicy, 'issues'>;
  /** Running jobs of a batch (see batch-progress.ts). */
  processing: (batchId: string) => Promise<number>;
  /** Finishes a batch whose finisher crashed before writing the manifest (checked on every read). */
  tracker?: Pick<BatchTracker, 'finish'>;
  attempts: number;
  /** Prices and budgets (the same as the jobs service's); without it nothing is reserved. */
  spend?: Spend;
  logger?: Pick<Logger, 'warn'>;
  now?: () => number;
  cancelConcurrency?: number;
  /** Jobs per addBulk (default ENQUEUE_CHUNK). */
  enqueueChunk?: number;
}

/** A batch body, read and parsed, with what makes it identical for Idempotency-Key. */
export interface ParsedBatch {
  settings: BatchSettings;
  items: RawItem[];
  /** SHA-256 of the raw body, its content type and the query (the Idempotency-Key hash covers all). */
  fingerprint: Record<string, unknown>;
}

export type BatchCreated = BatchView & { accepted: number; received: number; rejected: RejectedItem[] };

export interface BatchesService {
  create(
    tenant: string,
    batch: ParsedBatch,
    opts: { atomic: boolean; idempotencyKey?: string | undefined },
  ): Promise<{ batch: BatchCreated; replayed: boolean }>;
  /** Validates and prices like `create` (items, URL rules, budget) and writes nothing. */
  dryRun(tenant: string, batch: ParsedBatch, opts: { atomic: boolean }): Promise<DryRun>;
  get(tenant: string, id: string): Promise<BatchView>;
  /** The tenant-checked index key behind GET /v1/jobs?batch_id=. */
  jobIndex(tenant: string, id: string): Promise<string>;
  cancel(tenant: string, id: string): Promise<BatchView>;
}

export function createBatchesService(deps: BatchesServiceDeps): BatchesService {
  const now = deps.now ?? Date.now;
  const { batches } = deps;

  function validate(batch: ParsedBatch, opts: { atomic: boolean }) {
    const outcomes = batch.items.map((item) => validateItem(item, batch.settings.defaults, deps.urls.issues));
    const accepted = outcomes.filter((o): o is Extract<ItemOutcome, { ok: true }> => o.ok);
    const rejected = outcomes.flatMap((o) => (o.ok ? [] : [o.rejected]));
    const webhookIssues = deps.urls.issues({ webhook_url: batch.settings.webhook_url });
    if (webhookIssues.length)
      throw new ApiError('validation_error', webhookMessage(webhookIssues), webhookIssues);
    if (accepted.length === 0 || (opts.atomic && rejected.length > 0)) {
      const why =
        accepted.length === 0 ? 'no item of the batch is valid' : `${rejected.length} item(s) are invalid`;
      throw new ApiError('validation_error', `${why}; nothing was enqueued`, rejected);
    }
    return { accepted, rejected };
  }

  async function dryRun(tenant: string, batch: ParsedBatch, opts: { atomic: boolean }): Promise<DryRun> {
    const { accepted, rejected } = validate(batch, opts);
    const unit = deps.spend?.unitMicros(tenant) ?? 0;
    await deps.spend?.reserve({ tenant, count: accepted.length, unitMicros: unit, at: now(), dryRun: true });
    return {
      accepted: accepted.length,
      rejected: rejected.length,
      errors: rejected,
      estimated_cost: estimate(accepted.length, unit),
    };
  }

  async function create(
    tenant: string,
    batch: ParsedBatch,
    opts: { atomic: boolean; idempotencyKey?: string | undefined },
  ): Promise<{ batch: BatchCreated; replayed: boolean }> {
    const { accepted, rejected } = validate(batch, opts);

    const id = newId('bat', now());
    if (opts.idempotencyKey) {
      const key = opts.idempotencyKey;
      const claim = await deps.idempotency.claim(tenant, key, batch.fingerprint, id);
      if (claim.kind === 'replay') {
        const replayed = await replay(tenant, claim.resourceId);
        if (replayed) return { batch: replayed, replayed: true };
        const taken = await deps.idempotency.takeOver(tenant, key, claim, batch.fingerprint, id);
        if (!taken) throw requestInProgress();
      }
    }
    // The whole batch fits under the tenant's limit, or none of it is enqueued.
    const refusal = await deps.ready.add(tenant, [], {
      reserve: accepted.length,
      limit: deps.maxQueued(tenant),
    });
    if (refusal) {
      // Refused before anything was written: the batch certainly does not exist.
      if (opts.idempotencyKey)
        await deps.idempotency.release(tenant, opts.idempotencyKey, id, async () => true);
      throw quotaExceeded(refusal, accepted.length);
    }
    const added: string[] = [];
    const createdAt = now();
    const reservation: ReserveRequest | undefined = deps.spend
      ? {
          tenant,
          count: accepted.length,
          unitMicros: deps.spend.unitMicros(tenant),
          at: createdAt,
          batchId: id,
        }
      : undefined;
    let reserved = false;
    try {
      // The whole batch is reserved in one step before any job exists: refused whole or accepted whole.
      if (reservation) {
        await deps.spend?.reserve(reservation);
        reserved = true;
      }
      await batches.create(
        {
          id,
          tenant,
          total: accepted.length,
          created_at: new Date(createdAt).toISOString(),
          ...batch.settings,
        },
        { received: batch.items.length, rejected },
      );
      await enqueueBatchJobs({
        ...deps,
        buildJobData: deps.jobs.buildJobData,
        tenant,
        batchId: id,
        items: accepted,
        added,
        shared: {
          created_at: new Date(createdAt).toISOString(),
          ...(reservation ? { price_micros: reservation.unitMicros } : {}),
        },
        ...(deps.enqueueChunk ? { chunkSize: deps.enqueueChunk } : {}),
      });
    } catch (error) {
      await undo(tenant, id, added, opts.idempotencyKey);
      await deps.ready.unreserve(tenant, accepted.length).catch(() => {});
      if (reservation && reserved) await deps.spend?.unreserve(reservation).catch(() => {});
      throw error;
    }
    const record = await batches.read(id);
    if (!record) throw new Error(`batch ${id} vanished right after it was created`);
    const view = toBatchView(record);
    return {
      batch: { ...view, accepted: accepted.length, received: batch.items.length, rejected },
      replayed: false,
    };
  }

  /**
   * Takes back a batch whose intake failed half-way. Jobs already added are removed; one that cannot
   * be (a worker holds it, or Redis refused) stays, and then the batch stays too, with `total` = the
   * jobs that exist, so it still finishes when they end instead of waiting forever for jobs never added.
   */
  async function undo(tenant: string, id: string, added: string[], idempotencyKey?: string) {
    const removed = await Promise.allSettled(added.map((jobId) => deps.queue.remove(jobId)));
    const left = added.filter((_, i) => {
      const r = removed[i];
      return !(r?.status === 'fulfilled' && r.value === 1);
    });
    // Not removed: gone already (its chunk's addBulk failed, so it never existed) or still there.
    const exists = await Promise.all(
      left.map((jobId) =>
        deps.queue.getJob(jobId).then(
          (job) => job !== undefined,
          () => true,
        ),
      ),
    );
    const kept = left.filter((_, i) => exists[i]);
    try {
      if (kept.length === 0) await batches.remove(id, tenant, added);
      else {
        const keep = new Set(kept);
        const done = await batches.shrink(
          id,
          tenant,
          kept,
          added.filter((jobId) => !keep.has(jobId)),
        );
        deps.logger?.warn(
          { batch_id: id, kept: kept.length },
          'batch intake failed; kept the jobs already running',
        );
        if (done) await deps.tracker?.finish(id);
      }
    } catch (err) {
      deps.logger?.warn({ err, batch_id: id }, 'undoing a failed batch intake failed');
    }
    if (idempotencyKey)
      await deps.idempotency.release(
        tenant,
        idempotencyKey,
        id,
        async () => (await batches.read(id)) === undefined,
      );
  }

  /** The batch an earlier request with the same key created; undefined while (or if never) written. */
  async function replay(tenant: string, id: string): Promise<BatchCreated | undefined> {
    const creation = await batches.creation(id);
    if (!creation) return undefined;
    const view = await get(tenant, id);
    const rejected = creation.rejected as RejectedItem[];
    return { ...view, accepted: view.total, received: creation.received, rejected };
  }

  async function owned(tenant: string, id: string) {
    const record = isId(id, 'bat') ? await batches.read(id) : undefined;
    if (!record || record.tenant !== tenant) throw notFound('batch');
    return record;
  }

  async function get(tenant: string, id: string): Promise<BatchView> {
    const record = await owned(tenant, id);
    const ended = record.ended.completed + record.ended.failed + record.ended.canceled;
    if (ended >= record.total && !record.emitted_at && deps.tracker) {
      void deps.tracker
        .finish(id)
        .catch((err: unknown) => deps.logger?.warn({ err, batch_id: id }, 'finishing batch failed'));
    }
    const processing = ended >= record.total ? 0 : await deps.processing(id);
    const manifest = record.manifest_key
      ? {
          bucket: deps.store.bucket,
          key: record.manifest_key,
          url: await deps.store.presignGet(record.manifest_key, { fileName: 'manifest.jsonl' }),
        }
      : undefined;
    return toBatchView(record, { processing, ...(manifest ? { manifest } : {}) });
  }

  /** The batch's job index, for GET /v1/jobs?batch_id= (404 for another tenant's batch). */
  async function jobIndex(tenant: string, id: string): Promise<string> {
    await owned(tenant, id);
    return batches.jobsKey(id);
  }

  /** Cancels every job that has not ended, a page at a time with bounded concurrency. */
  async function cancel(tenant: string, id: string): Promise<BatchView> {
    const record = await owned(tenant, id);
    const ended = record.ended.completed + record.ended.failed + record.ended.canceled;
    if (ended >= record.total) {
      throw new ApiError('batch_finished', 'the batch already ended', {
        status: toBatchView(record).status,
      });
    }
    await batches.markCanceled(id, now());
    const concurrency = deps.cancelConcurrency ?? 16;
    let after: string | undefined;
    for (let page = 0; page < 10_000; page++) {
      const ids = await batches.jobIds(id, after, 500);
      if (ids.length === 0) break;
      after = ids[ids.length - 1];
      const open = await batches.unfinished(id, ids);
      for (let i = 0; i < open.length; i += concurrency) {
        await Promise.all(open.slice(i, i + concurrency).map((jobId) => cancelOne(tenant, jobId)));
      }
    }
    return get(tenant, id);
  }

  async function cancelOne(tenant: string, jobId: string) {
    try {
      await deps.jobs.cancel(tenant, jobId);
    } catch (error) {
      // Ended meanwhile (409) or expired (404): nothing left to cancel.
      if (!(error instanceof ApiError && (error.status === 409 || error.status === 404))) throw error;
    }
  }

  return { create, dryRun, get, jobIndex, cancel };
}

const webhookMessage = (issues: Array<{ field: string; message: string }>) =>
  `${issues[0]?.field}: ${issues[0]?.message}`;
