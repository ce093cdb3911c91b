import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { basename, extname } from 'node:path';
import { Readable } from 'node:stream';
import type { CreateUploadBody } from './api-types.generated.js';
import { FoleyApiError, FoleyConnectionError } from './errors.js';
import type { Transport } from './transport.js';
import type { UploadTarget } from './types.js';
import { uploadForm } from './upload-form.js';

type VideoType = CreateUploadBody['content_type'];

/** A local video: a path (type, name and size read from it), or a stream with those given. */
export type UploadSource =
  | string
  | {
      stream: Readable | ReadableStream<Uint8Array>;
      fileName: string;
      size: number;
      contentType?: VideoType;
    };

export interface UploadsApi {
  /**
   * Presigns an upload, POSTs the video (streamed, as the form S3's policy expects: at most the size
   * declared), and returns its `video_url` to submit as a job.
   */
  put(source: UploadSource, opts?: { signal?: AbortSignal }): Promise<UploadTarget>;
}

const TYPES: Record<string, VideoType> = { '.mp4': 'video/mp4', '.mov': 'video/quicktime' };
/** An upload of up to 100 MB over a slow link. */
const PUT_TIMEOUT_MS = 30 * 60_000;

export function createUploadsApi(transport: Transport, doFetch: typeof fetch = globalThis.fetch): UploadsApi {
  return {
    async put(source, opts = {}) {
      const file = await describe(source);
      const target = await transport.request<UploadTarget>({
        method: 'POST',
        path: '/v1/uploads',
        json: { file_name: file.fileName, content_type: file.contentType, size: file.size },
        signal: opts.signal,
      });
      const timeout = AbortSignal.timeout(PUT_TIMEOUT_MS);
      const form = uploadForm(target.upload_fields, file);
      let res: Response;
      try {
        res = await doFetch(target.upload_url, {
          method: 'POST',
          headers: { 'content-type': form.contentType, 'content-length': String(form.length) },
          body: form.body,
          duplex: 'half',
          signal: opts.signal ? AbortSignal.any([opts.signal, timeout]) : timeout,
        } as RequestInit);
      } catch (error) {
        if (opts.signal?.aborted) throw opts.signal.reason;
        throw new FoleyConnectionError(new URL(target.upload_url).origin, { cause: error });
      }
      const text = await res.text().catch(() => '');
      if (!res.ok) {
        // S3 names the refusal in XML: EntityTooLarge, AccessDenied (policy expired, another type), …
        const code = /<Code>([A-Za-z]+)<\/Code>/.exec(text)?.[1];
        throw new FoleyApiError(
          res.status,
          'upload_failed',
          `upload of ${file.fileName} failed: HTTP ${res.status}${code ? ` (${code})` : ''}`,
          undefined,
          res.headers.get('x-amz-request-id') ?? undefined,
        );
      }
      return target;
    },
  };
}

async function describe(source: UploadSource) {
  if (typeof source === 'string') {
    const contentType = TYPES[extname(source).toLowerCase()];
    if (!contentType) throw new TypeError(`${source}: only .mp4 and .mov videos can be uploaded`);
    const info = await stat(source);
    if (!info.isFile()) throw new TypeError(`${source}: not a file`);
    return {
      fileName: basename(source),
      contentType,
      size: info.size,
      body: () => Readable.toWeb(createReadStream(source)) as ReadableStream<Uint8Array>,
    };
  }
  const contentType = source.contentType ?? TYPES[extname(source.fileName).toLowerCase()];
  if (!contentType)
    throw new TypeError(`${source.fileName}: give contentType (video/mp4 or video/quicktime)`);
  const stream = source.stream;
  return {
    fileName: source.fileName,
    contentType,
    size: source.size,
    body: () => (stream instanceof Readable ? Readable.toWeb(stream) : stream) as ReadableStream<Uint8Array>,
  };
}
