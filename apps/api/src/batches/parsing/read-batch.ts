import { ApiError } from '@foley/shared/errors';
import { limitedBody, tooManyItems, utf8Checked } from './body-limits';
import { parseCsv } from './csv';
import { parseJsonl } from './jsonl';
import type { RawItem } from './raw-item';

export type BatchFormat = 'json' | 'jsonl' | 'csv';

const FORMATS: Record<string, BatchFormat> = {
  'application/json': 'json',
  'application/x-ndjson': 'jsonl',
  'application/jsonl': 'jsonl',
  'application/x-jsonlines': 'jsonl',
  'text/csv': 'csv',
};

/** Content-Type (parameters ignored) → format; anything else is a 415 naming what is accepted. */
export function batchFormat(contentType: string | undefined): BatchFormat {
  const mediaType = (contentType ?? '').split(';')[0]?.trim().toLowerCase() ?? '';
  const format = FORMATS[mediaType];
  if (!format) {
    throw new ApiError(
      'unsupported_media_type',
      `Content-Type must be application/json, application/x-ndjson or text/csv (got ${contentType ?? 'none'})`,
    );
  }
  return format;
}

/**
 * JSONL and CSV are parsed from the bytes as they arrive, as UTF-8: a body declared in another charset,
 * or compressed, is a 415 rather than text read wrong.
 */
export function assertPlainUtf8(contentType: string | undefined, contentEncoding: string | undefined): void {
  const charset = /;\s*charset\s*=\s*"?([^";\s]*)/i.exec(contentType ?? '')?.[1]?.toLowerCase();
  if (charset !== undefined && !['utf-8', 'utf8', 'us-ascii'].includes(charset)) {
    throw new ApiError('unsupported_encoding', `JSONL and CSV bodies must be UTF-8 (got charset ${charset})`);
  }
  const encoding = contentEncoding?.trim().toLowerCase();
  if (encoding && encoding !== 'identity') {
    throw new ApiError(
      'unsupported_encoding',
      `JSONL and CSV bodies must not be compressed (got Content-Encoding ${encoding})`,
    );
  }
}

/** Collects items, refusing the item past `maxItems` (which stops reading the body). */
export function itemCollector(maxItems: number) {
  const items: RawItem[] = [];
  return {
    items,
    sink: (item: RawItem) => {
      if (items.length >= maxItems) throw tooManyItems(maxItems);
      items.push(item);
    },
  };
}

/**
 * Reads a JSONL or CSV body as a stream, line by line: 413 past `limit` bytes, 422 past `maxItems`
 * items — both stop reading at once. Returns the items and the SHA-256 of the raw bytes.
 */
export async function readStreamedBatch(
  format: 'jsonl' | 'csv',
  source: AsyncIterable<Buffer | string>,
  opts: { limit: number; maxItems: number },
): Promise<{ items: RawItem[]; digest: string }> {
  const body = limitedBody(source, opts.limit);
  const { items, sink } = itemCollector(opts.maxItems);
  const chunks = utf8Checked(body.chunks);
  if (format === 'jsonl') await parseJsonl(chunks, sink);
  else await parseCsv(chunks, sink);
  if (items.length === 0) {
    throw new ApiError('validation_error', 'the batch holds no items', [
      { field: 'items', rule: 'too_small', message: 'must hold at least one item' },
    ]);
  }
  return { items, digest: body.digest() };
}
