import { createHash, randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import { GetObjectCommand, HeadObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { generatedBody } from '@foley/testkit/generated-body';
import { startTestS3, type TestS3 } from '@foley/testkit/s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PipelineError } from '../errors';
import type { ObjectStore } from './object-store';
import { createS3Client, createS3ObjectStore } from './s3';

const MiB = 1024 * 1024;
const sha256 = (data: Buffer | string) => createHash('sha256').update(data).digest('base64');

/** Records every command the client sends and whether it succeeded. */
function recordCommands(client: S3Client) {
  const log: Array<{ command: string; ok: boolean }> = [];
  client.middlewareStack.add(
    (next, context) => async (args) => {
      const command = context.commandName ?? '?';
      try {
        const result = await next(args);
        log.push({ command, ok: true });
        return result;
      } catch (error) {
        log.push({ command, ok: false });
        throw error;
      }
    },
    { step: 'initialize', name: 'recordCommands' },
  );
  return log;
}

async function readObject(client: S3Client, bucket: string, key: string) {
  const out = await client.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
  return { ...out, bytes: Buffer.from(await out.Body!.transformToByteArray()) };
}

describe('S3 object store', () => {
  let s3: TestS3;
  let bucket: string;
  let store: ObjectStore;
  const clientFor = () =>
    createS3Client({
      S3_ENDPOINT: s3.endpoint,
      S3_REGION: s3.region,
      S3_FORCE_PATH_STYLE: true,
      AWS_ACCESS_KEY_ID: s3.accessKeyId,
      AWS_SECRET_ACCESS_KEY: s3.secretAccessKey,
    });

  beforeAll(async () => {
    s3 = await startTestS3();
    bucket = await s3.createBucket();
    store = createS3ObjectStore({ client: s3.client, bucket, presignTtlSeconds: 300 });
  });
  afterAll(async () => {
    await s3?.close();
  });

  it('uploads a small stream with its type, disposition and checksum, readable by presigned GET', async () => {
    const body = Readable.from([Buffer.from('hello '), Buffer.from('world')]);
    const result = await store.upload('small/a.mp3', body, { contentType: 'audio/mpeg', fileName: 'a.mp3' });
    expect(result).toEqual({ size: 11, sha256: sha256('hello world') });

    const head = await s3.client.send(new HeadObjectCommand({ Bucket: bucket, Key: 'small/a.mp3' }));
    expect(head.ContentLength).toBe(11);
    expect(head.ContentType).toBe('audio/mpeg');
    expect(head.ContentDisposition).toBe('inline; filename="a.mp3"');

    const response = await fetch(await store.presignGet('small/a.mp3'));
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('audio/mpeg');
    const stored = Buffer.from(await response.arrayBuffer());
    expect(stored.toString()).toBe('hello world');
    expect(sha256(stored)).toBe(result.sha256);
  });

  it('handles an empty body and a key with spaces, unicode and plus signs', async () => {
    const key = 'odd/ä b+c (1).mp3';
    const result = await store.upload(key, Readable.from([]), { contentType: 'audio/mpeg' });
    expect(result).toEqual({ size: 0, sha256: sha256('') });
    const head = await s3.client.send(new HeadObjectCommand({ Bucket: bucket, Key: key }));
    expect(head.ContentLength).toBe(0);
    expect(head.ContentDisposition).toBeUndefined();
  });

  it('streams a 20 MiB body as a multipart upload with the right size and checksum', async () => {
    const client = clientFor();
    const sent = recordCommands(client);
    let counted = 0;
    const metrics = { onBytesUploaded: (n: number) => (counted += n) };
    const multipartStore = createS3ObjectStore({ client, bucket, presignTtlSeconds: 300, metrics });
    const body = generatedBody(20 * MiB);
    const result = await multipartStore.upload('big/video.mp4', body.stream, {
      contentType: 'video/mp4',
      fileName: 'video.mp4',
    });
    expect(result).toEqual({ size: 20 * MiB, sha256: body.digest() });
    expect(sent.filter((c) => c.command === 'UploadPartCommand')).toHaveLength(3);
    expect(sent.every((c) => c.ok)).toBe(true);
    expect(counted).toBe(20 * MiB);

    const response = await fetch(await store.presignGet('big/video.mp4'));
    expect(response.headers.get('content-type')).toBe('video/mp4');
    const bytes = Buffer.from(await response.arrayBuffer());
    expect(bytes.length).toBe(20 * MiB);
    expect(sha256(bytes)).toBe(result.sha256);

    const head = await s3.client.send(new HeadObjectCommand({ Bucket: bucket, Key: 'big/video.mp4' }));
    expect(head.ContentLength).toBe(20 * MiB);
    expect(head.ETag).toMatch(/^"[0-9a-f]{32}(-\d+)?"$/);
    // The checksum travels in the result: no request after the upload to stamp it on the object.
    expect(sent.map((c) => c.command)).not.toContain('CopyObjectCommand');
    expect(sent.at(-1)?.command).toBe('CompleteMultipartUploadCommand');
    client.destroy();
  });

  it('presigned GET can ask for a download file name, quoted safely', async () => {
    await store.putText('names/x.txt', 'x', 'text/plain');
    const url = await store.presignGet('names/x.txt', { fileName: 'dübbed "final".mp4', ttlSeconds: 60 });
    const response = await fetch(url);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-disposition')).toBe(
      `inline; filename="d_bbed _final_.mp4"; filename*=UTF-8''d%C3%BCbbed%20%22final%22.mp4`,
    );
    await response.arrayBuffer();
  });

  it('presignPost lets a plain form upload within its size range, and the object reads back', async () => {
    const post = await store.presignPost('uploads/in.mp4', {
      contentType: 'video/mp4',
      maxBytes: 64 * 1024,
      ttlSeconds: 60,
    });
    const payload = randomBytes(64 * 1024);
    const sent = await postForm(post, payload, 'video/mp4');
    expect(sent.status).toBe(204);
    const object = await readObject(s3.client, bucket, 'uploads/in.mp4');
    expect(object.bytes.equals(payload)).toBe(true);
    expect(object.ContentType).toBe('video/mp4');
  });

  it('the server refuses a presigned POST over its content-length-range, another type, or a forged policy', async () => {
    const post = await store.presignPost('uploads/big.mp4', {
      contentType: 'video/mp4',
      maxBytes: 1000,
      ttlSeconds: 60,
    });
    const over = await postForm(post, randomBytes(1001), 'video/mp4');
    expect(over.status).toBe(400);
    expect(await over.text()).toContain('EntityTooLarge');
    const otherType = await postForm(post, randomBytes(10), 'text/html');
    expect(otherType.status).toBe(403);
    const policyField = Object.keys(post.fields).find((k) => k.toLowerCase() === 'policy') ?? 'Policy';
    const policy = JSON.parse(Buffer.from(post.fields[policyField] ?? '', 'base64').toString());
    policy.conditions = policy.conditions.map((c: unknown) =>
      Array.isArray(c) && c[0] === 'content-length-range' ? ['content-length-range', 1, 10_000] : c,
    );
    const forged = {
      ...post,
      fields: { ...post.fields, [policyField]: Buffer.from(JSON.stringify(policy)).toString('base64') },
    };
    expect((await postForm(forged, randomBytes(1001), 'video/mp4')).status).toBe(403);
    await expect(readObject(s3.client, bucket, 'uploads/big.mp4')).rejects.toThrow();
  });

  it('putText writes a small text object', async () => {
    const text = '{"id":"job_1"}\n{"id":"job_2"}\n';
    await store.putText('manifests/bat_1.jsonl', text, 'application/x-ndjson');
    const object = await readObject(s3.client, bucket, 'manifests/bat_1.jsonl');
    expect(object.bytes.toString()).toBe(text);
    expect(object.ContentType).toBe('application/x-ndjson');
  });

  it('ping resolves for the bucket and rejects with storage_error for a missing one', async () => {
    await expect(store.ping()).resolves.toBeUndefined();
    const missing = createS3ObjectStore({
      client: s3.client,
      bucket: 'no-such-bucket-foley',
      presignTtlSeconds: 60,
    });
    const error = await missing.ping().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(PipelineError);
    expect(error).toMatchObject({ code: 'storage_error', retryable: true });
  });

  it('a source that fails mid-way rejects with storage_error, aborts the multipart upload, stores nothing', async () => {
    const client = clientFor();
    const sent = recordCommands(client);
    const failing = createS3ObjectStore({ client, bucket, presignTtlSeconds: 60 });
    const body = generatedBody(30 * MiB, { failAfter: 12 * MiB });
    const error = await failing
      .upload('broken/video.mp4', body.stream, { contentType: 'video/mp4' })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(PipelineError);
    expect(error).toMatchObject({ code: 'storage_error', retryable: true });
    expect((error as Error).message).toContain('source connection reset');
    expect(sent).toContainEqual({ command: 'CreateMultipartUploadCommand', ok: true });
    expect(sent).toContainEqual({ command: 'AbortMultipartUploadCommand', ok: true });
    expect(sent.map((c) => c.command)).not.toContain('CompleteMultipartUploadCommand');
    const head = await s3.client
      .send(new HeadObjectCommand({ Bucket: bucket, Key: 'broken/video.mp4' }))
      .catch((e: { $metadata?: { httpStatusCode?: number } }) => e.$metadata?.httpStatusCode);
    expect(head).toBe(404);
    client.destroy();
  });

  it('an S3 failure rejects promptly and releases the source stream', async () => {
    const missing = createS3ObjectStore({
      client: s3.client,
      bucket: 'no-such-bucket-foley',
      presignTtlSeconds: 60,
    });
    const body = generatedBody(40 * MiB);
    const error = await missing
      .upload('x.mp4', body.stream, { contentType: 'video/mp4' })
      .catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'storage_error' });
    expect(body.stream.destroyed).toBe(true);
  });

  it('memory does not grow with the size of the body (200 MiB streamed)', async () => {
    // RSS while a body streams through, above the RSS just before it started.
    const growthDuring = async (bytes: number) => {
      const body = generatedBody(bytes);
      const baseline = process.memoryUsage().rss;
      let peak = baseline;
      const sampler = setInterval(() => {
        peak = Math.max(peak, process.memoryUsage().rss);
      }, 10);
      try {
        const result = await store.upload(`mem/${bytes}.bin`, body.stream, { contentType: 'video/mp4' });
        expect(result).toEqual({ size: bytes, sha256: body.digest() });
      } finally {
        clearInterval(sampler);
      }
      return (peak - baseline) / MiB;
    };
    const small = await growthDuring(24 * MiB); // also warms up the SDK, sockets and heap
    const large = await growthDuring(200 * MiB);
    expect(large).toBeLessThan(120);
    // Buffering would add ~176 MiB here; streaming keeps a few parts in flight whatever the size.
    expect(large - small).toBeLessThan(64);
  });
});

/** The form a browser or the CLI sends for a presigned POST: the policy's fields first, the file last. */
function postForm(post: { url: string; fields: Record<string, string> }, bytes: Buffer, contentType: string) {
  const form = new FormData();
  for (const [name, value] of Object.entries(post.fields))
    form.append(name, name === 'Content-Type' ? contentType : value);
  form.append('file', new Blob([bytes], { type: contentType }), 'in.mp4');
  return fetch(post.url, { method: 'POST', body: form });
}
