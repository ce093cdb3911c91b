import type { Batch, FoleyClient, Job } from '@foley/client';
import { UsageError } from '../exit-codes';
import { type Io, println } from '../io';
import { progressLine } from '../progress';

type Kind = 'job' | 'batch';

export function idKind(id: string): Kind {
  if (/^job_[0-9a-z]{26}$/.test(id)) return 'job';
  if (/^bat_[0-9a-z]{26}$/.test(id)) return 'batch';
  throw new UsageError(`${id}: not a job (job_…) or batch (bat_…) id`);
}

/** `foley status <id>`: a job's or a batch's state. Exit 0 (the lookup worked, whatever the state). */
export async function status(
  client: FoleyClient,
  id: string,
  opts: { json?: boolean },
  io: Io,
): Promise<number> {
  const view = idKind(id) === 'job' ? await client.jobs.get(id) : await client.batches.get(id);
  println(io.stdout, opts.json ? JSON.stringify(view) : describe(view));
  return 0;
}

/** `foley cancel <id>`: cancels a job or every unfinished job of a batch. */
export async function cancel(
  client: FoleyClient,
  id: string,
  opts: { json?: boolean },
  io: Io,
): Promise<number> {
  const view = idKind(id) === 'job' ? await client.jobs.cancel(id) : await client.batches.cancel(id);
  println(io.stdout, opts.json ? JSON.stringify(view) : describe(view));
  return 0;
}

export function describe(view: Job | Batch): string {
  if (view.object === 'batch') {
    const lines = [`batch ${view.id} ${view.status}`, progressLine(view, undefined)];
    const manifest = view.manifest;
    if (manifest?.key) lines.push(`manifest s3://${manifest.bucket}/${manifest.key}`);
    return lines.join('\n');
  }
  const error = view.error;
  const phase = view.phase ? ` (${view.phase})` : '';
  const lines = [`job ${view.id} ${view.status}${phase}`];
  if (error) lines.push(`error ${error.code}: ${error.message}`);
  const output = view.output;
  if (output?.video?.url) lines.push(`video ${output.video.url}`, `audio ${output.audio?.url}`);
  return lines.join('\n');
}
