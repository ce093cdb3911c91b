import { type Request, type Response, Router } from 'express';
import type { EmulatorContext } from '../context';
import { applyFault } from '../fault-http';
import { sendJson } from '../http';

/**
 * Uploaded inputs, generated outputs and the sample videos: GET/HEAD with Content-Type, Content-Length
 * and byte ranges (206), as a CDN serves them. Injected `file` faults apply here.
 */
export function filesRouter(ctx: EmulatorContext): Router {
  const router = Router();
  router.get('/files/:id/:name', async (req, res) => {
    if ((await applyFault(ctx.faults, 'file', req, res)).kind !== 'continue') return;
    const file = ctx.files.get(req.params.id);
    if (!file) return sendJson(res, 404, { detail: 'File not found' });
    sendStored(req, res, file.path, file.contentType);
  });
  router.get('/samples/:name', async (req, res) => {
    if ((await applyFault(ctx.faults, 'file', req, res)).kind !== 'continue') return;
    const sample = await ctx.samples.get(req.params.name);
    if (!sample) return sendJson(res, 404, { detail: 'Unknown sample; try sample.mp4 or sample.mov' });
    sendStored(req, res, sample.path, sample.contentType);
  });
  return router;
}

function sendStored(_req: Request, res: Response, path: string, contentType: string) {
  res.sendFile(
    path,
    { headers: { 'content-type': contentType, 'cache-control': 'no-store' }, acceptRanges: true, etag: true },
    (error) => {
      if (error && !res.headersSent) sendJson(res, 404, { detail: 'File not found' });
    },
  );
}
