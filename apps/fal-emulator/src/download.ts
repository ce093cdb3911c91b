import { createWriteStream } from 'node:fs';
import { copyFile, stat } from 'node:fs/promises';
import { Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { ReadableStream as WebReadableStream } from 'node:stream/web';
import { fieldError, RunFailureError, validationFailure } from './errors';

const LOC = ['body', 'video_url'];

export const downloadFailed = (detail: string) =>
  validationFailure([
    fieldError(
      LOC,
      'file_download_error',
      `Failed to download the file. Please check if the URL is accessible (${detail}).`,
    ),
  ]);

export const fileTooLarge = (maxBytes: number, size: number) =>
  validationFailure([
    fieldError(
      LOC,
      'file_too_large',
      `File size exceeds the maximum allowed size of ${maxBytes / 1_000_000} MB.`,
      {
        ctx: { max_size: maxBytes },
        input: size,
      },
    ),
  ]);

/**
 * Fetches the model's input video to `dest`, refusing more than `maxBytes` (from Content-Length, or while
 * streaming). URLs that point at the emulator itself are read from disk: quicker, and an injected `file`
 * fault is meant for the worker's own reads, not the model's.
 */
export async function downloadVideo(opts: {
  url: string;
  dest: string;
  maxBytes: number;
  signal: AbortSignal;
  resolveLocal: (url: string) => Promise<string | undefined>;
}): Promise<{ size: number }> {
  const local = await opts.resolveLocal(opts.url);
  if (local) {
    const { size } = await stat(local);
    if (size > opts.maxBytes) throw fileTooLarge(opts.maxBytes, size);
    await copyFile(local, opts.dest);
    return { size };
  }

  let response: Response;
  try {
    response = await fetch(opts.url, {
      signal: AbortSignal.any([opts.signal, AbortSignal.timeout(60_000)]),
      redirect: 'follow',
    });
  } catch (error) {
    if (opts.signal.aborted) throw error;
    throw downloadFailed(error instanceof Error ? error.message : String(error));
  }
  if (!response.ok || !response.body) {
    await response.body?.cancel();
    throw downloadFailed(`HTTP ${response.status}`);
  }
  const declared = Number(response.headers.get('content-length') ?? Number.NaN);
  if (declared > opts.maxBytes) {
    await response.body.cancel();
    throw fileTooLarge(opts.maxBytes, declared);
  }

  let size = 0;
  const limit = new Transform({
    transform(chunk: Buffer, _enc, callback) {
      size += chunk.length;
      if (size > opts.maxBytes) callback(fileTooLarge(opts.maxBytes, size));
      else callback(null, chunk);
    },
  });
  try {
    await pipeline(
      Readable.fromWeb(response.body as WebReadableStream<Uint8Array>),
      limit,
      createWriteStream(opts.dest),
      {
        signal: opts.signal,
      },
    );
  } catch (error) {
    if (opts.signal.aborted || error instanceof RunFailureError) throw error;
    throw downloadFailed(error instanceof Error ? error.message : String(error));
  }
  return { size };
}
