import { z } from 'zod';

/**
 * Money is counted in integer micro-dollars (1 USD = 1,000,000) everywhere it is stored or added, so
 * sums are exact; it is shown as a JSON number of USD only at the edge (views, usage, metrics).
 */
export const MICROS_PER_USD = 1_000_000;
export const CURRENCY = 'USD' as const;

export const toMicros = (usd: number): number => Math.round(usd * MICROS_PER_USD);
export const toUsd = (micros: number): number => micros / MICROS_PER_USD;

/** A USD amount as configured (`0.035`): non-negative, at most micro-dollar precision. */
export const usdAmount = z.coerce
  .number()
  .nonnegative('must be a non-negative USD amount')
  .refine((v) => Number.isFinite(v) && v < 1e9, 'must be below 1e9 USD')
  .transform(toMicros);

export const COST_SOURCES = ['fal', 'price_list', 'none', 'reserved'] as const;
export type CostSource = (typeof COST_SOURCES)[number];

/** A finished job's cost as clients see it (job view, webhook `data.cost`). */
export const jobCostSchema = z.object({
  amount: z.number().describe('USD'),
  currency: z.literal(CURRENCY),
  billable_units: z.number().int().nonnegative(),
  source: z
    .enum(COST_SOURCES)
    .describe(
      'fal: billable units from fal × unit price; price_list: the configured price; none: never submitted; reserved: submit outcome unknown, counted as billed',
    ),
});
export type JobCost = z.infer<typeof jobCostSchema>;

export const estimatedCostSchema = z.object({
  amount: z.number().describe('USD'),
  currency: z.literal(CURRENCY),
  unit_price: z.number().describe('USD per video'),
  videos: z.number().int().nonnegative(),
});
export type EstimatedCost = z.infer<typeof estimatedCostSchema>;

export function estimate(count: number, unitMicros: number): EstimatedCost {
  return {
    amount: toUsd(count * unitMicros),
    currency: CURRENCY,
    unit_price: toUsd(unitMicros),
    videos: count,
  };
}
