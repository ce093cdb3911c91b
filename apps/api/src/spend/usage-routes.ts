import { dayOf, monthRange } from '@foley/shared/spend/budgets';
import type { SpendLedger } from '@foley/shared/spend/ledger';
import { Router } from 'express';
import { z } from 'zod';
import { tenantOf } from '../http/auth';
import { fieldIssues, validationError } from '../http/validation';

/** A usage query reads one Redis hash per day: a year at most. */
export const USAGE_MAX_DAYS = 366;

const isoDate = z
  .string()
  .regex(/^\d{4}-\d{2}-\d{2}$/, 'must be an ISO date like 2026-12-01 (UTC)')
  .refine(
    (d) => !Number.isNaN(Date.parse(`${d}T00:00:00Z`)) && dayOf(Date.parse(`${d}T00:00:00Z`)) === d,
    'must be a real calendar date',
  );

export const usageQuerySchema = z
  .strictObject({
    from: isoDate.optional().describe('first day counted (UTC, inclusive); default: the first of this month'),
    to: isoDate.optional().describe('last day counted (UTC, inclusive); default: the last of this month'),
    group_by: z.enum(['day', 'batch']).optional(),
  })
  .superRefine((q, ctx) => {
    if (q.from && q.to && q.to < q.from)
      ctx.addIssue({ code: 'custom', path: ['to'], message: 'must not be before from' });
  });

const DAY_MS = 86_400_000;

/** GET /v1/usage: the caller's own tenant's spend (spent, reserved) and job counts over UTC days. */
export function usageRouter(deps: { ledger: SpendLedger; now?: () => number }): Router {
  const router = Router();
  router.get('/v1/usage', async (req, res) => {
    const parsed = usageQuerySchema.safeParse(req.query);
    if (!parsed.success) throw validationError(fieldIssues(parsed.error, ['query'], req.query));
    const month = monthRange((deps.now ?? Date.now)());
    const from = parsed.data.from ?? month.from;
    const to = parsed.data.to ?? dayOf(Date.parse(`${month.to}T00:00:00Z`) - DAY_MS);
    const days = (Date.parse(`${to}T00:00:00Z`) - Date.parse(`${from}T00:00:00Z`)) / DAY_MS + 1;
    if (days < 1)
      throw validationError([{ field: 'query.to', rule: 'range', message: 'must not be before from' }]);
    if (days > USAGE_MAX_DAYS) {
      throw validationError([
        { field: 'query.to', rule: 'range', message: `from..to may span at most ${USAGE_MAX_DAYS} days` },
      ]);
    }
    const end = dayOf(Date.parse(`${to}T00:00:00Z`) + DAY_MS);
    const usage = await deps.ledger.usage(tenantOf(res), { from, to: end, groupBy: parsed.data.group_by });
    res.json({ ...usage, to });
  });
  return router;
}
