import type { BatchDefaults, BatchEndStatus } from './contract';

/** A batch as stored in its Redis hash (keys.batch), decoded. */
export interface BatchRecord {
  id: string;
  tenant: string;
  /** Jobs in the batch (the accepted items). */
  total: number;
  created_at: string;
  webhook_url?: string;
  metadata?: Record<string, unknown>;
  defaults?: BatchDefaults;
  ended: Record<BatchEndStatus, number>;
  finished_at?: string;
  canceled_at?: string;
  manifest_key?: string;
  emitted_at?: string;
}

export type NewBatch = Pick<BatchRecord, 'id' | 'tenant' | 'total' | 'created_at'> &
  Partial<Pick<BatchRecord, 'webhook_url' | 'metadata' | 'defaults'>>;

/** The hash fields `decodeBatch` reads (HMGET order). The large `rejected` field is left out. */
export const BATCH_FIELDS = [
  'id',
  'tenant',
  'total',
  'created_at',
  'webhook_url',
  'metadata',
  'defaults',
  'completed',
  'failed',
  'canceled',
  'finished_at',
  'canceled_at',
  'manifest_key',
  'emitted_at',
] as const;

export function encodeBatch(b: NewBatch): Record<string, string> {
  const fields: Record<string, string> = {
    id: b.id,
    tenant: b.tenant,
    total: String(b.total),
    created_at: b.created_at,
    completed: '0',
    failed: '0',
    canceled: '0',
  };
  if (b.webhook_url) fields.webhook_url = b.webhook_url;
  if (b.metadata) fields.metadata = JSON.stringify(b.metadata);
  if (b.defaults && Object.keys(b.defaults).length > 0) fields.defaults = JSON.stringify(b.defaults);
  return fields;
}

/** HMGET answer (in BATCH_FIELDS order) → record; undefined when the hash does not exist. */
export function decodeBatch(values: Array<string | null>): BatchRecord | undefined {
  const get = (name: (typeof BATCH_FIELDS)[number]) => values[BATCH_FIELDS.indexOf(name)] ?? undefined;
  const id = get('id');
  const tenant = get('tenant');
  if (!id || !tenant) return undefined;
  const record: BatchRecord = {
    id,
    tenant,
    total: Number(get('total') ?? 0),
    created_at: get('created_at') ?? '',
    ended: {
      completed: Number(get('completed') ?? 0),
      failed: Number(get('failed') ?? 0),
      canceled: Number(get('canceled') ?? 0),
    },
  };
  const webhook = get('webhook_url');
  if (webhook) record.webhook_url = webhook;
  const metadata = get('metadata');
  if (metadata) record.metadata = JSON.parse(metadata) as Record<string, unknown>;
  const defaults = get('defaults');
  if (defaults) record.defaults = JSON.parse(defaults) as BatchDefaults;
  for (const name of ['finished_at', 'canceled_at', 'manifest_key', 'emitted_at'] as const) {
    const value = get(name);
    if (value) record[name] = value;
  }
  return record;
}
