import { PipelineError } from '@foley/shared/errors';
import { MODEL_LIMITS } from '@foley/shared/jobs/model';
import type { GuardedFetch } from '../clients/http-fetch';
import { boxEnd, isComplete, Mp4FormatError, readBoxHeader } from './mp4-boxes';
import { createRangeIo, type RangeIo, type RangeRead, type ResponseMeta, unsupported } from './range-io';
import { type Container, detectContainer, readMovieInfo } from './read-duration';

export interface PreflightResult {
  contentType?: string;
  sizeBytes?: number;
  durationSeconds: number;
  container: Container;
}

export type Preflight = (url: string, signal?: AbortSignal) => Promise<PreflightResult>;

export interface VideoLimits {
  videoMaxBytes: number;
  videoMinSeconds: number;
  videoMaxSeconds: number;
}

export interface PreflightOptions {
  fetch: GuardedFetch;
  limits?: VideoLimits;
  /** Most bytes of the file read per preflight, across all requests (default 4 MiB). */
  maxHeaderBytes?: number;
  /** Size of each ranged read (default 64 KiB: a faststart moov of a 20 s clip usually fits). */
  chunkBytes?: number;
  timeoutMs?: number;
}

const MIB = 1024 * 1024;
const MAX_TOP_LEVEL_BOXES = 64;

/**
 * Checks a video before any money is spent: reachable, allowed, small enough, MP4/MOV, 3–20 s.
 * HEAD first (size and type for free), then ranged GETs that walk the top-level boxes to the moov,
 * wherever it is, and read its duration. Throws PipelineError with the failure code.
 */
export function createPreflight(opts: PreflightOptions): Preflight {
  const limits = opts.limits ?? MODEL_LIMITS;
  const budget = opts.maxHeaderBytes ?? 4 * MIB;
  const chunk = Math.min(opts.chunkBytes ?? 64 * 1024, budget);
  const timeoutMs = opts.timeoutMs ?? 30_000;

  return async (url, signal) => {
    const timeout = AbortSignal.timeout(timeoutMs);
    const io = createRangeIo({
      fetch: opts.fetch,
      url,
      budget,
      signal: signal ? AbortSignal.any([signal, timeout]) : timeout,
    });
    const head = await io.head();
    if (head) checkHeaders(head, limits);
    const first = await io.read(0, chunk, (meta) => checkHeaders(meta, limits));
    const container = detectContainer(first.bytes);
    if (!container) throw unsupported('it does not start like an MP4 or MOV file');

    let durationSeconds: number;
    let hasVideoTrack: boolean;
    try {
      const moov = await locateMoov(io, first, chunk, budget);
      ({ durationSeconds, hasVideoTrack } = readMovieInfo(moov.window, moov.offset));
    } catch (error) {
      if (error instanceof Mp4FormatError) throw unsupported(error.message);
      throw error;
    }
    if (!hasVideoTrack) throw unsupported('it has no video track');
    checkDuration(durationSeconds, limits);

    const contentType = head?.contentType ?? first.meta.contentType;
    const sizeBytes = head?.totalBytes ?? first.meta.totalBytes;
    return {
      ...(contentType !== undefined ? { contentType } : {}),
      ...(sizeBytes !== undefined ? { sizeBytes } : {}),
      durationSeconds,
      container,
    };
  };
}

/**
 * Walks top-level boxes from offset 0 until the moov: in the first window for faststart files, or by
 * hopping over mdat with small ranged reads when moov sits at the end, then reads the moov itself.
 */
async function locateMoov(io: RangeIo, first: RangeRead, chunk: number, budget: number) {
  let window: RangeRead = first;
  const total = first.meta.totalBytes;
  let offset = 0;
  for (let i = 0; i < MAX_TOP_LEVEL_BOXES; i++) {
    if (total !== undefined && offset >= total) break;
    // Offsets only grow and every new window starts at the current offset, so it is never behind us.
    let box = readBoxHeader(window, offset);
    if (!box) {
      if (window.toEnd) break; // the file ends here
      if (!first.ranged) throw noRangeSupport(budget);
      window = await io.read(offset, chunk);
      box = readBoxHeader(window, offset);
      if (!box) break;
    }
    if (box.type === 'moov') {
      if (isComplete(window, box) && (box.size !== undefined || window.toEnd)) return { window, offset };
      if (!first.ranged) throw noRangeSupport(budget);
      const size = box.size ?? (total === undefined ? undefined : total - offset);
      if (size === undefined || size > budget - io.bytesRead()) {
        throw unsupported('its metadata (moov) is larger than preflight may read');
      }
      window = await io.read(offset, size);
      if (window.bytes.length < size) throw unsupported('its metadata (moov) is cut short');
      return { window, offset };
    }
    const end = boxEnd(box);
    if (end === undefined || end <= offset) break; // the last box runs to the end of the file
    offset = end;
  }
  throw unsupported('it has no movie metadata (moov)');
}

const noRangeSupport = (budget: number) =>
  unsupported(
    `its metadata (moov) is not within the first ${(budget / MIB).toFixed(0)} MiB and the server does not ` +
      'support range requests; re-encode it with `-movflags +faststart` or serve it with range support',
  );

const ACCEPTED_TYPE = /^(video\/[\w.+-]+|application\/(octet-stream|mp4)|binary\/octet-stream)$/;

function checkHeaders(meta: ResponseMeta, limits: VideoLimits): void {
  const essence = meta.contentType?.split(';')[0]?.trim().toLowerCase();
  if (essence && !ACCEPTED_TYPE.test(essence)) {
    throw new PipelineError(
      'unsupported_media',
      `the video URL serves ${essence}, not a video; the model accepts MP4 or MOV files`,
    );
  }
  if (meta.totalBytes !== undefined && meta.totalBytes > limits.videoMaxBytes) {
    throw new PipelineError(
      'video_too_large',
      `video is ${megabytes(meta.totalBytes)} MB; the model accepts at most ${megabytes(limits.videoMaxBytes)} MB`,
    );
  }
}

function checkDuration(seconds: number, limits: VideoLimits): void {
  const { videoMinSeconds: min, videoMaxSeconds: max } = limits;
  if (seconds >= min && seconds <= max) return;
  const code = seconds > max ? 'video_too_long' : 'video_too_short';
  // One decimal, unless rounding would show a limit the video in fact breaks (20.04 s is not "20.0 s").
  const shown = Number(seconds.toFixed(1)) > max || Number(seconds.toFixed(1)) < min ? 1 : 3;
  throw new PipelineError(
    code,
    `video is ${seconds.toFixed(shown)} s long; the model accepts ${min.toFixed(1)}–${max.toFixed(1)} s`,
  );
}

const megabytes = (bytes: number) => {
  const mb = bytes / 1_000_000;
  return Number.isInteger(mb) ? String(mb) : mb.toFixed(1);
};
