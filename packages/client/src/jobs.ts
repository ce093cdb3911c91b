import { randomUUID } from 'node:crypto';
import type { JobPage, JobStatus } from './api-types.generated.js';
import { paginate } from './paginate.js';
import { pollUntil, type WaitOptions } from './poll.js';
import type { Transport } from './transport.js';
import type { CreateJobInput, DryRun, Job } from './types.js';

export interface CreateOptions {
  /** Same key + same body → the same job. Generated when not given, so a retried create never makes two. */
  idempotencyKey?: string;
  signal?: AbortSignal;
}

export interface ListJobsOptions {
  status?: JobStatus;
  batchId?: string;
  /** Page size (1–100, default 20); the iterator still yields every job. */
  limit?: number;
  signal?: AbortSignal;
}

export interface JobsApi {
  /** With `dryRun: true`: validated, priced and checked against the budget; nothing is enqueued. */
  create(input: CreateJobInput, opts: CreateOptions & { dryRun: true }): Promise<DryRun>;
  create(input: CreateJobInput, opts?: CreateOptions & { dryRun?: false }): Promise<Job>;
  get(id: string, opts?: { signal?: AbortSignal }): Promise<Job>;
  /** Every job of the API key (newest first), page by page as the caller iterates. */
  list(opts?: ListJobsOptions): AsyncIterable<Job>;
  cancel(id: string, opts?: { signal?: AbortSignal }): Promise<Job>;
  /** Resolves with the job once it is `completed`, `failed` or `canceled`. */
  wait(id: string, opts?: WaitOptions<Job>): Promise<Job>;
}

export const JOB_END_STATUSES: readonly JobStatus[] = ['completed', 'failed', 'canceled'];
export const isJobEnded = (job: Pick<Job, 'status'>) => JOB_END_STATUSES.includes(job.status);

const path = (id: string, rest = '') => `/v1/jobs/${encodeURIComponent(id)}${rest}`;

/** The `Idempotency-Key` a create sends: the caller's, or a fresh one per call (shared by its retries). */
export const idempotencyKeyFor = (opts?: { idempotencyKey?: string }) => opts?.idempotencyKey ?? randomUUID();

export function createJobsApi(transport: Transport): JobsApi {
  const get = (id: string, opts?: { signal?: AbortSignal }) =>
    transport.request<Job>({ method: 'GET', path: path(id), signal: opts?.signal });
  return {
    create: ((input: CreateJobInput, opts?: CreateOptions & { dryRun?: boolean }) =>
      transport.request<Job | DryRun>({
        method: 'POST',
        path: '/v1/jobs',
        json: input,
        ...(opts?.dryRun ? { query: { dry_run: 'true' } } : {}),
        headers: { 'idempotency-key': idempotencyKeyFor(opts) },
        signal: opts?.signal,
      })) as JobsApi['create'],
    get,
    list: (opts = {}) =>
      paginate((cursor) =>
        transport.request<JobPage>({
          method: 'GET',
          path: '/v1/jobs',
          query: { status: opts.status, batch_id: opts.batchId, limit: opts.limit, cursor },
          signal: opts.signal,
        }),
      ),
    cancel: (id, opts) =>
      transport.request<Job>({ method: 'POST', path: path(id, '/cancel'), signal: opts?.signal }),
    wait: (id, opts = {}) => pollUntil(id, (signal) => get(id, signal ? { signal } : {}), isJobEnded, opts),
  };
}
