import { createJobBodySchema } from '@foley/shared/jobs/contract';
import { z } from 'zod';
import { batchQuerySchema, jobQuerySchema, jsonBatchSchema } from '../batches/parsing/settings';
import { batchItemSchema } from '../batches/parsing/validate-item';
import { listJobsQuerySchema } from '../jobs/jobs-routes';
import { usageQuerySchema } from '../spend/usage-routes';
import { createUploadSchema } from '../uploads/uploads-routes';

/**
 * Every HTTP route of the API as data: the OpenAPI document is generated from it (with the zod schemas
 * the routes themselves parse with), and tests check it against the routes actually mounted.
 */
export interface RouteSpec {
  method: 'get' | 'post';
  /** OpenAPI template (`/v1/jobs/{id}`); Express spells it `/v1/jobs/:id`. */
  path: string;
  summary: string;
  tag: 'jobs' | 'batches' | 'usage' | 'webhooks' | 'uploads' | 'fal' | 'ops';
  /** `bearer`: `Authorization: Bearer <api key>`; `fal`: fal's signed webhook; `none`: public. */
  auth: 'bearer' | 'fal' | 'none';
  query?: z.ZodObject;
  /** Request bodies by media type (a zod schema, or a plain JSON Schema for non-JSON bodies). */
  body?: Record<string, z.ZodType | Record<string, unknown>>;
  idempotent?: boolean;
  /** Status → description. 2xx answers are `produces` (default JSON); 4xx/5xx carry the error shape. */
  responses: Record<number, string>;
  produces?: string;
}

const text = (description: string) => ({ type: 'string', description });
const batchJsonBody = jsonBatchSchema.extend({ items: z.array(batchItemSchema).min(1) });

const bad = {
  400: 'Malformed request (invalid JSON, body not an object)',
  401: 'Missing or invalid API key',
  413: 'Body larger than the limit',
  415: 'Unsupported Content-Type',
  422: 'Validation failed; `details` lists each field',
  429: '`rate_limited`: more than API_RATE_LIMIT requests per second with this key (see `Retry-After`, `RateLimit`)',
  503: 'Redis or S3 unavailable; retry shortly',
};
const found = {
  401: bad[401],
  404: 'Unknown id, or owned by another API key',
  429: bad[429],
  503: bad[503],
};
const overQuota =
  '`quota_exceeded` (the tenant would pass TENANT_MAX_QUEUED unfinished jobs; `details.limit`, `details.current`; a batch is refused whole) or `rate_limited`';
const overBudget =
  "Would exceed the tenant's budget (`budget_exceeded`): refused whole; `details` has budget, period, spent, reserved, remaining, requested";
const dryRun =
  '`dry_run=true`: `{accepted, rejected, errors, estimated_cost}`; nothing enqueued, no video read';
const inProgress = 'An earlier request with this Idempotency-Key is still being processed; retry shortly';

