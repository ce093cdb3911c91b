import { mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { audioRecipe } from './audio-recipe';
import { downloadVideo } from './download';
import { fieldError, infraFailure, RunFailureError, validationFailure } from './errors';
import { ERROR_TYPE_BY_STATUS, INPUT_LIMITS, type KlingInput, REQUEUE_MIN_MS } from './fal-contract';
import type { Fault, FaultStore } from './faults';
import type { FileStore } from './file-store';
import { validateModelInput } from './input-validation';
import { muxVideo, probeVideo, renderAudio, type VideoProbe } from './media';
import type { RenderCache, Rendered } from './render-cache';
import type { Outcome, RunFn } from './request-queue';

const LOC = ['body', 'video_url'];

export type MediaMode = 'render' | 'reuse';

/**
 * The emulated `fal-ai/kling-video/video-to-audio`: fal's input rules, then a real MP3 whose sound
 * depends on the prompts and the input video re-muxed with it. A successful run takes `delayMs` in total
 * (counted from its last start). With a render cache (`reuse`), every request still downloads its input
 * but identical inputs share one render; each request still gets its own output URLs.
 */
export function createModelRunner(deps: {
  workDir: string;
  files: FileStore;
  faults: FaultStore;
  delayMs: number;
  resolveLocal: (url: string) => Promise<string | undefined>;
  cache?: RenderCache | undefined;
}): RunFn {
  return async (req, signal, log, control) => {
    const fault = deps.faults.take('run');
    log('Starting video-to-audio generation');
    for (let i = 0; i < (fault?.requeue ?? 0); i++) {
      await sleep(REQUEUE_MIN_MS, undefined, { signal });
      log('Runner lost; the request goes back to the queue');
      await control.requeue(REQUEUE_MIN_MS);
    }
    const started = Date.now();
    const totalDelay = deps.delayMs + (fault?.delay_ms ?? 0);
    const waitRest = () => sleep(Math.max(0, totalDelay - (Date.now() - started)), undefined, { signal });

    if (fault && (fault.error !== undefined || fault.status !== undefined)) {
      await waitRest();
      return { ok: false, failure: faultFailure(fault) };
    }
    const check = validateModelInput(req.input);
    if (!check.ok) return { ok: false, failure: validationFailure(check.errors) };

    const dir = join(deps.workDir, req.id);
    await mkdir(dir, { recursive: true });
    try {
      const inputPath = join(dir, 'input');
      log('Downloading input video');
      await downloadVideo({
        url: check.value.video_url,
        dest: inputPath,
        maxBytes: INPUT_LIMITS.videoMaxBytes,
        signal,
        resolveLocal: deps.resolveLocal,
      });
      const output = deps.cache
        ? await deps.cache.get(check.value, inputPath, signal)
        : await renderOutputs(check.value, inputPath, dir, signal, log);
      await waitRest();
      const keep = deps.cache ? deps.files.link : deps.files.adopt;
      const [video, audio] = await Promise.all([
        keep(output.videoPath, { name: 'output.mp4', contentType: 'video/mp4' }),
        keep(output.audioPath, { name: 'output.mp3', contentType: 'audio/mpeg' }),
      ]);
      req.onForget = () => {
        deps.files.forget(video.id);
        deps.files.forget(audio.id);
      };
      log('Generation complete');
      const file = (f: typeof video) => ({
        url: deps.files.url(f),
        content_type: f.contentType,
        file_name: f.name,
        file_size: f.size,
      });
      return { ok: true, output: { video: file(video), audio: file(audio) } } satisfies Outcome;
    } catch (error) {
      if (error instanceof RunFailureError && !signal.aborted) return { ok: false, failure: error };
      throw error;
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  };
}

/** Probe, fal's video rules, then ffmpeg: the MP3 and the re-muxed MP4, written into `dir`. */
export async function renderOutputs(
  input: KlingInput,
  videoPath: string,
  dir: string,
  signal: AbortSignal,
  log: (m: string) => void = () => {},
): Promise<Rendered> {
  log('Analyzing input video');
  const probe = checkVideo(await probeVideo(videoPath, signal));
  const seconds = probe.durationSeconds;
  log(`Generating ${seconds.toFixed(2)} s of audio`);
  const audioPath = join(dir, 'audio.mp3');
  await renderAudio(audioRecipe(input), seconds, audioPath, signal);
  log('Adding audio to the video');
  const outPath = join(dir, 'video.mp4');
  await muxVideo({ videoPath, videoCodec: probe.videoCodec, audioPath, seconds, outPath, signal });
  return { videoPath: outPath, audioPath };
}

/** fal's 422s for a file that is not an MP4/MOV video of 3–20 s. */
export function checkVideo(probe: VideoProbe | undefined): VideoProbe {
  const isMovFamily = probe?.formatName.split(',').some((f) => f === 'mp4' || f === 'mov') ?? false;
  if (!probe || !isMovFamily || !probe.videoCodec || !Number.isFinite(probe.durationSeconds)) {
    throw validationFailure([
      fieldError(LOC, 'invalid_video', 'The file is not a valid video. Supported formats: mp4, mov.'),
    ]);
  }
  const { videoMinSeconds: min, videoMaxSeconds: max } = INPUT_LIMITS;
  const duration = Math.round(probe.durationSeconds * 1000) / 1000;
  if (duration < min) {
    throw validationFailure([
      fieldError(
        LOC,
        'video_duration_too_short',
        `Video duration is below the minimum allowed. Minimum is ${min.toFixed(1)} seconds.`,
        {
          ctx: { min_duration: min },
          input: duration,
        },
      ),
    ]);
  }
  if (duration > max) {
    throw validationFailure([
      fieldError(
        LOC,
        'video_duration_too_long',
        `Video duration exceeds the maximum allowed. Maximum is ${max.toFixed(1)} seconds.`,
        {
          ctx: { max_duration: max },
          input: duration,
        },
      ),
    ]);
  }
  return probe;
}

/** An injected `run` fault: a model error (422) or, with `status`, an infrastructure error. */
export function faultFailure(fault: Pick<Fault, 'status' | 'error'>): RunFailureError {
  const message = fault.error ?? 'Internal error';
  if (fault.status !== undefined) {
    return infraFailure(fault.status, ERROR_TYPE_BY_STATUS[fault.status] ?? 'internal_error', message);
  }
  return validationFailure([fieldError(['body'], 'model_error', message)]);
}
