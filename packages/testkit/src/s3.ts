import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, rm, stat } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { S3Client } from '@aws-sdk/client-s3';
import { createS3Client, ensureBucket } from '@foley/shared/infra/s3';
import S3rver from 's3rver';
import { dockerAvailable } from './docker';
import { createPostPolicyGate } from './s3-post-policy';

/** s3rver's built-in account. */
export const S3RVER_CREDENTIALS = { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' } as const;

/** A client for a local s3rver (`startLocalS3Server`): path-style, its fixed credentials. */
export function localS3Client(endpoint: string): S3Client {
  return createS3Client({
    S3_ENDPOINT: endpoint,
    S3_REGION: 'us-east-1',
    S3_FORCE_PATH_STYLE: true,
    AWS_ACCESS_KEY_ID: S3RVER_CREDENTIALS.accessKeyId,
    AWS_SECRET_ACCESS_KEY: S3RVER_CREDENTIALS.secretAccessKey,
  });
}

export interface LocalS3Server {
  endpoint: string;
  port: number;
  close(): Promise<void>;
}

/**
 * An in-process S3-compatible server (s3rver) on 127.0.0.1, path-style, credentials S3RVER/S3RVER,
 * region us-east-1. Objects live in `directory` (kept) or in a temp directory (removed on close).
 */
export async function startLocalS3Server(
  opts: { port?: number; directory?: string; silent?: boolean } = {},
): Promise<LocalS3Server> {
  const directory = opts.directory ?? (await mkdtemp(join(tmpdir(), 'foley-s3-')));
  await mkdir(directory, { recursive: true });
  const s3rver = new S3rver({ directory, silent: opts.silent ?? true, vhostBuckets: false });
  const internals = s3rver as unknown as S3rverInternals;
  const handle = s3rver.callback();
  // Room for the model's 100 MB video plus the form's fields; larger bodies are refused unread.
  const postPolicy = createPostPolicyGate({
    credentials: S3RVER_CREDENTIALS,
    maxBodyBytes: 101 * 1024 * 1024,
  });
  const server = createServer((req, res) => {
    if (isAbortMultipartUpload(req)) return void abortMultipartUpload(internals, req, res);
    if (postPolicy.handle(req, res, (replayed) => handle(replayed, res))) return;
    fixCopySource(req);
    handle(req, res);
  });
  const port = await listen(server, opts.port ?? 0);
  return {
    endpoint: `http://127.0.0.1:${port}`,
    port,
    async close() {
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections(); // the SDK keeps sockets alive; close() alone would wait for them
      });
      internals.logger.close();
      if (opts.directory === undefined) await rm(directory, { recursive: true, force: true });
    },
  };
}

interface S3rverInternals {
  logger: { close(): void };
  store: { getResourcePath(bucket: string, key: string | undefined, resource: string): string };
}

/**
 * s3rver 3.7 has no AbortMultipartUpload (it answers 405 and keeps the parts on disk), so a failed
 * upload could never be cleaned up. This fills that gap for the local/test server only: DELETE
 * /bucket/key?uploadId=… removes the pending upload, as S3 does. Unauthenticated: loopback use only.
 */
function isAbortMultipartUpload(req: IncomingMessage): boolean {
  return req.method === 'DELETE' && new URL(req.url ?? '/', 'http://x').searchParams.has('uploadId');
}

async function abortMultipartUpload(s3rver: S3rverInternals, req: IncomingMessage, res: ServerResponse) {
  const url = new URL(req.url ?? '/', 'http://x');
  const bucket = decodeURIComponent(url.pathname.split('/')[1] ?? '');
  const uploadId = url.searchParams.get('uploadId') ?? '';
  req.resume();
  const dir = /^[0-9a-f]{32}$/.test(uploadId)
    ? join(s3rver.store.getResourcePath(bucket, undefined, 'uploads'), uploadId)
    : undefined;
  const exists = dir
    ? await stat(dir).then(
        () => true,
        () => false,
      )
    : false;
  if (!dir || !exists) {
    res.writeHead(404, { 'Content-Type': 'application/xml' });
    res.end(
      '<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>NoSuchUpload</Code>' +
        '<Message>The specified upload does not exist.</Message></Error>',
    );
    return;
  }
  await rm(dir, { recursive: true, force: true });
  res.writeHead(204).end();
}

/**
 * S3 URL-decodes `x-amz-copy-source` fully; s3rver uses decodeURI, which leaves `%2B` (+), `%3D` (=) and
 * other reserved characters encoded, so copying a key like `a+b.mp4` fails with NoSuchKey. Re-encode
 * the header so that s3rver's decodeURI yields the real key.
 */
function fixCopySource(req: IncomingMessage) {
  const source = req.headers['x-amz-copy-source'];
  if (typeof source !== 'string') return;
  try {
    req.headers['x-amz-copy-source'] = encodeURI(decodeURIComponent(source));
  } catch {
    // malformed encoding: leave it to s3rver to reject
  }
}

function listen(server: Server, port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => {
      const address = server.address();
      resolve(typeof address === 'object' && address ? address.port : port);
    });
  });
}

export interface TestS3 {
  endpoint: string;
  accessKeyId: string;
  secretAccessKey: string;
  region: string;
  /** A client for this server (path-style, checksums only when required). */
  client: S3Client;
  /** Creates a bucket (default a random `test-…` name) and returns its name. */
  createBucket(name?: string): Promise<string>;
  close(): Promise<void>;
}

/** An S3 for integration tests: MinIO in a container when a Docker engine answers, else s3rver. */
export async function startTestS3(): Promise<TestS3> {
  const server = (await dockerAvailable()) ? await startMinio() : await startS3rver();
  const region = 'us-east-1';
  const client = createS3Client({
    S3_ENDPOINT: server.endpoint,
    S3_REGION: region,
    S3_FORCE_PATH_STYLE: true,
    AWS_ACCESS_KEY_ID: server.accessKeyId,
    AWS_SECRET_ACCESS_KEY: server.secretAccessKey,
  });
  return {
    endpoint: server.endpoint,
    accessKeyId: server.accessKeyId,
    secretAccessKey: server.secretAccessKey,
    region,
    client,
    async createBucket(name = `test-${randomBytes(6).toString('hex')}`) {
      await ensureBucket(client, name);
      return name;
    },
    async close() {
      client.destroy();
      await server.close();
    },
  };
}

interface RunningS3 {
  endpoint: string;
  accessKeyId: string;
  secretAccessKey: string;
  close(): Promise<void>;
}

async function startS3rver(): Promise<RunningS3> {
  const server = await startLocalS3Server();
  return { ...S3RVER_CREDENTIALS, endpoint: server.endpoint, close: () => server.close() };
}

async function startMinio(): Promise<RunningS3> {
  const { GenericContainer, Wait } = await import('testcontainers');
  const credentials = { accessKeyId: 'foley-test', secretAccessKey: 'foley-test-secret' };
  const container = await new GenericContainer('minio/minio:latest')
    .withCommand(['server', '/data'])
    .withEnvironment({
      MINIO_ROOT_USER: credentials.accessKeyId,
      MINIO_ROOT_PASSWORD: credentials.secretAccessKey,
    })
    .withExposedPorts(9000)
    .withWaitStrategy(Wait.forHttp('/minio/health/live', 9000))
    .start();
  return {
    ...credentials,
    endpoint: `http://${container.getHost()}:${container.getMappedPort(9000)}`,
    close: async () => {
      await container.stop();
    },
  };
}
