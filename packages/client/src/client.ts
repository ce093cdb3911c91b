import { type BatchesApi, createBatchesApi } from './batches.js';
import { createJobsApi, type JobsApi } from './jobs.js';
import { createTransport } from './transport.js';
import { createUploadsApi, type UploadsApi } from './uploads.js';
import { createUsageApi, type UsageApi } from './usage.js';

export interface FoleyClientOptions {
  /** The API's base URL, e.g. `https://foley.example.com` (no `/v1`). */
  apiUrl: string;
  apiKey?: string;
  /** Defaults to the global `fetch`. */
  fetch?: typeof fetch;
  /** Extra attempts on 429, 503 and network errors (default 4); 0 turns retrying off. */
  retries?: number;
  /** Per attempt (default 60 s; batch creates and uploads allow longer). */
  timeoutMs?: number;
}

export interface FoleyClient {
  readonly jobs: JobsApi;
  readonly batches: BatchesApi;
  readonly uploads: UploadsApi;
  readonly usage: UsageApi;
}

export function createFoleyClient(opts: FoleyClientOptions): FoleyClient {
  if (!opts.apiUrl) throw new TypeError('createFoleyClient: apiUrl is required');
  const transport = createTransport({
    apiUrl: opts.apiUrl,
    apiKey: opts.apiKey,
    fetch: opts.fetch,
    timeoutMs: opts.timeoutMs,
    ...(opts.retries !== undefined ? { retry: { retries: opts.retries } } : {}),
  });
  const jobs = createJobsApi(transport);
  return {
    jobs,
    batches: createBatchesApi(transport, jobs),
    uploads: createUploadsApi(transport, opts.fetch),
    usage: createUsageApi(transport),
  };
}
