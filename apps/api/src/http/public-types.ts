import type { batchQuerySchema, jsonBatchSchema } from '../batches/parsing/settings';
import type { batchItemSchema } from '../batches/parsing/validate-item';
import type { listJobsQuerySchema } from '../jobs/jobs-routes';
import type { JobsService } from '../jobs/jobs-service';
import type { usageQuerySchema } from '../spend/usage-routes';
import type { createUploadSchema } from '../uploads/uploads-routes';

export type { Usage, UsageGroup } from '@foley/shared/spend/ledger';
export type { EstimatedCost, JobCost } from '@foley/shared/spend/money';
/**
 * The shapes of requests and answers this API defines itself (beyond `@foley/shared`'s contract), as
 * types only: `@foley/client` generates its published types from them, so they come from the very
 * schemas the routes parse with. Nothing here exists at run time.
 */
export type { BatchCreated } from '../batches/batches-service';
export type { RejectedItem } from '../batches/parsing/raw-item';
export type { DryRun } from '../jobs/jobs-service';
export type { FieldIssue } from './validation';

/** Query of `GET /v1/usage`. */
export type UsageQueryInput = (typeof usageQuerySchema)['_zod']['input'];

/** One item of a batch: a job body without `webhook_url` (a batch has one webhook for all). */
export type BatchItemInput = (typeof batchItemSchema)['_zod']['input'];
/** JSON body of `POST /v1/batches`, items typed. */
export type CreateBatchBodyInput = Omit<(typeof jsonBatchSchema)['_zod']['input'], 'items'> & {
  items: BatchItemInput[];
};
/** Query of `POST /v1/batches` (JSONL and CSV bodies carry their settings here). */
export type CreateBatchQueryInput = (typeof batchQuerySchema)['_zod']['input'];
/** Query of `GET /v1/jobs`. */
export type ListJobsQueryInput = (typeof listJobsQuerySchema)['_zod']['input'];
/** Body of `POST /v1/uploads`. */
export type CreateUploadBodyInput = (typeof createUploadSchema)['_zod']['input'];
/** A page of `GET /v1/jobs`. */
export type JobPageAnswer = { object: 'list' } & Awaited<ReturnType<JobsService['list']>>;
