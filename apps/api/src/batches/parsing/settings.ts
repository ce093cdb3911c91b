import { type BatchDefaults, batchDefaultsSchema } from '@foley/shared/batches/contract';
import { metadataSchema } from '@foley/shared/jobs/contract';
import { httpUrl } from '@foley/shared/jobs/model';
import { z } from 'zod';
import { fieldIssues, validationError } from '../../http/validation';
import { tooManyItems } from './body-limits';
import type { ItemSink } from './raw-item';

/** Batch-level settings: one webhook for the batch, its metadata, defaults for every item. */
export interface BatchSettings {
  webhook_url?: string;
  metadata?: Record<string, unknown>;
  defaults?: BatchDefaults;
}

const flag = z.enum(['true', 'false', '1', '0']).transform((v) => v === 'true' || v === '1');

const jsonObject = z.string().transform((text, ctx) => {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    ctx.addIssue({ code: 'custom', message: 'must be a JSON object' });
    return z.NEVER;
  }
});

/**
 * Query of POST /v1/batches. JSONL and CSV bodies hold only items, so their batch settings come here;
 * a JSON body carries them itself (top-level `webhook_url`, `metadata`, `defaults`).
 */
export const batchQuerySchema = z.strictObject({
  atomic: flag.optional(),
  /** Validate, price and check the budget; enqueue nothing (200 with the estimate). */
  dry_run: flag.optional(),
  webhook_url: httpUrl.optional(),
  metadata: jsonObject.pipe(metadataSchema).optional(),
  ...batchDefaultsSchema.shape,
  asmr_mode: flag.optional(),
});

export function parseBatchQuery(query: unknown, format: 'json' | 'jsonl' | 'csv') {
  const parsed = batchQuerySchema.safeParse(query);
  if (!parsed.success) throw validationError(fieldIssues(parsed.error, ['query'], query));
  const { atomic, dry_run, webhook_url, metadata, ...defaults } = parsed.data;
  const settings: BatchSettings = {
    ...(webhook_url ? { webhook_url } : {}),
    ...(metadata ? { metadata } : {}),
    ...(Object.keys(defaults).length ? { defaults } : {}),
  };
  if (format === 'json' && Object.keys(settings).length) {
    throw validationError(
      Object.keys(settings).map((name) => ({
        field: `query.${name}`,
        rule: 'unknown_field',
        message: 'a JSON batch carries its settings in the body (webhook_url, metadata, defaults)',
      })),
    );
  }
  return { atomic: atomic ?? false, dryRun: dry_run ?? false, settings };
}

/** `?dry_run=` of POST /v1/jobs (its only query parameter). */
export const jobQuerySchema = z.strictObject({ dry_run: flag.optional() });

export const jsonBatchSchema = z.strictObject({
  items: z.array(z.unknown()).min(1, 'must hold at least one item'),
  webhook_url: httpUrl.optional(),
  metadata: metadataSchema.optional(),
  defaults: batchDefaultsSchema.optional(),
});

/** A parsed JSON batch body → its settings; every item goes to `sink`. */
export function readJsonBatch(body: unknown, maxItems: number, sink: ItemSink): BatchSettings {
  if (body === null || typeof body !== 'object' || Array.isArray(body)) {
    throw validationError([
      { field: '(body)', rule: 'invalid_type', message: 'must be a JSON object with items' },
    ]);
  }
  const items = (body as { items?: unknown }).items;
  if (Array.isArray(items) && items.length > maxItems) throw tooManyItems(maxItems);
  const parsed = jsonBatchSchema.safeParse(body);
  if (!parsed.success) throw validationError(fieldIssues(parsed.error, [], body));
  const { items: values, ...settings } = parsed.data;
  values.forEach((value, index) => {
    sink({ index, value });
  });
  return settings;
}
