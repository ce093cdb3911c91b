import type { BatchDefaults } from '@foley/shared/batches/contract';
import { type CreateJobBody, createJobBodySchema } from '@foley/shared/jobs/contract';
import { type FieldIssue, fieldIssues } from '../../http/validation';
import type { RawItem, RejectedItem } from './raw-item';

/** An item is a single job's body without `webhook_url` (webhooks are per batch); `metadata` stays. */
export const batchItemSchema = createJobBodySchema.omit({ webhook_url: true });

export type UrlIssues = (fields: { video_url?: string }) => FieldIssue[];

export type ItemOutcome =
  | { ok: true; index: number; body: CreateJobBody }
  | { ok: false; rejected: RejectedItem };

/** Validates one item with the batch defaults filled in, by the same rules as POST /v1/jobs. */
export function validateItem(
  item: RawItem,
  defaults: BatchDefaults | undefined,
  urlIssues: UrlIssues,
): ItemOutcome {
  const reject = (errors: FieldIssue[]): ItemOutcome => ({
    ok: false,
    rejected: { index: item.index, ...(item.line !== undefined ? { line: item.line } : {}), errors },
  });
  if (item.issues?.length) return reject(item.issues);
  const value = item.value;
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    return reject([{ field: '(item)', rule: 'invalid_type', message: 'must be an object' }]);
  }
  const input = { ...defaults, ...value };
  const parsed = batchItemSchema.safeParse(input);
  if (!parsed.success) return reject(fieldIssues(parsed.error, [], input));
  const blocked = urlIssues({ video_url: parsed.data.video_url });
  if (blocked.length) return reject(blocked);
  return { ok: true, index: item.index, body: parsed.data };
}
