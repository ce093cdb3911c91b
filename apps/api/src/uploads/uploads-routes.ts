import { randomBytes } from 'node:crypto';
import type { ObjectStore } from '@foley/shared/infra/object-store';
import { MODEL_LIMITS, VIDEO_CONTENT_TYPES } from '@foley/shared/jobs/model';
import { Router } from 'express';
import { z } from 'zod';
import { tenantOf } from '../http/auth';
import { requireJson } from '../http/errors';
import { jsonBody } from '../http/json-body';
import { parseBody } from '../http/validation';
import type { UploadQuota } from './upload-quota';

/** The video URL outlives any queue wait: SigV4's maximum, 7 days (the CLI needs ≥ 24 h). */
export const UPLOAD_GET_TTL_SECONDS = 7 * 24 * 3600;
/** The upload form's policy expires soon: S3 refuses a POST that starts later (it can be reused until then). */
export const UPLOAD_POST_TTL_SECONDS = 15 * 60;

const EXTENSIONS: Record<(typeof VIDEO_CONTENT_TYPES)[number], string> = {
  'video/mp4': '.mp4',
  'video/quicktime': '.mov',
};

export const createUploadSchema = z
  .strictObject({
    file_name: z.string().min(1).max(255),
    content_type: z.enum(VIDEO_CONTENT_TYPES),
    size: z
      .number()
      .int()
      .min(1)
      .max(MODEL_LIMITS.videoMaxBytes, { message: `must be at most ${MODEL_LIMITS.videoMaxBytes} bytes` }),
  })
  .refine((b) => safeFileName(b.file_name).toLowerCase().endsWith(EXTENSIONS[b.content_type]), {
    message: 'must end in .mp4 for video/mp4 or .mov for video/quicktime',
    path: ['file_name'],
  });

/** Keeps the last path segment and only characters safe in an S3 key and a URL. */
export function safeFileName(name: string): string {
  const base = name.split(/[\\/]/).pop() ?? '';
  const cleaned = base.replace(/[^A-Za-z0-9._-]/g, '_').replace(/^\.+/, '');
  return cleaned.slice(-128) || 'video';
}

export const uploadKey = (tenant: string, fileName: string) =>
  `uploads/${tenant}/${randomBytes(12).toString('hex')}/${safeFileName(fileName)}`;

/**
 * POST /v1/uploads: a presigned S3 POST for a local video (the CLI uploads with it) and a presigned GET
 * to submit as `video_url`. The POST's policy binds the key, the Content-Type and the size (1 byte up to
 * the declared `size`, itself at most the model's 100 MB), and S3 enforces it; each URL counts against
 * the tenant's hourly quota. The worker's preflight checks the video like any other URL.
 */
export function uploadsRouter(deps: {
  store: Pick<ObjectStore, 'bucket' | 'presignPost' | 'presignGet'>;
  quota: UploadQuota;
}): Router {
  const router = Router();
  router.post(
    '/v1/uploads',
    requireJson(),
    jsonBody({ limit: 4096, type: 'application/json' }),
    async (req, res) => {
      const body = parseBody(createUploadSchema, req.body);
      const tenant = tenantOf(res);
      await deps.quota.take(tenant);
      const key = uploadKey(tenant, body.file_name);
      const [post, videoUrl] = await Promise.all([
        deps.store.presignPost(key, {
          contentType: body.content_type,
          maxBytes: body.size,
          ttlSeconds: UPLOAD_POST_TTL_SECONDS,
        }),
        deps.store.presignGet(key, { ttlSeconds: UPLOAD_GET_TTL_SECONDS }),
      ]);
      res.status(201).json({
        object: 'upload',
        bucket: deps.store.bucket,
        key,
        upload_url: post.url,
        upload_method: 'POST',
        upload_fields: post.fields,
        upload_expires_at: new Date(Date.now() + UPLOAD_POST_TTL_SECONDS * 1000).toISOString(),
        max_bytes: body.size,
        video_url: videoUrl,
        video_url_expires_at: new Date(Date.now() + UPLOAD_GET_TTL_SECONDS * 1000).toISOString(),
      });
    },
  );
  return router;
}
