import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import type { FalClient } from '@fal-ai/client';
import { ValidationError } from '@fal-ai/client';
import { makeVideo } from '@foley/testkit/media';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ENDPOINT, falFetch, startTestEmulator } from '../test/support';
import type { RunningEmulator } from './server';

let emu: RunningEmulator;
let fal: FalClient;

beforeAll(async () => {
  ({ emu, fal } = await startTestEmulator({ delayMs: 200 }));
});
afterAll(() => emu.close());

const sha = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');

describe('fal storage uploads', () => {
  it('uploads a small Blob in one PUT and serves it back with its type and size', async () => {
    const bytes = Buffer.from('{"hello":"fal"}');
    const url = await fal.storage.upload(new Blob([bytes], { type: 'application/json' }));
    expect(url).toMatch(new RegExp(`^${emu.url}/_emulator/files/[0-9a-f]+/\\d+\\.json$`));
    const response = await fetch(url);
    expect(response.headers.get('content-type')).toBe('application/json');
    expect(Number(response.headers.get('content-length'))).toBe(bytes.length);
    expect(Buffer.from(await response.arrayBuffer()).equals(bytes)).toBe(true);
  });

  it('uploads a File given as video_url before submitting, then dubs it', async () => {
    const bytes = await readFile(await makeVideo({ seconds: 3 }));
    const { data, requestId } = await fal.subscribe(ENDPOINT, {
      input: { video_url: new File([bytes], 'clip.mp4', { type: 'video/mp4' }) },
      pollInterval: 100,
    });
    expect(data).toHaveProperty('video.content_type', 'video/mp4');
    const logged = emu.requests().find((r) => r.request_id === requestId);
    expect((logged!.input as { video_url: string }).video_url).toMatch(
      /\/_emulator\/files\/[0-9a-f]+\/clip\.mp4$/,
    );
  });

  it('uses multipart for a >90 MiB Blob: parts, complete, bytes in order; the model then refuses it as too large', async () => {
    const size = 100_000_001; // over fal's 100 MB limit, and over the client's 90 MiB multipart threshold
    const bytes = Buffer.alloc(size);
    for (let i = 0; i + 4 <= size; i += 4) bytes.writeUInt32LE(i, i); // every offset is distinct
    const url = await fal.storage.upload(new Blob([bytes], { type: 'video/mp4' }));

    const head = await fetch(url, { method: 'HEAD' });
    expect(Number(head.headers.get('content-length'))).toBe(size);
    // Ranges at the end and across 10 MiB part boundaries prove the parts were joined in order.
    for (const start of [size - 8192, 10 * 1024 * 1024 - 4096, 50 * 1024 * 1024 - 4096]) {
      const ranged = await fetch(url, { headers: { range: `bytes=${start}-${start + 8191}` } });
      expect(ranged.status).toBe(206);
      expect(sha(new Uint8Array(await ranged.arrayBuffer()))).toBe(sha(bytes.subarray(start, start + 8192)));
    }

    const error = await fal
      .subscribe(ENDPOINT, { input: { video_url: url }, pollInterval: 100 })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ValidationError);
    expect((error as ValidationError).fieldErrors[0]).toMatchObject({
      loc: ['body', 'video_url'],
      type: 'file_too_large',
    });
  });

  it('requires a key to initiate uploads and answers bad multipart completes with 400', async () => {
    const anonymous = await fetch(`${emu.url}/rest.fal.ai/storage/upload/initiate?storage_type=fal-cdn-v3`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{}',
    });
    expect(anonymous.status).toBe(401);
    const initiated = await falFetch(emu, '/rest.alpha.fal.ai/storage/upload/initiate-multipart', {
      method: 'POST',
      body: JSON.stringify({ content_type: 'video/mp4', file_name: 'a.mp4' }),
    });
    const { upload_url } = (await initiated.json()) as { upload_url: string };
    const part = await fetch(`${upload_url}/1`, { method: 'PUT', body: 'abc' });
    expect(await part.json()).toMatchObject({ partNumber: 1, etag: expect.any(String) });
    const complete = await fetch(`${upload_url}/complete`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ parts: [{ partNumber: 1, etag: 'wrong' }] }),
    });
    expect(complete.status).toBe(400);
  });
});
