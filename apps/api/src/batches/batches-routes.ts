import { createHash } from 'node:crypto';
import { type Request, type Response, Router } from 'express';
import { tenantOf } from '../http/auth';
import { jsonBody } from '../http/json-body';
import type { Idempotency } from '../jobs/idempotency';
import type { BatchesService, ParsedBatch } from './batches-service';
import { bodyTooLarge } from './parsing/body-limits';
import { assertPlainUtf8, batchFormat, itemCollector, readStreamedBatch } from './parsing/read-batch';
import { parseBatchQuery, readJsonBatch } from './parsing/settings';

export function batchesRouter(deps: {
  batches: BatchesService;
  idempotency: Idempotency;
  /** BATCH_BODY_LIMIT (bytes) and BATCH_MAX_ITEMS. */
  bodyLimit: number;
  maxItems: number;
}): Router {
  const router = Router();
  const json = jsonBody({
    limit: deps.bodyLimit,
    type: () => true, // the route has already checked the content type
    onBytes: (res, bytes) => {
      res.locals.bodyDigest = createHash('sha256').update(bytes).digest('hex');
    },
  });

  router.post('/v1/batches', async (req, res) => {
    const format = batchFormat(req.get('content-type'));
    if (format !== 'json') assertPlainUtf8(req.get('content-type'), req.get('content-encoding'));
    const { atomic, dryRun, settings } = parseBatchQuery(req.query, format);
    const key = deps.idempotency.validateKey(req.get('idempotency-key'));
    let parsed: ParsedBatch;
    try {
      if (Number(req.get('content-length') ?? 0) > deps.bodyLimit) throw bodyTooLarge(deps.bodyLimit);
      if (format === 'json') {
        await new Promise<void>((resolve, reject) =>
          json(req, res, (err) => (err ? reject(err) : resolve())),
        );
        const { items, sink } = itemCollector(deps.maxItems);
        const fromBody = readJsonBatch(req.body, deps.maxItems, sink);
        parsed = { settings: fromBody, items, fingerprint: fingerprint(req, res.locals.bodyDigest, format) };
      } else {
        const read = await readStreamedBatch(format, req, { limit: deps.bodyLimit, maxItems: deps.maxItems });
        parsed = { settings, items: read.items, fingerprint: fingerprint(req, read.digest, format) };
      }
    } catch (error) {
      stopReading(req, res);
      throw error;
    }
    if (dryRun) {
      res.status(200).json(await deps.batches.dryRun(tenantOf(res), parsed, { atomic }));
      return;
    }
    const { batch, replayed } = await deps.batches.create(tenantOf(res), parsed, {
      atomic,
      idempotencyKey: key,
    });
    res
      .status(replayed ? 200 : 202)
      .location(`/v1/batches/${batch.id}`)
      .json(batch);
  });

  router.get('/v1/batches/:id', async (req, res) => {
    res.json(await deps.batches.get(tenantOf(res), req.params.id ?? ''));
  });

  router.post('/v1/batches/:id/cancel', async (req, res) => {
    const batch = await deps.batches.cancel(tenantOf(res), req.params.id ?? '');
    res.status(batch.status === 'processing' ? 202 : 200).json(batch);
  });

  return router;
}

const fingerprint = (req: Request, digest: unknown, format: string) => ({
  body_sha256: String(digest),
  format,
  query: req.query,
});

/**
 * A body refused part-way (too large, too many items, unreadable) is not read to its end: the answer
 * closes the connection, so the rest of the upload is never received.
 */
function stopReading(req: Request, res: Response) {
  if (req.complete) return;
  res.set('Connection', 'close');
  req.unpipe();
  req.pause();
}
