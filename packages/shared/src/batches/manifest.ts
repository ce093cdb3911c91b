import type { JobView } from '../jobs/view';
import type { ManifestLine } from './contract';
import { manifestLineSchema } from './contract';

/** The manifest line of a job that just ended (from the view the worker or the API reports). */
export function manifestLine(view: JobView): ManifestLine | undefined {
  if (view.status !== 'completed' && view.status !== 'failed' && view.status !== 'canceled') return undefined;
  const line: ManifestLine = { index: view.batch_index ?? -1, job_id: view.id, status: view.status };
  if (view.output) {
    line.video = { bucket: view.output.video.bucket, key: view.output.video.key };
    line.audio = { bucket: view.output.audio.bucket, key: view.output.audio.key };
  }
  if (view.error) line.error = { code: view.error.code, message: view.error.message };
  return line;
}

/** Stored lines (JSON strings, any order) → JSONL text in item order, one line per item. */
export function manifestText(stored: Iterable<string>): string {
  const lines: ManifestLine[] = [];
  for (const raw of stored) {
    const parsed = manifestLineSchema.safeParse(JSON.parse(raw));
    if (parsed.success) lines.push(parsed.data);
  }
  lines.sort((a, b) => a.index - b.index || (a.job_id < b.job_id ? -1 : 1));
  return lines.map((l) => `${JSON.stringify(l)}\n`).join('');
}
