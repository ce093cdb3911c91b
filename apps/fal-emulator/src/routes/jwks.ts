import { Router } from 'express';
import type { EmulatorContext } from '../context';
import { sendJson } from '../http';

/** The public key(s) webhook receivers verify fal's signatures with. */
export function jwksRouter(ctx: EmulatorContext): Router {
  const router = Router();
  router.get('/.well-known/jwks.json', (_req, res) => sendJson(res, 200, ctx.signer.jwks));
  return router;
}
