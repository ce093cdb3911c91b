import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { copyFile, mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { RunFailureError } from './errors';
import type { KlingInput } from './fal-contract';

/** Where a rendered pair of outputs lives on disk. */
export interface Rendered {
  videoPath: string;
  audioPath: string;
}

export type RenderFn = (
  input: KlingInput,
  videoPath: string,
  outDir: string,
  signal: AbortSignal,
) => Promise<Rendered>;

/**
 * `FAL_EMULATOR_MEDIA=reuse`: probes and renders once per distinct (SHA-256 of the video's bytes,
 * prompts, asmr_mode) and hands the same files to every later request with that key, so the emulator
 * costs a few milliseconds of CPU per request instead of ffmpeg's hundreds. A refusal (bad duration,
 * not a video) is remembered too; any other error is not, so the next request tries again.
 */
export interface RenderCache {
  get(input: KlingInput, downloadedPath: string, signal: AbortSignal): Promise<Rendered>;
  /** Distinct renders made so far. */
  size(): number;
  close(): Promise<void>;
}

export function createRenderCache(opts: { dir: string; render: RenderFn }): RenderCache {
  const renders = new Map<string, Promise<Rendered>>();
  // Renders outlive the request that started them (others wait on them): only close() stops one.
  const stop = new AbortController();
  let made = 0;

  return {
    async get(input, downloadedPath, signal) {
      const key = await renderKey(input, downloadedPath);
      let render = renders.get(key);
      if (!render) {
        const outDir = join(opts.dir, key);
        made += 1;
        // The render reads its own copy: the request's download is removed when that request ends.
        const source = join(outDir, 'input');
        render = mkdir(outDir, { recursive: true })
          .then(() => copyFile(downloadedPath, source))
          .then(() => opts.render(input, source, outDir, stop.signal));
        renders.set(key, render);
        render.catch((error: unknown) => {
          if (!(error instanceof RunFailureError)) renders.delete(key);
        });
      }
      return abortable(render, signal);
    },
    size: () => made,
    async close() {
      stop.abort();
      await Promise.allSettled(renders.values());
      await rm(opts.dir, { recursive: true, force: true });
    },
  };
}

/** The cache key: the video's bytes and every field that changes the sound. */
export async function renderKey(input: KlingInput, videoPath: string): Promise<string> {
  const video = createHash('sha256');
  for await (const chunk of createReadStream(videoPath)) video.update(chunk as Buffer);
  return createHash('sha256')
    .update(video.digest('hex'))
    .update('\0')
    .update(JSON.stringify([input.sound_effect_prompt, input.background_music_prompt, input.asmr_mode]))
    .digest('hex')
    .slice(0, 32);
}

function abortable<T>(promise: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) return Promise.reject(signal.reason);
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(
      (v) => {
        signal.removeEventListener('abort', onAbort);
        resolve(v);
      },
      (e: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(e);
      },
    );
  });
}
