/**
 * The API's own types, named for the SDK. Never imported at run time: `generate-api-types.ts` resolves
 * each export below with the TypeScript checker and writes plain declarations to
 * `src/api-types.generated.ts`, so the published package carries the shapes the API validates with
 * (its zod schemas) without depending on unpublished workspace packages or on zod.
 */
import type { BatchCreated } from '../../../apps/api/src/batches/batches-service';
import type { RejectedItem } from '../../../apps/api/src/batches/parsing/raw-item';
import type { batchQuerySchema, jsonBatchSchema } from '../../../apps/api/src/batches/parsing/settings';
import type { batchItemSchema } from '../../../apps/api/src/batches/parsing/validate-item';
import type { FieldIssue } from '../../../apps/api/src/http/validation';
import type { listJobsQuerySchema } from '../../../apps/api/src/jobs/jobs-routes';
import type { JobsService } from '../../../apps/api/src/jobs/jobs-service';
import type { createUploadSchema } from '../../../apps/api/src/uploads/uploads-routes';

export type { BatchCounts, BatchDefaults, BatchStatus, BatchView } from '@foley/shared/batches/contract';
export type { FailureCode } from '@foley/shared/errors';
export type { JobError, JobPhase, JobStatus, StoredObject } from '@foley/shared/jobs/contract';
export type { ModelInput } from '@foley/shared/jobs/model';
export type { JobView, OutputFile } from '@foley/shared/jobs/view';
export type { WebhookEventType } from '@foley/shared/webhooks/events';
export type { BatchCreated, FieldIssue, RejectedItem };

/** Body of `POST /v1/jobs`: the model's input fields, an optional webhook and metadata. */
export type CreateJobBody = typeof import('@foley/shared/jobs/contract').createJobBodySchema['_zod']['input'];
/** One item of a batch: a job body without `webhook_url` (a batch has one webhook for all). */
export type BatchItem = (typeof batchItemSchema)['_zod']['input'];
/** JSON body of `POST /v1/batches`. */
export type CreateBatchBody = Omit<(typeof jsonBatchSchema)['_zod']['input'], 'items'> & {
  items: BatchItem[];
};
/** Query of `POST /v1/batches` (JSONL and CSV bodies carry their settings here). */
export type CreateBatchQuery = (typeof batchQuerySchema)['_zod']['input'];
/** Query of `GET /v1/jobs`. */
export type ListJobsQuery = (typeof listJobsQuerySchema)['_zod']['input'];
/** Body of `POST /v1/uploads`. */
export type CreateUploadBody = (typeof createUploadSchema)['_zod']['input'];
/** A page of `GET /v1/jobs`. */
export type JobPage = { object: 'list' } & Awaited<ReturnType<JobsService['list']>>;
