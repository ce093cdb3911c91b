import { readFile } from 'node:fs/promises';
import { extname } from 'node:path';
import type { BatchItem, CreateBatchQuery } from './api-types.generated.js';
import type { BatchSettings } from './types.js';

/** What `batches.create` accepts: items, a `.jsonl`/`.csv` file, or such a body as a stream. */
export type BatchSource =
  | BatchItem[]
  | { path: string }
  | { stream: AsyncIterable<Uint8Array | string>; format: BatchFormat };

export type BatchFormat = 'jsonl' | 'csv';

const CONTENT_TYPES: Record<BatchFormat, string> = { jsonl: 'application/x-ndjson', csv: 'text/csv' };
const EXTENSIONS: Record<string, BatchFormat> = { '.jsonl': 'jsonl', '.ndjson': 'jsonl', '.csv': 'csv' };

/** A body ready to send, whatever the source; a stream is read whole, so a retried request can resend it. */
export type BatchBody =
  | { kind: 'json'; json: { items: BatchItem[] } & BatchSettings }
  | { kind: 'text'; body: Uint8Array; contentType: string; query: CreateBatchQuery };

export function batchFormatOf(path: string): BatchFormat | undefined {
  return EXTENSIONS[extname(path).toLowerCase()];
}

export async function prepareBatchBody(source: BatchSource, settings: BatchSettings): Promise<BatchBody> {
  if (Array.isArray(source)) return { kind: 'json', json: { items: source, ...settings } };
  let format: BatchFormat;
  let body: Uint8Array;
  if ('path' in source) {
    const found = batchFormatOf(source.path);
    if (!found) throw new TypeError(`${source.path}: a batch file must end in .jsonl, .ndjson or .csv`);
    format = found;
    body = await readFile(source.path);
  } else {
    format = source.format;
    body = await readAll(source.stream);
  }
  return { kind: 'text', body, contentType: CONTENT_TYPES[format], query: settingsQuery(settings) };
}

/** JSONL and CSV bodies hold only items: the batch's settings travel in the query. */
export function settingsQuery(settings: BatchSettings): CreateBatchQuery {
  const query: CreateBatchQuery = {};
  if (settings.webhook_url !== undefined) query.webhook_url = settings.webhook_url;
  if (settings.metadata !== undefined) query.metadata = JSON.stringify(settings.metadata);
  const d = settings.defaults ?? {};
  if (d.sound_effect_prompt !== undefined) query.sound_effect_prompt = d.sound_effect_prompt;
  if (d.background_music_prompt !== undefined) query.background_music_prompt = d.background_music_prompt;
  if (d.asmr_mode !== undefined) query.asmr_mode = d.asmr_mode ? 'true' : 'false';
  return query;
}

async function readAll(stream: AsyncIterable<Uint8Array | string>): Promise<Uint8Array> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream)
    chunks.push(typeof chunk === 'string' ? Buffer.from(chunk) : Buffer.from(chunk));
  return Buffer.concat(chunks);
}
