import { Readable } from 'node:stream';
import { PipelineError } from '@foley/shared/errors';

export interface Download {
  body: Readable;
  contentType: string | undefined;
  contentLength: number | undefined;
}

/** Opens a stream of one of fal's output files. fal's URLs come from fal, not from users. */
export type OpenDownload = (url: string, signal?: AbortSignal) => Promise<Download>;

export function createDownloader(opts: { headersTimeoutMs?: number } = {}): OpenDownload {
  const headersTimeoutMs = opts.headersTimeoutMs ?? 30_000;
  return async (url, signal) => {
    // Bounds the wait for headers only: a fetch signal also aborts the body, and a 100 MB file may
    // rightly take longer than this to stream (undici's own idle timeout still bounds a stalled body).
    const headers = new AbortController();
    const timer = setTimeout(
      () => headers.abort(new DOMException(`no answer within ${headersTimeoutMs} ms`, 'TimeoutError')),
      headersTimeoutMs,
    );
    let response: Response;
    try {
      response = await fetch(url, {
        signal: signal ? AbortSignal.any([signal, headers.signal]) : headers.signal,
      });
    } catch (error) {
      throw new PipelineError(
        'fal_unavailable',
        `could not download fal's output file: ${messageOf(error)}`,
        {
          retryable: true,
          cause: error,
        },
      );
    } finally {
      clearTimeout(timer);
    }
    if (!response.ok || !response.body) {
      await response.body?.cancel().catch(() => {});
      throw new PipelineError('fal_unavailable', `fal's output file answered HTTP ${response.status}`, {
        retryable: true,
      });
    }
    const length = Number(response.headers.get('content-length'));
    return {
      body: Readable.fromWeb(response.body as import('node:stream/web').ReadableStream),
      contentType: response.headers.get('content-type') ?? undefined,
      contentLength: Number.isFinite(length) && length > 0 ? length : undefined,
    };
  };
}

const messageOf = (e: unknown) =>
  e instanceof Error ? (e.cause instanceof Error ? e.cause.message : e.message) : String(e);
