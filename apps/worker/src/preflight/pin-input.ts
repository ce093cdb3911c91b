import { Readable } from 'node:stream';
import { PipelineError } from '@foley/shared/errors';
import type { ObjectStore } from '@foley/shared/infra/object-store';
import { pinnedInputKey } from '@foley/shared/jobs/contract';
import { MODEL_LIMITS } from '@foley/shared/jobs/model';
import type { GuardedFetch } from '../clients/http-fetch';
import type { Preflight } from './preflight';
import { asPipelineError, statusError } from './range-io';

/**
 * PIN_INPUTS: copies the customer's video (≤ 100 MB) into Foley's bucket beside the job's outputs and
 * returns the copy's key once preflight has checked the copy itself: what fal then downloads (a
 * presigned URL of it) is exactly what was checked, whatever the customer's URL serves later.
 */
export type PinInput = (url: string, jobId: string) => Promise<string>;

export interface PinInputOptions {
  /** The SSRF-guarded fetch: the customer's URL is read through it, every hop and address checked. */
  fetch: GuardedFetch;
  store: Pick<ObjectStore, 'upload' | 'presignGet'>;
  /**
   * Preflight of the copy, through a fetch for Foley's own bucket (not the guarded one: the bucket may
   * sit on a private address, as MinIO in compose or the local S3 server in tests, and is not the
   * customer's).
   */
  checkCopy: Preflight;
  maxBytes?: number;
  /** The whole copy, download and upload, must finish within this. */
  timeoutMs?: number;
}

export function createPinInput(opts: PinInputOptions): PinInput {
  const maxBytes = opts.maxBytes ?? MODEL_LIMITS.videoMaxBytes;
  const timeoutMs = opts.timeoutMs ?? 120_000;
  return async (url, jobId) => {
    const signal = AbortSignal.timeout(timeoutMs);
    let response: Response;
    try {
      response = await opts.fetch(url, { method: 'GET', signal });
    } catch (error) {
      throw asPipelineError(error, signal);
    }
    if (response.status !== 200 || !response.body) {
      await response.body?.cancel().catch(() => {});
      throw statusError(response.status);
    }
    const length = Number(response.headers.get('content-length'));
    if (Number.isFinite(length) && length > maxBytes) {
      await response.body.cancel().catch(() => {});
      throw tooLarge(maxBytes);
    }
    const contentType = response.headers.get('content-type')?.split(';')[0]?.trim() || 'video/mp4';
    const key = pinnedInputKey(jobId, contentType.toLowerCase() === 'video/quicktime' ? 'mov' : 'mp4');
    // The customer's side of the copy fails with the video's error, the bucket's with storage_error.
    let failure: PipelineError | undefined;
    async function* limited(source: AsyncIterable<Uint8Array>) {
      let seen = 0;
      try {
        for await (const chunk of source) {
          seen += chunk.length;
          // A server may lie about the length, or send none.
          if (seen > maxBytes) throw tooLarge(maxBytes);
          yield chunk;
        }
      } catch (error) {
        failure = error instanceof PipelineError ? error : asPipelineError(error, signal);
        throw failure;
      }
    }
    try {
      const source = Readable.from(limited(response.body as unknown as AsyncIterable<Uint8Array>));
      await opts.store.upload(key, source, { contentType });
    } catch (error) {
      await response.body.cancel().catch(() => {});
      throw failure ?? error;
    }
    await opts.checkCopy(await opts.store.presignGet(key, { ttlSeconds: 15 * 60 }));
    return key;
  };
}

const tooLarge = (max: number) =>
  new PipelineError(
    'video_too_large',
    `video is larger than ${max / 1_000_000} MB; the model accepts at most that`,
  );
