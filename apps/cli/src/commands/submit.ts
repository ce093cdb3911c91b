import {
  type BatchSource,
  type CreateBatchOptions,
  type CreatedBatch,
  type FoleyClient,
  isJobEnded,
  type Job,
  type RejectedItem,
} from '@foley/client';
import { downloadOutputs } from '../download';
import { UsageError } from '../exit-codes';
import { failureRows, formatTable } from '../failures';
import { classifyInputs, type VideoInput } from '../inputs';
import { type Io, println } from '../io';
import { createProgress, ended } from '../progress';
import { waitForBatch } from '../wait';

export interface SubmitOptions {
  prompt?: string;
  music?: string;
  asmr?: boolean;
  wait?: boolean;
  out?: string;
  json?: boolean;
  atomic?: boolean;
  /** Validate and price only: nothing is uploaded or enqueued. */
  dryRun?: boolean;
  pollMs: number;
  timeoutMs: number;
}

/** `foley submit`: uploads local videos, submits one batch, optionally waits, downloads, reports. */
export async function submit(
  client: FoleyClient,
  args: string[],
  opts: SubmitOptions,
  io: Io,
): Promise<number> {
  if (opts.out && !opts.wait) throw new UsageError('--out needs --wait');
  const inputs = await classifyInputs(args);
  const info = (text: string) => (opts.json ? undefined : println(io.stderr, text));
  const defaults = {
    ...(opts.prompt !== undefined ? { sound_effect_prompt: opts.prompt } : {}),
    ...(opts.music !== undefined ? { background_music_prompt: opts.music } : {}),
    ...(opts.asmr ? { asmr_mode: true } : {}),
  };
  const settings = {
    ...(opts.atomic ? { atomic: true } : {}),
    ...(Object.keys(defaults).length ? { defaults } : {}),
  };
  const inputByIndex = new Map<number, string>();
  if (opts.dryRun) return dryRun(client, inputs, settings, opts, io);

  let created: CreatedBatch;
  if (inputs.kind === 'batch-file') {
    created = await client.batches.create({ path: inputs.path }, settings);
  } else {
    const urls = await uploadLocalVideos(client, inputs.videos, info);
    inputs.videos.forEach((v, i) => {
      inputByIndex.set(i, v.input);
    });
    created = await client.batches.create(
      urls.map((video_url) => ({ video_url })),
      settings,
    );
  }
  const id = created.id;
  const rejected = created.rejected ?? [];
  info(`batch ${id}: ${created.total} item(s) accepted, ${rejected.length} rejected`);
  if (rejected.length && !opts.json) println(io.stderr, rejectedTable(rejected, inputByIndex));

  if (!opts.wait) {
    if (opts.json) println(io.stdout, JSON.stringify(created));
    else println(io.stdout, id);
    return rejected.length ? 1 : 0;
  }

  const progress = createProgress({ stream: opts.json ? io.stderr : io.stdout });
  const final = await waitForBatch(client, id, {
    pollMs: opts.pollMs,
    timeoutMs: opts.timeoutMs,
    onUpdate: progress.update,
  });
  progress.stop();
  const jobs = await settledJobs(client, id, final.status !== 'processing');
  const failures = failureRows(jobs, inputByIndex);
  const completed = jobs.filter((j) => j.status === 'completed' && j.output) as Parameters<
    typeof downloadOutputs
  >[0];
  const files = opts.out ? await downloadOutputs(completed, opts.out) : [];
  const timedOut = final.status === 'processing';

  if (opts.json) {
    println(io.stdout, JSON.stringify({ batch: final, rejected, failures, files, timed_out: timedOut }));
  } else {
    const c = final.counts;
    println(
      io.stdout,
      `batch ${id} ${final.status}: ${c.completed} completed, ${c.failed} failed, ${c.canceled} canceled` +
        (timedOut ? ` (still running: ${final.total - ended(final)}; stopped waiting)` : ''),
    );
    if (files.length) println(io.stdout, `downloaded ${files.length} file(s) to ${opts.out}`);
    if (failures.length) {
      const rows = failures.map((f) => [String(f.index), f.input, f.code, f.message]);
      println(io.stdout, formatTable(['INDEX', 'INPUT', 'CODE', 'MESSAGE'], rows));
    }
  }
  return failures.length || rejected.length || timedOut ? 1 : 0;
}

/** `foley submit --dry-run`: what the API would accept and what it would cost. */
async function dryRun(
  client: FoleyClient,
  inputs: Awaited<ReturnType<typeof classifyInputs>>,
  settings: Omit<CreateBatchOptions, 'dryRun'>,
  opts: SubmitOptions,
  io: Io,
): Promise<number> {
  if (opts.wait) throw new UsageError('--dry-run cannot --wait: nothing is submitted');
  let source: BatchSource;
  if (inputs.kind === 'batch-file') source = { path: inputs.path };
  else {
    const local = inputs.videos.find((v) => v.kind === 'local');
    if (local)
      throw new UsageError(`--dry-run takes URLs or a batch file: ${local.input} would have to be uploaded`);
    source = inputs.videos.flatMap((v) => (v.kind === 'url' ? [{ video_url: v.url }] : []));
  }
  const answer = await client.batches.create(source, { ...settings, dryRun: true });
  if (opts.json) {
    println(io.stdout, JSON.stringify(answer));
  } else {
    const cost = answer.estimated_cost;
    println(
      io.stdout,
      `dry run: ${answer.accepted} item(s) would be accepted, ${answer.rejected} rejected; ` +
        `estimated cost ${cost.amount} ${cost.currency} (${cost.videos} × ${cost.unit_price})`,
    );
    if (answer.errors.length) println(io.stderr, rejectedTable(answer.errors, new Map()));
  }
  return answer.rejected ? 1 : 0;
}

/**
 * A batch counts a job as ended a moment before its queue records it, so right after the batch ends a
 * job may still read `processing`: re-read (briefly, bounded) until every job shows its final state.
 */
async function settledJobs(client: FoleyClient, id: string, batchEnded: boolean): Promise<Job[]> {
  let jobs = await batchJobs(client, id);
  for (let round = 0; batchEnded && round < 50 && jobs.some((j) => !isJobEnded(j)); round++) {
    await new Promise((r) => setTimeout(r, 200));
    jobs = await batchJobs(client, id);
  }
  return jobs;
}

async function batchJobs(client: FoleyClient, id: string): Promise<Job[]> {
  const jobs: Job[] = [];
  for await (const job of client.batches.jobs(id)) jobs.push(job);
  return jobs;
}

async function uploadLocalVideos(client: FoleyClient, videos: VideoInput[], info: (t: string) => void) {
  const urls: string[] = [];
  for (const v of videos) {
    if (v.kind === 'url') {
      urls.push(v.url);
      continue;
    }
    info(`uploading ${v.path} (${(v.size / 1e6).toFixed(1)} MB)`);
    const upload = await client.uploads.put(v.path);
    urls.push(upload.video_url);
  }
  return urls;
}

function rejectedTable(rejected: RejectedItem[], inputs: ReadonlyMap<number, string>): string {
  const rows = rejected.map((r) => {
    const e = r.errors[0];
    const where = r.line !== undefined ? `line ${r.line}` : (inputs.get(r.index) ?? '');
    return [String(r.index), where, e ? `${e.field}: ${e.rule}` : '', e?.message ?? ''];
  });
  return formatTable(['INDEX', 'INPUT', 'FIELD', 'MESSAGE'], rows);
}
