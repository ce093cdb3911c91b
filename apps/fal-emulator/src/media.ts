import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { type AudioRecipe, audioArgs } from './audio-recipe';

const exec = promisify(execFile);

/** Thin wrappers over ffprobe/ffmpeg: argument arrays only, killed on abort, bounded in time. */

export interface VideoProbe {
  formatName: string;
  durationSeconds: number;
  videoCodec: string | undefined;
}

interface FfprobeJson {
  format?: { format_name?: string; duration?: string };
  streams?: Array<{ codec_type?: string; codec_name?: string; duration?: string }>;
}

/** Undefined when ffprobe cannot read the file as media at all. */
export async function probeVideo(path: string, signal: AbortSignal): Promise<VideoProbe | undefined> {
  let stdout: string;
  try {
    ({ stdout } = await exec(
      'ffprobe',
      ['-v', 'error', '-print_format', 'json', '-show_format', '-show_streams', path],
      {
        signal,
        timeout: 30_000,
        maxBuffer: 4 * 1024 * 1024,
      },
    ));
  } catch (error) {
    if (signal.aborted) throw error;
    return undefined;
  }
  const json = JSON.parse(stdout) as FfprobeJson;
  const video = json.streams?.find((s) => s.codec_type === 'video');
  const duration = Number(json.format?.duration ?? video?.duration ?? Number.NaN);
  return {
    formatName: json.format?.format_name ?? '',
    durationSeconds: duration,
    videoCodec: video?.codec_name,
  };
}

async function ffmpeg(args: string[], signal: AbortSignal): Promise<void> {
  await exec('ffmpeg', args, { signal, timeout: 120_000, killSignal: 'SIGKILL', maxBuffer: 4 * 1024 * 1024 });
}

export function renderAudio(recipe: AudioRecipe, seconds: number, outPath: string, signal: AbortSignal) {
  return ffmpeg(audioArgs(recipe, seconds, outPath), signal);
}

/** Codecs an MP4 can carry as they are; anything else is re-encoded to H.264. */
const MP4_VIDEO_CODECS = new Set(['h264', 'hevc', 'mpeg4', 'av1', 'vp9']);

/** The input's video stream with `audioPath` as its only sound, as an MP4 of the video's duration. */
export function muxVideo(opts: {
  videoPath: string;
  videoCodec: string | undefined;
  audioPath: string;
  seconds: number;
  outPath: string;
  signal: AbortSignal;
}) {
  const copy = opts.videoCodec !== undefined && MP4_VIDEO_CODECS.has(opts.videoCodec);
  const video = copy ? ['-c:v', 'copy'] : ['-c:v', 'libx264', '-preset', 'ultrafast', '-pix_fmt', 'yuv420p'];
  return ffmpeg(
    [
      ...['-hide_banner', '-loglevel', 'error', '-nostdin', '-y'],
      ...['-i', opts.videoPath, '-i', opts.audioPath],
      ...['-map', '0:v:0', '-map', '1:a:0', ...video, '-c:a', 'aac', '-b:a', '128k'],
      ...['-t', opts.seconds.toFixed(3), '-movflags', '+faststart', '-f', 'mp4', opts.outPath],
    ],
    opts.signal,
  );
}

/** A 5 s, 640x360 H.264 testsrc video without audio. */
export function renderSample(format: 'mp4' | 'mov', outPath: string, signal: AbortSignal) {
  return ffmpeg(
    [
      ...['-hide_banner', '-loglevel', 'error', '-nostdin', '-y'],
      ...['-f', 'lavfi', '-i', 'testsrc=size=640x360:rate=25:duration=5'],
      ...['-c:v', 'libx264', '-preset', 'veryfast', '-pix_fmt', 'yuv420p', '-movflags', '+faststart'],
      ...['-f', format, outPath],
    ],
    signal,
  );
}
