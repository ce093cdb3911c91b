import express, { type Request, type Response, Router } from 'express';
import { z } from 'zod';
import type { EmulatorContext } from '../context';
import { UploadError } from '../file-store';
import { requireFalKey, sendJson } from '../http';

const MAX_UPLOAD_BYTES = 1024 * 1024 * 1024;
const MAX_PART_BYTES = 64 * 1024 * 1024;

const initiateBody = z.object({
  content_type: z.string().min(1).default('application/octet-stream'),
  file_name: z.string().min(1).default('file'),
});
const completeBody = z.object({
  parts: z.array(z.object({ partNumber: z.number().int().min(1), etag: z.string() })).min(1),
});

/** `/rest.fal.ai/storage/upload/initiate[-multipart]` (auth'd): where to PUT a file and where it will live. */
export function storageRouter(ctx: EmulatorContext): Router {
  const router = Router();
  router.use(requireFalKey(ctx.falKey), express.json({ limit: '64kb' }));
  const initiate = (multipart: boolean) => (req: Request, res: Response) => {
    const parsed = initiateBody.safeParse(req.body ?? {});
    if (!parsed.success)
      return sendJson(res, 422, { detail: parsed.error.issues.map((i) => i.message).join('; ') });
    const { id, name } = ctx.files.initiate({
      name: parsed.data.file_name,
      contentType: parsed.data.content_type,
    });
    sendJson(res, 200, {
      upload_url: `${ctx.publicUrl()}/_emulator/uploads/${id}${multipart ? '/multipart' : ''}`,
      file_url: ctx.files.url({ id, name }),
    });
  };
  router.post('/storage/upload/initiate', initiate(false));
  router.post('/storage/upload/initiate-multipart', initiate(true));
  return router;
}

/** The upload URLs handed out above: no auth (the client sends none), bodies streamed to disk. */
export function uploadRouter(ctx: EmulatorContext): Router {
  const router = Router();
  router.put('/:id', async (req, res) => {
    await ctx.files.put(req.params.id, req, MAX_UPLOAD_BYTES);
    sendJson(res, 200, {});
  });
  router.put('/:id/multipart/:part', async (req, res) => {
    const partNumber = Number(req.params.part);
    if (!Number.isInteger(partNumber) || partNumber < 1 || partNumber > 10_000) {
      return sendJson(res, 400, { detail: 'Invalid part number' });
    }
    const { etag } = await ctx.files.putPart(req.params.id, partNumber, req, MAX_PART_BYTES);
    sendJson(res, 200, { partNumber, etag });
  });
  router.post('/:id/multipart/complete', express.json({ limit: '1mb' }), async (req, res) => {
    const parsed = completeBody.safeParse(req.body);
    if (!parsed.success)
      return sendJson(res, 400, { detail: 'Body must be {"parts":[{"partNumber","etag"}…]}' });
    const file = await ctx.files.complete(req.params.id, parsed.data.parts);
    sendJson(res, 200, { file_url: ctx.files.url(file), size: file.size });
  });
  router.use((error: unknown, _req: Request, res: Response, next: (e?: unknown) => void) => {
    if (!(error instanceof UploadError)) return next(error);
    if (!res.headersSent) sendJson(res, error.status, { detail: error.message });
  });
  return router;
}
