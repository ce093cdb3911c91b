import { z } from 'zod';
import { FAILURE_CODES } from '../errors';
import { findJsonProblem } from './json-limits';
import { httpUrl, modelInputSchema, resolvedModelInputSchema } from './model';

/** Public job contract: request bodies, stored job data, results and the view clients get. */

export const METADATA_MAX_BYTES = 4096;
export const METADATA_MAX_DEPTH = 32;

/**
 * A small JSON object echoed back. Checked on the value as sent: a record schema would drop a
 * `__proto__` key silently, and sizing a deeply nested value with JSON.stringify throws (a 500).
 */
export const metadataSchema = z
  .custom<Record<string, unknown>>()
  .superRefine((value, ctx) => {
    if (value === null || typeof value !== 'object' || Array.isArray(value)) {
      ctx.addIssue({
        code: 'invalid_type',
        expected: 'record',
        input: value,
        message: 'must be a JSON object',
      });
      return;
    }
    const problem = findJsonProblem(value, METADATA_MAX_DEPTH);
    if (problem) {
      ctx.addIssue({
        code: 'custom',
        path: problem.path,
        message: problem.message,
        params: { rule: problem.rule },
      });
    } else if (Buffer.byteLength(JSON.stringify(value)) > METADATA_MAX_BYTES) {
      ctx.addIssue({
        code: 'custom',
        message: `must serialize to at most ${METADATA_MAX_BYTES} bytes of JSON`,
      });
    }
  })
  .meta({
    type: 'object',
    additionalProperties: {},
    description: `A JSON object of at most ${METADATA_MAX_BYTES} bytes and ${METADATA_MAX_DEPTH} levels, echoed back`,
  });

export const createJobBodySchema = modelInputSchema.extend({
  webhook_url: httpUrl.optional(),
  /** Order among the tenant's own waiting jobs: 1–10, higher first, default 5. */
  priority: z.number().int().min(1).max(10).optional(),
  metadata: metadataSchema.optional(),
});
export type CreateJobBody = z.infer<typeof createJobBodySchema>;

export const JOB_STATUSES = ['queued', 'processing', 'completed', 'failed', 'canceled'] as const;
export type JobStatus = (typeof JOB_STATUSES)[number];

export const JOB_PHASES = ['preflight', 'submitted', 'in_queue', 'in_progress', 'uploading'] as const;
export type JobPhase = (typeof JOB_PHASES)[number];

export const jobErrorSchema = z.object({ code: z.enum(FAILURE_CODES), message: z.string() });
export type JobError = z.infer<typeof jobErrorSchema>;

/** The payload of a `dubbing` job as stored in Redis. Fields the worker adds later are optional. */
export const dubJobDataSchema = z.object({
  id: z.string(),
  tenant: z.string(),
  input: resolvedModelInputSchema,
  webhook_url: z.string().optional(),
  metadata: z.record(z.string(), z.unknown()).optional(),
  batch_id: z.string().optional(),
  batch_index: z.number().int().optional(),
  /** 1–10, higher first within the tenant (default 5); across tenants dispatch is weighted round-robin. */
  priority: z.number().int().min(1).max(10).optional(),
  created_at: z.string(),
  /** Saved before waiting on fal; a retried or recovered job resumes this request and never submits again. */
  fal_request_id: z.string().optional(),
  /** Set while a submit is in flight, so a crash between POST and save is detected on resume. */
  fal_submit_started_at: z.string().optional(),
  /** When the request was submitted: the fal deadline is counted from here, across restarts. */
  fal_submitted_at: z.string().optional(),
  /** Set when the video passed preflight but the job had to wait for a fal slot: not read again soon. */
  preflight_passed_at: z.string().optional(),
  /** PIN_INPUTS: the copy of the video preflight checked, in Foley's bucket; fal gets a presigned URL of it. */
  pinned_input_key: z.string().optional(),
  error: jobErrorSchema.optional(),
  /**
   * While the job waits out an outage or fal's back-pressure (deferred, no attempt used): why, since
   * when (the first such wait of the job: the bound counts from it) and how many waits so far (backoff).
   */
  waiting: z.object({ cause: z.string(), since: z.string(), count: z.number().int() }).optional(),
  /** Unit price (micro-dollars per video) reserved against the tenant's budget at acceptance. */
  price_micros: z.number().int().nonnegative().optional(),
  /**
   * Recorded the moment the outputs are in S3, before the end is reported: the job has completed,
   * whatever happens to the report (webhook enqueue, batch count); a later run only reports it again.
   */
  get result() {
    return dubJobResultSchema.optional();
  },
});
export type DubJobData = z.infer<typeof dubJobDataSchema>;

/** Progress the worker reports while a job runs (BullMQ job progress). */
export const dubJobProgressSchema = z.object({
  phase: z.enum(JOB_PHASES),
  queue_position: z.number().int().optional(),
});
export type DubJobProgress = z.infer<typeof dubJobProgressSchema>;

export const storedObjectSchema = z.object({
  bucket: z.string(),
  key: z.string(),
  content_type: z.string(),
  file_name: z.string(),
  file_size: z.number().int(),
  /** Base64 SHA-256 of the object's bytes, as S3's `ChecksumSHA256`. */
  sha256: z.string(),
});
export type StoredObject = z.infer<typeof storedObjectSchema>;

export const dubJobResultSchema = z.object({
  fal_request_id: z.string(),
  /** fal's `X-Fal-Billable-Units` on the result response, when it sent one. */
  billable_units: z.number().int().nonnegative().optional(),
  video: storedObjectSchema,
  audio: storedObjectSchema,
});
export type DubJobResult = z.infer<typeof dubJobResultSchema>;

/** PIN_INPUTS: the job's copy of its video, beside its outputs (the same prefix, the same expiry). */
export const pinnedInputKey = (jobId: string, container: 'mp4' | 'mov') => `jobs/${jobId}/input.${container}`;

/** Deterministic output keys: a retried upload overwrites, never duplicates. */
export const outputKeys = (jobId: string) => ({
  video: `jobs/${jobId}/video.mp4`,
  audio: `jobs/${jobId}/audio.mp3`,
});
