import type { BatchCounts } from './api-types.generated.js';
import { type BatchSource, prepareBatchBody } from './batch-source.js';
import { idempotencyKeyFor, type JobsApi } from './jobs.js';
import { pollUntil, type WaitOptions } from './poll.js';
import type { Transport } from './transport.js';
import type { Batch, BatchSettings, CreatedBatch, DryRun, Job } from './types.js';

export interface CreateBatchOptions extends BatchSettings {
  /** Reject the whole batch (422, nothing enqueued) when any item is invalid. */
  atomic?: boolean;
  idempotencyKey?: string;
  signal?: AbortSignal;
}

export interface BatchWaitOptions extends Omit<WaitOptions<Batch>, 'onUpdate'> {
  /** Called with every state read while waiting: `counts`, `percent`, `total`. */
  onProgress?: (batch: Batch) => void;
}

export interface BatchesApi {
  /** With `dryRun: true`: `{accepted, rejected, errors, estimated_cost}`; nothing is enqueued. */
  create(source: BatchSource, opts: CreateBatchOptions & { dryRun: true }): Promise<DryRun>;
  create(source: BatchSource, opts?: CreateBatchOptions & { dryRun?: false }): Promise<CreatedBatch>;
  get(id: string, opts?: { signal?: AbortSignal }): Promise<Batch>;
  cancel(id: string, opts?: { signal?: AbortSignal }): Promise<Batch>;
  /** Resolves once the batch is no longer `processing`. */
  wait(id: string, opts?: BatchWaitOptions): Promise<Batch>;
  /** Every job of the batch, page by page as the caller iterates. */
  jobs(id: string, opts?: { limit?: number; signal?: AbortSignal }): AsyncIterable<Job>;
}

/** Large bodies take a while to upload and validate: one attempt may take this long. */
const CREATE_TIMEOUT_MS = 300_000;

export const endedCount = (counts: BatchCounts) => counts.completed + counts.failed + counts.canceled;

export function createBatchesApi(transport: Transport, jobs: JobsApi): BatchesApi {
  const path = (id: string, rest = '') => `/v1/batches/${encodeURIComponent(id)}${rest}`;
  const get = (id: string, opts?: { signal?: AbortSignal }) =>
    transport.request<Batch>({ method: 'GET', path: path(id), signal: opts?.signal });
  return {
    create: (async (source: BatchSource, opts: CreateBatchOptions & { dryRun?: boolean } = {}) => {
      const { atomic, dryRun, idempotencyKey: _key, signal, ...settings } = opts;
      const prepared = await prepareBatchBody(source, settings);
      const common = {
        method: 'POST' as const,
        path: '/v1/batches',
        headers: { 'idempotency-key': idempotencyKeyFor(opts) },
        signal,
        timeoutMs: CREATE_TIMEOUT_MS,
      };
      const atomicQuery = { ...(atomic ? { atomic: 'true' } : {}), ...(dryRun ? { dry_run: 'true' } : {}) };
      return prepared.kind === 'json'
        ? transport.request<CreatedBatch | DryRun>({ ...common, json: prepared.json, query: atomicQuery })
        : transport.request<CreatedBatch | DryRun>({
            ...common,
            body: prepared.body,
            contentType: prepared.contentType,
            query: { ...prepared.query, ...atomicQuery },
          });
    }) as BatchesApi['create'],
    get,
    cancel: (id, opts) =>
      transport.request<Batch>({ method: 'POST', path: path(id, '/cancel'), signal: opts?.signal }),
    wait: (id, opts = {}) => {
      const { onProgress, ...rest } = opts;
      return pollUntil(
        id,
        (signal) => get(id, signal ? { signal } : {}),
        (b) => b.status !== 'processing',
        {
          ...rest,
          ...(onProgress ? { onUpdate: onProgress } : {}),
        },
      );
    },
    jobs: (id, opts = {}) =>
      jobs.list({ batchId: id, limit: opts.limit ?? 100, ...(opts.signal ? { signal: opts.signal } : {}) }),
  };
}
