/**
 * The local S3 server of `pnpm dev` (alone: `pnpm s3`): s3rver on 127.0.0.1 (credentials S3RVER/S3RVER, path-style),
 * objects persisted under LOCAL_S3_DIR, with S3_BUCKET created. Presigned GET/PUT URLs work from curl; presigned
 * POST policies are checked as S3 checks them.
 */
import { fileURLToPath } from 'node:url';
import { loadConfig } from '@foley/shared/infra/config';
import { ensureBucket } from '@foley/shared/infra/s3';
import { localS3ConfigSchema, localS3DataDir } from '@foley/testkit/local-s3-config';
import { localS3Client, startLocalS3Server } from '@foley/testkit/s3';

const root = fileURLToPath(new URL('..', import.meta.url));

async function main() {
  const cfg = loadConfig(localS3ConfigSchema);
  const directory = localS3DataDir(cfg, root);
  const server = await startLocalS3Server({
    port: cfg.LOCAL_S3_PORT,
    directory,
    silent: !['debug', 'trace'].includes(cfg.LOG_LEVEL),
  });
  const client = localS3Client(server.endpoint);
  try {
    await ensureBucket(client, cfg.S3_BUCKET);
  } finally {
    client.destroy();
  }
  console.log(`local S3 listening on ${server.endpoint} (bucket ${cfg.S3_BUCKET})`);
  console.log(`local S3 data in ${directory}`);

  let closing = false;
  const stop = (signal: string) => {
    if (closing) return;
    closing = true;
    console.log(`local S3 stopping (${signal})`);
    server.close().then(
      () => process.exit(0),
      (error: unknown) => {
        console.error('local S3 did not close cleanly:', error);
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
