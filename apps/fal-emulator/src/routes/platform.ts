import { Router } from 'express';
import type { EmulatorContext } from '../context';
import { KNOWN_ENDPOINTS } from '../context';
import { LIST_PRICE } from '../fal-contract';
import { requireFalKey, sendJson } from '../http';

/** fal's platform API at `api.fal.ai/v1` (fal-contract.ts): the endpoint pricing read. */
export function platformRouter(ctx: EmulatorContext): Router {
  const router = Router();
  router.get('/v1/models/pricing', requireFalKey(ctx.falKey), (req, res) => {
    const ids = ([] as unknown[]).concat(req.query.endpoint_id ?? []).map(String);
    if (ids.length === 0) return sendJson(res, 422, { detail: 'endpoint_id is required' });
    const unknown = ids.find((id) => !KNOWN_ENDPOINTS.has(id));
    if (unknown) return sendJson(res, 404, { detail: `Endpoint ${unknown} not found` });
    const unitPrice = ctx.account.view().unit_price;
    sendJson(res, 200, {
      prices: ids.map((endpoint_id) => ({ ...LIST_PRICE, endpoint_id, unit_price: unitPrice })),
      next_cursor: null,
      has_more: false,
    });
  });
  return router;
}
