import { randomBytes } from 'node:crypto';
import type { ObjectStore } from '@foley/shared/infra/object-store';
import { MODEL_LIMITS, VIDEO_CONTENT_TYPES } from '@foley/shared/jobs/model';
import { Router } from 'express';
import { z } from 'zod';
import { tenantOf } from '../http/auth';
import { requireJson } from '../http/errors';
import { jsonBody } from '../http/json-body';
import { parseBody } from '../http/validation';

/** The video URL outlives any queue wait: SigV4's maximum, 7 days (the CLI needs ≥ 24 h). */
export const UPLOAD_GET_TTL_SECONDS = 7 * 24 * 3600;
export const UPLOAD_PUT_TTL_SECONDS = 3600;

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
 * POST /v1/uploads: a presigned S3 PUT for a local video (the CLI uploads with it) and a presigned GET
 * to submit as `video_url`. The worker's preflight checks the video like any other URL.
 */
export function uploadsRouter(deps: {
  store: Pick<ObjectStore, 'bucket' | 'presignPut' | 'presignGet'>;
}): Router {
  const router = Router();
  router.post(
    '/v1/uploads',
    requireJson(),
    jsonBody({ limit: 4096, type: 'application/json' }),
    async (req, res) => {
      const body = parseBody(createUploadSchema, req.body);
      const key = uploadKey(tenantOf(res), body.file_name);
      const [uploadUrl, videoUrl] = await Promise.all([
        deps.store.presignPut(key, { contentType: body.content_type, ttlSeconds: UPLOAD_PUT_TTL_SECONDS }),
        deps.store.presignGet(key, { ttlSeconds: UPLOAD_GET_TTL_SECONDS }),
      ]);
      res.status(201).json({
        object: 'upload',
        bucket: deps.store.bucket,
        key,
        upload_url: uploadUrl,
        upload_method: 'PUT',
        upload_headers: { 'content-type': body.content_type },
        video_url: videoUrl,
        video_url_expires_at: new Date(Date.now() + UPLOAD_GET_TTL_SECONDS * 1000).toISOString(),
      });
    },
  );
  return router;
}
