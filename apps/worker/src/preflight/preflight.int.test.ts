import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { PipelineError } from '@foley/shared/errors';
import { EMPTY_ALLOWLIST, parseAllowlist } from '@foley/shared/ssrf/url-guard';
import { probeMedia } from '@foley/testkit/media';
import { ascii, ftyp, moov, u32, u64 } from '@foley/testkit/mp4-fixtures';
import { type ServedFile, sizeOf, startVideoServer } from '@foley/testkit/video-server';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createGuardedFetch, type GuardedFetch } from '../clients/http-fetch';
import { createPreflight, type PreflightOptions } from './preflight';

const run = promisify(execFile);
let dir: string;
let server: Awaited<ReturnType<typeof startVideoServer>>;
const files: Record<string, ServedFile> = {};
const fetch = createGuardedFetch({ allowlist: parseAllowlist(['127.0.0.1']) });
const MB = 1_000_000;

async function ffmpeg(name: string, input: string[], output: string[]): Promise<Buffer> {
  const path = join(dir, name);
  const args = ['-hide_banner', '-loglevel', 'error', '-nostdin', '-y', ...input, ...output, path];
  await run('ffmpeg', args, { timeout: 60_000 });
  return readFile(path);
}

const testsrc = (seconds: number) => [
  '-f',
  'lavfi',
  '-i',
  `testsrc=duration=${seconds}:size=160x120:rate=10`,
];
const h264 = ['-c:v', 'libx264', '-preset', 'ultrafast', '-pix_fmt', 'yuv420p'];

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'foley-preflight-'));
  const [fast, slow, mov, long, short, audio] = await Promise.all([
    ffmpeg('fast.mp4', testsrc(5), [...h264, '-movflags', '+faststart']),
    ffmpeg('slow.mp4', testsrc(5), h264), // moov after mdat
    ffmpeg('clip.mov', testsrc(4), [...h264, '-f', 'mov']),
    ffmpeg('long.mp4', testsrc(21), [...h264, '-movflags', '+faststart']),
    ffmpeg('short.mp4', testsrc(2), [...h264, '-movflags', '+faststart']),
    ffmpeg('audio.m4a', ['-f', 'lavfi', '-i', 'sine=duration=5'], ['-c:a', 'aac', '-f', 'mp4']),
  ]);
  const mp4 = (bytes: Buffer): ServedFile => ({ segments: [bytes], contentType: 'video/mp4' });
  Object.assign(files, {
    'fast.mp4': mp4(fast),
    'slow.mp4': mp4(slow),
    'clip.mov': { segments: [mov], contentType: 'video/quicktime' },
    'long.mp4': mp4(long),
    'short.mp4': mp4(short),
    'audio.m4a': { segments: [audio], contentType: 'application/octet-stream' },
    'page.mp4': { segments: [Buffer.from('<!DOCTYPE html><html>sign in</html>')], contentType: 'video/mp4' },
    'empty.mp4': { segments: [], contentType: 'video/mp4' },
    // 50 MB, non-faststart, 64-bit mdat header: the moov sits after 50 MB of zeros never generated eagerly.
    'big.mp4': {
      segments: [
        ftyp(),
        Buffer.concat([u32(1), ascii('mdat'), u64(16 + 50 * MB)]),
        { zeros: 50 * MB },
        moov5(),
      ],
      contentType: 'video/mp4',
    },
  });
  server = await startVideoServer(files);
});

const moov5 = () => moov({ timescale: 1000, duration: 5000 });

afterAll(async () => {
  await server?.close();
  await fetch.close();
  if (dir) await rm(dir, { recursive: true, force: true });
});
beforeEach(() => {
  server.requests.length = 0;
});

const preflight = (opts: Partial<PreflightOptions> = {}) => createPreflight({ fetch, ...opts });
const fileSize = (name: string) => sizeOf(files[name]!);

async function failure(promise: Promise<unknown>): Promise<PipelineError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(PipelineError);
  return error as PipelineError;
}

