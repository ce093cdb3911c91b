import { PipelineError } from '@foley/shared/errors';
import { type GuardedFetch, TooManyRedirectsError, UrlBlockedError } from '../clients/http-fetch';
import type { ByteWindow } from './mp4-boxes';

/**
 * The HTTP side of preflight: HEAD and ranged GETs of one video URL through the guarded fetch, with
 * every failure mapped to a PipelineError and a hard cap on the bytes read across all requests.
 */

export interface ResponseMeta {
  status: number;
  contentType?: string;
  /** The whole file's size when the response states it (Content-Range total, or a 200's length). */
  totalBytes?: number;
}

export interface RangeRead extends ByteWindow {
  meta: ResponseMeta;
  /** False when the server ignored Range and answered 200 with the file from byte 0. */
  ranged: boolean;
  /** True when the bytes run to the end of the file. */
  toEnd: boolean;
}

export interface RangeIo {
  head(): Promise<ResponseMeta | undefined>;
  /** GET of [start, start+length); `onHeaders` may throw to stop before any body byte is read. */
  read(start: number, length: number, onHeaders?: (meta: ResponseMeta) => void): Promise<RangeRead>;
  bytesRead(): number;
}

export function createRangeIo(opts: {
  fetch: GuardedFetch;
  url: string;
  signal: AbortSignal;
  /** Most body bytes this preflight may read in total. */
  budget: number;
}): RangeIo {
  let used = 0;

  const send = async (init: { method: string; headers?: Record<string, string> }): Promise<Response> => {
    try {
      return await opts.fetch(opts.url, { ...init, signal: opts.signal });
    } catch (error) {
      throw asPipelineError(error, opts.signal);
    }
  };

  return {
    bytesRead: () => used,

    async head() {
      const response = await send({ method: 'HEAD' });
      await response.body?.cancel().catch(() => {});
      if (!response.ok) return undefined; // 403/405/501…: many servers and presigned URLs refuse HEAD
      const length = numberOf(response.headers.get('content-length'));
      return { status: response.status, ...typeOf(response), ...(length ? { totalBytes: length } : {}) };
    },

    async read(start, length, onHeaders) {
      const response = await send({
        method: 'GET',
        headers: { range: `bytes=${start}-${start + length - 1}` },
      });
      try {
        const meta = metaOf(response, start);
        onHeaders?.(meta);
        const ranged = response.status === 206;
        const limit = Math.min(ranged ? length : opts.budget, opts.budget - used);
        if (limit <= 0) throw unsupported('the video header is larger than preflight may read');
        const { bytes, ended } = await readAtMost(response, limit);
        used += bytes.length;
        const toEnd = ranged
          ? meta.totalBytes !== undefined && start + bytes.length >= meta.totalBytes
          : ended;
        return { bytes, bytesStart: ranged ? start : 0, meta, ranged, toEnd };
      } catch (error) {
        await response.body?.cancel().catch(() => {});
        throw asPipelineError(error, opts.signal);
      }
    },
  };
}

function metaOf(response: Response, start: number): ResponseMeta {
  const { status } = response;
  if (status === 416)
    throw unsupported(start === 0 ? 'the file is empty' : 'it ends before its metadata (moov)');
  if (status !== 200 && status !== 206) throw statusError(status);
  if (status === 200) {
    if (start !== 0) throw unsupported('the server stopped honouring range requests');
    const length = numberOf(response.headers.get('content-length'));
    return { status, ...typeOf(response), ...(length !== undefined ? { totalBytes: length } : {}) };
  }
  const range = /^bytes (\d+)-(\d+)\/(\d+|\*)$/i.exec(response.headers.get('content-range')?.trim() ?? '');
  if (!range || Number(range[1]) !== start) {
    throw new PipelineError(
      'video_unreachable',
      'the video server answered a range request with the wrong bytes',
    );
  }
  const total = numberOf(range[3]);
  return { status, ...typeOf(response), ...(total !== undefined ? { totalBytes: total } : {}) };
}

/** Reads at most `limit` bytes, then cancels the body: a server ignoring Range never sends us a whole file. */
async function readAtMost(response: Response, limit: number): Promise<{ bytes: Uint8Array; ended: boolean }> {
  const reader = response.body?.getReader();
  if (!reader) return { bytes: new Uint8Array(), ended: true };
  const chunks: Uint8Array[] = [];
  let received = 0;
  let ended = false;
  while (received < limit) {
    const { done, value } = await reader.read();
    if (done) {
      ended = true;
      break;
    }
    chunks.push(value);
    received += value.length;
  }
  if (!ended) await reader.cancel().catch(() => {});
  const bytes = Buffer.concat(chunks).subarray(0, limit);
  return { bytes, ended: ended && received <= limit };
}

const typeOf = (response: Response) => {
  const type = response.headers.get('content-type')?.trim();
  return type ? { contentType: type } : {};
};

const numberOf = (value: string | null | undefined) => {
  if (!value || !/^\d+$/.test(value.trim())) return undefined;
  const n = Number(value);
  return Number.isSafeInteger(n) ? n : undefined;
};

export const unsupported = (reason: string) =>
  new PipelineError('unsupported_media', `the video is not a readable MP4 or MOV file: ${reason}`);

export function statusError(status: number): PipelineError {
  const retryable = status === 408 || status === 429 || status >= 500;
  return new PipelineError('video_unreachable', `the video URL answered HTTP ${status}`, { retryable });
}

/** A failure to fetch the customer's video, as the job's error. */
export function asPipelineError(error: unknown, signal: AbortSignal): PipelineError {
  if (error instanceof PipelineError) return error;
  if (error instanceof UrlBlockedError) {
    return new PipelineError('url_blocked', `the video URL is not allowed: ${error.message}`, {
      cause: error,
    });
  }
  if (error instanceof TooManyRedirectsError) {
    const message = `the video URL redirected more than ${error.maxRedirects} times`;
    return new PipelineError('video_unreachable', message, { cause: error });
  }
  if (signal.aborted) {
    return new PipelineError('video_unreachable', 'the video URL did not answer in time', {
      retryable: true,
      cause: error,
    });
  }
  const reason =
    error instanceof Error
      ? error.cause instanceof Error
        ? error.cause.message
        : error.message
      : String(error);
  return new PipelineError('video_unreachable', `could not reach the video URL: ${reason}`, {
    retryable: true,
    cause: error,
  });
}
