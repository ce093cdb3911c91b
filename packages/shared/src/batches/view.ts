import type { BatchStatus, BatchView } from './contract';
import type { BatchRecord } from './record';

/**
 * Pure mapping from the stored record to the public view. Counters are O(1): what has not ended is
 * `total − ended`; `processing` is the part of it known to be running (measured by the caller).
 */
export function toBatchView(
  record: BatchRecord,
  extra: { processing?: number; manifest?: { bucket: string; key: string; url: string } } = {},
): BatchView {
  const { completed, failed, canceled } = record.ended;
  const ended = completed + failed + canceled;
  const open = Math.max(0, record.total - ended);
  const processing = Math.min(open, Math.max(0, extra.processing ?? 0));
  const finished = ended >= record.total;
  const status: BatchStatus = !finished ? 'processing' : record.canceled_at ? 'canceled' : 'completed';
  const view: BatchView = {
    id: record.id,
    object: 'batch',
    status,
    total: record.total,
    counts: { queued: open - processing, processing, completed, failed, canceled },
    percent: record.total === 0 ? 100 : Math.floor((Math.min(ended, record.total) * 100) / record.total),
    created_at: record.created_at,
  };
  if (finished && record.finished_at) view.finished_at = record.finished_at;
  if (!finished && record.canceled_at) view.cancel_requested = true;
  if (record.webhook_url) view.webhook_url = record.webhook_url;
  if (record.metadata) view.metadata = record.metadata;
  if (record.defaults) view.defaults = record.defaults;
  if (extra.manifest) view.manifest = extra.manifest;
  return view;
}
