import { createWriteStream } from 'node:fs';
import { mkdir, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { ReadableStream as WebReadableStream } from 'node:stream/web';

interface CompletedJob {
  id: string;
  batch_index?: number;
  output: { video: { url: string }; audio: { url: string } };
}

/** `DIR/<index>-<job id>.mp4` and `.mp3` for every completed job, streamed, a few at a time. */
export async function downloadOutputs(
  jobs: CompletedJob[],
  dir: string,
  opts: { concurrency?: number; fetch?: typeof fetch } = {},
): Promise<string[]> {
  await mkdir(dir, { recursive: true });
  const doFetch = opts.fetch ?? fetch;
  const tasks = jobs.flatMap((job) => {
    const base = join(dir, `${job.batch_index ?? 0}-${job.id}`);
    return [
      { url: job.output.video.url, path: `${base}.mp4` },
      { url: job.output.audio.url, path: `${base}.mp3` },
    ];
  });
  const written: string[] = [];
  const concurrency = opts.concurrency ?? 4;
  for (let i = 0; i < tasks.length; i += concurrency) {
    await Promise.all(
      tasks.slice(i, i + concurrency).map(async (task) => {
        await downloadOne(doFetch, task.url, task.path);
        written.push(task.path);
      }),
    );
  }
  return written.sort();
}

async function downloadOne(doFetch: typeof fetch, url: string, path: string): Promise<void> {
  const res = await doFetch(url, { signal: AbortSignal.timeout(10 * 60_000) });
  if (!res.ok || !res.body) throw new Error(`download of ${path} failed: HTTP ${res.status}`);
  const temp = `${path}.part`;
  try {
    await pipeline(Readable.fromWeb(res.body as WebReadableStream<Uint8Array>), createWriteStream(temp));
    await rename(temp, path);
  } catch (error) {
    await rm(temp, { force: true });
    throw error;
  }
}
