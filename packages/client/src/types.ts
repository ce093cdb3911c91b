import type {
  BatchCreated,
  BatchView,
  CreateBatchBody,
  CreateJobBody,
  JobView,
  WebhookEventType,
} from './api-types.generated.js';

/** The SDK's names for the API's shapes; every one of them is generated from the API's own types. */
export type * from './api-types.generated.js';
export type Job = JobView;
export type Batch = BatchView;
export type CreateJobInput = CreateJobBody;
export type CreatedBatch = BatchCreated;
/** Batch-level settings of `batches.create` (everything of the JSON body except `items`). */
export type BatchSettings = Omit<CreateBatchBody, 'items'>;

/**
 * Answer of `POST /v1/uploads`: a presigned S3 POST (send `upload_fields`, then the file as field
 * `file`, as multipart/form-data to `upload_url`), and the `video_url` to submit afterwards.
 */
export interface UploadTarget {
  object: 'upload';
  bucket: string;
  key: string;
  upload_url: string;
  upload_method: 'POST';
  upload_fields: Record<string, string>;
  /** The form's policy expires then (S3 refuses a later upload). */
  upload_expires_at: string;
  /** The policy's content-length-range maximum: the size declared. */
  max_bytes: number;
  video_url: string;
  video_url_expires_at: string;
}

type JobEventType = Extract<WebhookEventType, `job.${string}`>;

/** What `verifyWebhook` returns: the parsed body, typed by `type`, and the delivery's id. */
export type WebhookEvent =
  | { id: string; type: JobEventType; timestamp: string; data: Job }
  | { id: string; type: 'batch.completed'; timestamp: string; data: Batch };
