import { isAbsolute, resolve } from 'node:path';
import { logLevel, port } from '@foley/shared/infra/config';
import { z } from 'zod';

/** Config of `scripts/local-s3.ts`, the local S3 server of `pnpm dev` (schema here: scripts have no deps). */
export const localS3ConfigSchema = z.object({
  LOCAL_S3_PORT: port.default(4569),
  /** Relative paths are taken from the repository root. `.data/` is gitignored. */
  LOCAL_S3_DIR: z.string().default('.data/s3'),
  S3_BUCKET: z.string().min(3).default('foley-dev'),
  /** `debug` or `trace` also logs every S3 request. */
  LOG_LEVEL: logLevel,
});
export type LocalS3Config = z.infer<typeof localS3ConfigSchema>;

export const localS3DataDir = (cfg: LocalS3Config, root: string) =>
  isAbsolute(cfg.LOCAL_S3_DIR) ? cfg.LOCAL_S3_DIR : resolve(root, cfg.LOCAL_S3_DIR);
