import { z } from 'zod';
import { jobErrorSchema } from '../jobs/contract';
import { modelInputSchema } from '../jobs/model';

/** Public batch contract: batch-level settings, the view clients get, manifest lines. */

/** Prompts and flags applied to every item that does not set them itself. */
export const batchDefaultsSchema = modelInputSchema.pick({
  sound_effect_prompt: true,
  background_music_prompt: true,
  asmr_mode: true,
});
export type BatchDefaults = z.infer<typeof batchDefaultsSchema>;

export const BATCH_STATUSES = ['processing', 'completed', 'canceled'] as const;
export type BatchStatus = (typeof BATCH_STATUSES)[number];

export const BATCH_END_STATUSES = ['completed', 'failed', 'canceled'] as const;
export type BatchEndStatus = (typeof BATCH_END_STATUSES)[number];

export interface BatchCounts {
  queued: number;
  processing: number;
  completed: number;
  failed: number;
  canceled: number;
}

/** A batch as clients see it (GET /v1/batches/:id, `batch.completed` webhook `data`). */
export interface BatchView {
  id: string;
  object: 'batch';
  status: BatchStatus;
  total: number;
  counts: BatchCounts;
  /** Ended items over total, 0–100, rounded down (100 only once every item ended). */
  percent: number;
  created_at: string;
  finished_at?: string;
  cancel_requested?: boolean;
  webhook_url?: string;
  metadata?: Record<string, unknown>;
  defaults?: BatchDefaults;
  manifest?: { bucket: string; key: string; url: string };
}

const objectRef = z.object({ bucket: z.string(), key: z.string() });

/** One line of `batches/<id>/manifest.jsonl`, in item order. */
export const manifestLineSchema = z.object({
  index: z.number().int(),
  job_id: z.string(),
  status: z.enum(BATCH_END_STATUSES),
  video: objectRef.optional(),
  audio: objectRef.optional(),
  error: jobErrorSchema.optional(),
});
export type ManifestLine = z.infer<typeof manifestLineSchema>;

export const manifestKey = (batchId: string) => `batches/${batchId}/manifest.jsonl`;
