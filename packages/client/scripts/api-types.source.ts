/**
 * The API's own types, named for the SDK. Never imported at run time: `generate-api-types.ts` resolves
 * each export below with the TypeScript checker and writes plain declarations to
 * `src/api-types.generated.ts`, so the published package carries the shapes the API validates with
 * (its zod schemas) without depending on unpublished workspace packages or on zod.
 */
import type {
  BatchItemInput,
  CreateBatchBodyInput,
  CreateBatchQueryInput,
  CreateUploadBodyInput,
  JobPageAnswer,
  ListJobsQueryInput,
  UsageQueryInput,
} from '@foley/api/http/public-types';
import type { createJobBodySchema } from '@foley/shared/jobs/contract';

export type {
  BatchCreated,
  DryRun,
  EstimatedCost,
  FieldIssue,
  JobCost,
  RejectedItem,
  Usage,
  UsageGroup,
} from '@foley/api/http/public-types';
export type { BatchCounts, BatchDefaults, BatchStatus, BatchView } from '@foley/shared/batches/contract';
export type { FailureCode } from '@foley/shared/errors';
export type { JobError, JobPhase, JobStatus, StoredObject } from '@foley/shared/jobs/contract';
export type { ModelInput } from '@foley/shared/jobs/model';
export type { JobView, OutputFile } from '@foley/shared/jobs/view';
export type { WebhookEventType } from '@foley/shared/webhooks/events';

/** Body of `POST /v1/jobs`: the model's input fields, an optional webhook and metadata. */
export type CreateJobBody = (typeof createJobBodySchema)['_zod']['input'];
/** One item of a batch: a job body without `webhook_url` (a batch has one webhook for all). */
export type BatchItem = BatchItemInput;
/** JSON body of `POST /v1/batches`. */
export type CreateBatchBody = CreateBatchBodyInput;
/** Query of `POST /v1/batches` (JSONL and CSV bodies carry their settings here). */
export type CreateBatchQuery = CreateBatchQueryInput;
/** Query of `GET /v1/jobs`. */
export type ListJobsQuery = ListJobsQueryInput;
/** Body of `POST /v1/uploads`. */
export type CreateUploadBody = CreateUploadBodyInput;
/** A page of `GET /v1/jobs`. */
export type JobPage = JobPageAnswer;
/** Query of `GET /v1/usage`. */
export type UsageQuery = UsageQueryInput;