export const API_ROUTES: RouteSpec[] = [
  {
    method: 'post',
    path: '/v1/jobs',
    tag: 'jobs',
    auth: 'bearer',
    summary: 'Dub one video',
    query: jobQuerySchema,
    body: { 'application/json': createJobBodySchema },
    idempotent: true,
    responses: {
      200: `Replay of an earlier request with the same Idempotency-Key; or ${dryRun}`,
      202: 'Job queued',
      ...bad,
      402: overBudget,
      409: inProgress,
      429: overQuota,
    },
  },
  {
    method: 'get',
    path: '/v1/jobs',
    tag: 'jobs',
    auth: 'bearer',
    summary: "List the API key's jobs, newest first",
    query: listJobsQuerySchema,
    responses: {
      200: 'A page of jobs and `next_cursor`',
      401: bad[401],
      404: '`batch_id` is unknown, or owned by another API key',
      422: bad[422],
      429: bad[429],
      503: bad[503],
    },
  },
  {
    method: 'get',
    path: '/v1/jobs/{id}',
    tag: 'jobs',
    auth: 'bearer',
    summary: 'Get a job',
    responses: { 200: 'The job', ...found },
  },
  {
    method: 'post',
    path: '/v1/jobs/{id}/cancel',
    tag: 'jobs',
    auth: 'bearer',
    summary: 'Cancel a job (queued: at once; running: asks fal to cancel)',
    responses: {
      200: 'Canceled',
      202: 'Cancel requested; the job ends `canceled` shortly',
      ...found,
      409: 'The job already ended (`details.status`)',
    },
  },
  {
    method: 'get',
    path: '/v1/jobs/{id}/webhooks',
    tag: 'webhooks',
    auth: 'bearer',
    summary: "A job's webhook events with every delivery attempt",
    responses: { 200: 'The events', ...found },
  },
  {
    method: 'post',
    path: '/v1/jobs/{id}/webhooks/{event_id}/redeliver',
    tag: 'webhooks',
    auth: 'bearer',
    summary: 'Send a webhook event again',
    responses: { 202: 'Redelivery queued', ...found },
  },
  {
    method: 'post',
    path: '/v1/batches',
    tag: 'batches',
    auth: 'bearer',
    summary: 'Dub many videos (JSON `{items:[…]}`, JSONL or CSV); invalid items are reported by line',
    query: batchQuerySchema,
    body: {
      'application/json': batchJsonBody,
      'application/x-ndjson': text('One job body (without webhook_url) per line'),
      'text/csv': text('Header row of job fields (video_url, sound_effect_prompt, …), one video per row'),
    },
    idempotent: true,
    responses: {
      200: `Replay (same Idempotency-Key); or ${dryRun}`,
      202: 'Batch accepted',
      ...bad,
      402: overBudget,
      409: inProgress,
      429: overQuota,
    },
  },
  {
    method: 'get',
    path: '/v1/batches/{id}',
    tag: 'batches',
    auth: 'bearer',
    summary: 'Get a batch: counts, progress, manifest',
    responses: { 200: 'The batch', ...found },
  },
  {
    method: 'post',
    path: '/v1/batches/{id}/cancel',
    tag: 'batches',
    auth: 'bearer',
    summary: "Cancel a batch's unfinished jobs",
    responses: {
      200: 'Canceled',
      202: 'Cancel requested for running jobs',
      ...found,
      409: 'The batch already ended (`details.status`)',
    },
  },
  {
    method: 'get',
    path: '/v1/usage',
    tag: 'usage',
    auth: 'bearer',
    summary: "The API key's tenant's spend (spent, reserved; USD) and job counts over UTC days",
    query: usageQuerySchema,
    responses: {
      200: '`{from, to, spent, reserved, currency, jobs: {<status>: n}, groups?: [{key, spent, jobs}]}`',
      401: bad[401],
      422: bad[422],
      503: bad[503],
    },
  },
  {
    method: 'post',
    path: '/v1/uploads',
    tag: 'uploads',
    auth: 'bearer',
    summary:
      'Presigned S3 POST for a local video (policy: this key and Content-Type, 1…`size` bytes, 15 min), and the `video_url` to submit afterwards',
    body: { 'application/json': createUploadSchema },
    responses: {
      201: 'Upload form: POST `upload_fields` then the file (field `file`, last) as multipart/form-data to `upload_url`',
      ...bad,
      429: 'upload_quota_exceeded: the tenant was handed UPLOAD_URLS_PER_HOUR upload URLs this hour (Retry-After)',
    },
  },
  {
    method: 'get',
    path: '/v1/status',
    tag: 'ops',
    auth: 'bearer',
    summary:
      "Dispatch to fal for the key's account (`dispatch.state`: active, slowed on fal 429s, paused when fal refuses the account; `reason`, `since`) and the key's queue quota",
    responses: { 200: 'The status', 401: bad[401], 429: bad[429], 503: bad[503] },
  },
  {
    method: 'post',
    path: '/v1/fal/webhook',
    tag: 'fal',
    auth: 'fal',
    summary:
      "fal's completion callback (verified by fal's Ed25519 signature; wakes the waiting job; for a submit whose answer was lost, records the request id fal names when `submit` is that submit's nonce)",
    query: z.object({
      job_id: z.string(),
      submit: z
        .string()
        .optional()
        .describe("the nonce of the submit this callback URL was made for (Foley's own)"),
    }),
    body: { 'application/json': { type: 'object', description: "fal's webhook payload" } },
    responses: { 200: 'Accepted', 401: 'Invalid signature', 503: "fal's keys cannot be fetched right now" },
  },
  {
    method: 'get',
    path: '/healthz',
    tag: 'ops',
    auth: 'none',
    summary: 'Liveness',
    responses: { 200: 'The process runs' },
  },
  {
    method: 'get',
    path: '/readyz',
    tag: 'ops',
    auth: 'none',
    summary: 'Readiness: Redis and S3 answer',
    responses: { 200: 'Ready', 503: 'Not ready; `failing` names each part that does not answer' },
  },
  {
    method: 'get',
    path: '/metrics',
    tag: 'ops',
    auth: 'none',
    summary: 'Prometheus metrics',
    produces: 'text/plain',
    responses: { 200: 'Prometheus text format' },
  },
  {
    method: 'get',
    path: '/openapi.json',
    tag: 'ops',
    auth: 'none',
    summary: 'This document',
    responses: { 200: 'OpenAPI 3.1' },
  },
  {
    method: 'get',
    path: '/docs',
    tag: 'ops',
    auth: 'none',
    summary: 'This document as a page',
    produces: 'text/html',
    responses: { 200: 'HTML' },
  },
];

/** `/v1/jobs/{id}` → `/v1/jobs/:id` */
export const expressPath = (path: string) => path.replace(/\{(\w+)\}/g, ':$1');
