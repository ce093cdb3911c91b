export type { BatchFormat, BatchSource } from './batch-source.js';
export type { BatchesApi, BatchWaitOptions, CreateBatchOptions } from './batches.js';
export { endedCount } from './batches.js';
export { createFoleyClient, type FoleyClient, type FoleyClientOptions } from './client.js';
export { FoleyApiError, FoleyConnectionError, FoleyError, FoleyWaitTimeoutError } from './errors.js';
export type { CreateOptions, JobsApi, ListJobsOptions } from './jobs.js';
export { isJobEnded, JOB_END_STATUSES } from './jobs.js';
export type { WaitOptions } from './poll.js';
export type * from './types.js';
export type { UploadSource, UploadsApi } from './uploads.js';
export type { UsageApi, UsageQueryOptions } from './usage.js';
export { foleyWebhookHandler, type WebhookHandlerOptions } from './webhooks/node-handler.js';
export {
  type HeaderSource,
  type VerifyOptions,
  verifyWebhook,
  WEBHOOK_TOLERANCE_SECONDS,
  type WebhookFailure,
  WebhookVerificationError,
} from './webhooks/verify.js';
