import { mkdtemp, readdir, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ListObjectsV2Command } from '@aws-sdk/client-s3';
import { createS3ObjectStore, ensureBucket } from '@foley/shared/infra/s3';
import { afterAll, describe, expect, it } from 'vitest';
import { generatedBody } from './generated-body';
import { localS3Client, startLocalS3Server } from './s3';

const MiB = 1024 * 1024;
const clientFor = (endpoint: string) => localS3Client(endpoint);

describe('startLocalS3Server', () => {
  const dirs: string[] = [];
  afterAll(async () => {
    for (const dir of dirs) await rm(dir, { recursive: true, force: true });
  });

  it('persists objects in its directory across restarts, and ensureBucket is idempotent', async () => {
    const directory = await mkdtemp(join(tmpdir(), 'foley-s3-test-'));
    dirs.push(directory);
    const first = await startLocalS3Server({ directory });
    const client = clientFor(first.endpoint);
    await ensureBucket(client, 'keep');
    await ensureBucket(client, 'keep');
    await createS3ObjectStore({ client, bucket: 'keep', presignTtlSeconds: 60 }).putText(
      'a.txt',
      'a',
      'text/plain',
    );
    client.destroy();
    await first.close();

    const second = await startLocalS3Server({ directory, port: first.port });
    const again = clientFor(second.endpoint);
    const listed = await again.send(new ListObjectsV2Command({ Bucket: 'keep' }));
    expect(listed.Contents?.map((o) => o.Key)).toEqual(['a.txt']);
    again.destroy();
    await second.close();
    expect((await stat(directory)).isDirectory()).toBe(true);
  });

  it('aborting a multipart upload removes its parts from disk (s3rver alone cannot)', async () => {
    const directory = await mkdtemp(join(tmpdir(), 'foley-s3-test-'));
    dirs.push(directory);
    const server = await startLocalS3Server({ directory });
    const client = clientFor(server.endpoint);
    await ensureBucket(client, 'parts');
    const store = createS3ObjectStore({ client, bucket: 'parts', presignTtlSeconds: 60 });
    const body = generatedBody(30 * MiB, { failAfter: 20 * MiB });
    await expect(store.upload('v.mp4', body.stream, { contentType: 'video/mp4' })).rejects.toMatchObject({
      code: 'storage_error',
    });
    // The uploads folder itself stays (s3rver made it at CreateMultipartUpload); the upload in it is gone.
    const pending = await readdir(join(directory, 'parts', '._S3rver_uploads'));
    expect(pending).toEqual([]);
    client.destroy();
    await server.close();
  });

  it('removes its temporary directory on close when none was given', async () => {
    const before = new Set(await readdir(tmpdir()));
    const server = await startLocalS3Server();
    const created = (await readdir(tmpdir())).filter((d) => d.startsWith('foley-s3-') && !before.has(d));
    expect(created).toHaveLength(1);
    await server.close();
    expect(await stat(join(tmpdir(), created[0]!)).catch(() => 'gone')).toBe('gone');
  });
});
