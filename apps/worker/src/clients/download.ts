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
    const timeout = AbortSignal.timeout(headersTimeoutMs);
    let response: Response;
    try {
      response = await fetch(url, { signal: signal ? AbortSignal.any([signal, timeout]) : timeout });
    } catch (error) {
      throw new PipelineError(
        'fal_unavailable',
        `could not download fal's output file: ${messageOf(error)}`,
        {
          retryable: true,
          cause: error,
        },
      );
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
