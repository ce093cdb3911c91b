import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdir, rename, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

/** Test helpers that make and inspect small media files with ffmpeg/ffprobe (tests only). */

const run = promisify(execFile);
const FFMPEG = 'ffmpeg';
const FFPROBE = 'ffprobe';
const DEFAULT_DIR = join(tmpdir(), 'foley-test-media');

export interface MakeVideoOptions {
  seconds: number;
  format?: 'mp4' | 'mov';
  audio?: boolean;
  width?: number;
  height?: number;
  /** Where to cache the file; a shared temp dir by default. */
  dir?: string;
}

const pending = new Map<string, Promise<string>>();

/**
 * A testsrc H.264 video (plus a sine AAC track with `audio`), cached per options: the same options
 * give the same path, across tests and processes.
 */
export function makeVideo(opts: MakeVideoOptions): Promise<string> {
  const format = opts.format ?? 'mp4';
  const width = opts.width ?? 320;
  const height = opts.height ?? 180;
  const dir = opts.dir ?? DEFAULT_DIR;
  const name = `testsrc-${opts.seconds}s-${width}x${height}-${opts.audio ? 'audio' : 'mute'}.${format}`;
  const path = join(dir, name);
  let promise = pending.get(path);
  if (!promise) {
    promise = generate(path, { ...opts, format, width, height, dir });
    pending.set(path, promise);
    promise.catch(() => pending.delete(path));
  }
  return promise;
}

async function generate(path: string, o: Required<Omit<MakeVideoOptions, 'audio'>> & { audio?: boolean }) {
  if (await exists(path)) return path;
  await mkdir(o.dir, { recursive: true });
  // Written under a temporary name then renamed, so a concurrent process never reads half a file.
  const temp = `${path}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
  const args = ['-hide_banner', '-loglevel', 'error', '-nostdin', '-y'];
  args.push('-f', 'lavfi', '-i', `testsrc=size=${o.width}x${o.height}:rate=25:duration=${o.seconds}`);
  if (o.audio) args.push('-f', 'lavfi', '-i', `sine=frequency=440:sample_rate=44100:duration=${o.seconds}`);
  args.push('-c:v', 'libx264', '-preset', 'ultrafast', '-pix_fmt', 'yuv420p');
  if (o.audio) args.push('-c:a', 'aac', '-b:a', '64k');
  args.push('-movflags', '+faststart', '-f', o.format, temp);
  try {
    await run(FFMPEG, args, { timeout: 60_000 });
    await rename(temp, path);
  } catch (error) {
    await rm(temp, { force: true });
    throw error;
  }
  return path;
}

async function exists(path: string): Promise<boolean> {
  try {
    return (await stat(path)).size > 0;
  } catch {
    return false;
  }
}

export interface MediaStream {
  type: 'video' | 'audio' | string;
  codec: string;
  durationSeconds?: number;
  width?: number;
  height?: number;
}

export interface MediaInfo {
  durationSeconds: number;
  formatName: string;
  sizeBytes?: number;
  streams: MediaStream[];
}

interface FfprobeJson {
  format?: { duration?: string; format_name?: string; size?: string };
  streams?: Array<{
    codec_type?: string;
    codec_name?: string;
    duration?: string;
    width?: number;
    height?: number;
  }>;
}

/** ffprobe of a local path or an http(s) URL. */
export async function probeMedia(pathOrUrl: string): Promise<MediaInfo> {
  const { stdout } = await run(
    FFPROBE,
    ['-v', 'error', '-print_format', 'json', '-show_format', '-show_streams', pathOrUrl],
    { timeout: 30_000, maxBuffer: 4 * 1024 * 1024 },
  );
  const json = JSON.parse(stdout) as FfprobeJson;
  const info: MediaInfo = {
    durationSeconds: Number(json.format?.duration ?? Number.NaN),
    formatName: json.format?.format_name ?? '',
    streams: (json.streams ?? []).map((s) => {
      const stream: MediaStream = { type: s.codec_type ?? 'unknown', codec: s.codec_name ?? 'unknown' };
      if (s.duration !== undefined) stream.durationSeconds = Number(s.duration);
      if (s.width !== undefined) stream.width = s.width;
      if (s.height !== undefined) stream.height = s.height;
      return stream;
    }),
  };
  if (json.format?.size !== undefined) info.sizeBytes = Number(json.format.size);
  return info;
}