describe('preflight of good videos', () => {
  it('reads a faststart MP4 with HEAD and one ranged GET, matching ffprobe', async () => {
    const result = await preflight()(`${server.base}/fast.mp4`);
    const probed = await probeMedia(join(dir, 'fast.mp4'));
    expect(result).toMatchObject({
      container: 'mp4',
      contentType: 'video/mp4',
      sizeBytes: fileSize('fast.mp4'),
    });
    expect(result.durationSeconds).toBeCloseTo(probed.durationSeconds, 1);
    expect(result.durationSeconds).toBeCloseTo(5, 1);
    expect(server.requests.map((r) => [r.method, r.status])).toEqual([
      ['HEAD', 200],
      ['GET', 206],
    ]);
  });

  it('finds the moov after the mdat with small ranged reads, without reading the mdat', async () => {
    const result = await preflight({ chunkBytes: 4096 })(`${server.base}/slow.mp4`);
    expect(result.durationSeconds).toBeCloseTo(5, 1);
    expect(server.requests.length).toBeGreaterThan(2);
    expect(server.bodyBytes()).toBeLessThan(fileSize('slow.mp4') / 2);
  });

  it('hops over a 50 MB mdat with a 64-bit size and reads only a few KB', async () => {
    const result = await preflight()(`${server.base}/big.mp4`);
    expect(result).toEqual({
      container: 'mp4',
      contentType: 'video/mp4',
      sizeBytes: fileSize('big.mp4'),
      durationSeconds: 5,
    });
    expect(server.bodyBytes()).toBeLessThan(200_000);
  });

  it('recognises a MOV', async () => {
    const result = await preflight()(`${server.base}/clip.mov`);
    expect(result).toMatchObject({ container: 'mov', contentType: 'video/quicktime' });
    expect(result.durationSeconds).toBeCloseTo(4, 1);
  });

  it('falls back to GET when HEAD is refused', async () => {
    const result = await preflight()(`${server.base}/fast.mp4?mode=nohead`);
    expect(result.durationSeconds).toBeCloseTo(5, 1);
    expect(server.requests.map((r) => r.status)).toEqual([405, 206]);
  });

  it('follows a redirect to the file', async () => {
    const to = encodeURIComponent(`${server.base}/fast.mp4`);
    const result = await preflight()(`${server.base}/redirect?to=${to}`);
    expect(result.container).toBe('mp4');
  });

  it('copes with a server that ignores Range, reading at most maxHeaderBytes', async () => {
    const result = await preflight()(`${server.base}/slow.mp4?mode=norange`);
    expect(result.durationSeconds).toBeCloseTo(5, 1);
    expect(result.sizeBytes).toBe(fileSize('slow.mp4'));
  });

  it('copes with no Content-Length at all (chunked, Range ignored)', async () => {
    const result = await preflight()(`${server.base}/fast.mp4?mode=nolength`);
    expect(result.sizeBytes).toBeUndefined();
    expect(result.durationSeconds).toBeCloseTo(5, 1);
  });
});

describe('preflight failures', () => {
  it('never downloads a huge file from a server that ignores Range', async () => {
    const counted = countingFetch(fetch);
    const check = preflight({ fetch: counted.fetch, maxHeaderBytes: 256 * 1024 });
    const error = await failure(check(`${server.base}/big.mp4?mode=norange`));
    expect(error.code).toBe('unsupported_media');
    expect(error.message).toMatch(/range requests/);
    // What preflight pulled from the body: the budget plus at most a chunk or two in flight.
    expect(counted.bytes()).toBeGreaterThanOrEqual(256 * 1024);
    expect(counted.bytes()).toBeLessThan(512 * 1024);
    // What the server managed to write before the connection closed: socket buffers, not 50 MB.
    await waitFor(() => server.requests.at(-1)?.status === 200);
    expect(server.bodyBytes()).toBeLessThan(10 * MB);
  });

  it('rejects a stated size over 100 MB from HEAD without any GET', async () => {
    const error = await failure(preflight()(`${server.base}/fast.mp4?lie=150000000`));
    expect(error).toMatchObject({
      code: 'video_too_large',
      retryable: false,
      message: 'video is 150 MB; the model accepts at most 100 MB',
    });
    expect(server.requests.map((r) => r.method)).toEqual(['HEAD']);
  });

  it('rejects a Content-Range total over 100 MB before reading the body', async () => {
    const error = await failure(preflight()(`${server.base}/fast.mp4?mode=nohead&lie=100000001`));
    expect(error.code).toBe('video_too_large');
  });

  it.each([
    ['long.mp4', 'video_too_long', /^video is 21\.0 s long; the model accepts 3\.0–20\.0 s$/],
    ['short.mp4', 'video_too_short', /^video is 2\.0 s long; the model accepts 3\.0–20\.0 s$/],
  ])('rejects %s with %s', async (name, code, message) => {
    const error = await failure(preflight()(`${server.base}/${name}`));
    expect(error).toMatchObject({ code, retryable: false });
    expect(error.message).toMatch(message);
  });

  it.each([
    ['an HTML page served as video/mp4', 'page.mp4', /does not start like an MP4 or MOV/],
    ['an audio-only MP4', 'audio.m4a', /no video track/],
    ['an empty file', 'empty.mp4', /empty/],
    ['a text/html content type', 'fast.mp4?type=text/html;%20charset=utf-8', /serves text\/html/],
    ['an image content type', 'fast.mp4?type=image/png', /serves image\/png/],
  ])('rejects %s as unsupported_media', async (_name, path, message) => {
    const error = await failure(preflight()(`${server.base}/${path}`));
    expect(error).toMatchObject({ code: 'unsupported_media', retryable: false });
    expect(error.message).toMatch(message);
  });

  it('stops after HEAD when the content type is clearly not a video', async () => {
    await failure(preflight()(`${server.base}/fast.mp4?type=application/json`));
    expect(server.requests.map((r) => r.method)).toEqual(['HEAD']);
  });

  it.each([
    [404, false],
    [403, false],
    [410, false],
    [429, true],
    [500, true],
    [503, true],
  ])('maps HTTP %i to video_unreachable (retryable: %s)', async (status, retryable) => {
    const error = await failure(preflight()(`${server.base}/fast.mp4?status=${status}`));
    expect(error).toMatchObject({ code: 'video_unreachable', retryable });
    expect(error.message).toContain(String(status));
  });

  it('maps a refused connection to a retryable video_unreachable', async () => {
    const closed = await startVideoServer({});
    await closed.close();
    const error = await failure(preflight()(`${closed.base}/fast.mp4`));
    expect(error).toMatchObject({ code: 'video_unreachable', retryable: true });
  });

  it('gives up on a server that never answers', async () => {
    const error = await failure(preflight({ timeoutMs: 300 })(`${server.base}/fast.mp4?mode=hang`));
    expect(error).toMatchObject({ code: 'video_unreachable', retryable: true });
  });

  it('maps a blocked URL to url_blocked, and the server sees nothing', async () => {
    const strict = createGuardedFetch({ allowlist: EMPTY_ALLOWLIST });
    const error = await failure(createPreflight({ fetch: strict })(`${server.base}/fast.mp4`));
    expect(error).toMatchObject({ code: 'url_blocked', retryable: false });
    expect(server.requests).toHaveLength(0);
    await strict.close();
  });
});

/** Wraps a fetch to count the body bytes its caller actually reads. */
function countingFetch(inner: GuardedFetch) {
  let bytes = 0;
  const counted: GuardedFetch = async (url, init) => {
    const response = await inner(url, init);
    if (!response.body) return response;
    const body = response.body.pipeThrough(
      new TransformStream<Uint8Array, Uint8Array>({
        transform(chunk, controller) {
          bytes += chunk.byteLength;
          controller.enqueue(chunk);
        },
      }),
    );
    return new Response(body, { status: response.status, headers: response.headers });
  };
  return { fetch: counted, bytes: () => bytes };
}

async function waitFor(condition: () => boolean, timeoutMs = 2_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition() && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
}
