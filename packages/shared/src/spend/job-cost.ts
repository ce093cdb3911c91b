import type { DubJobData, DubJobResult, JobStatus } from '../jobs/contract';
import { type CostSource, CURRENCY, type JobCost, toUsd } from './money';

/** A finished job's cost in micro-dollars; the one rule both the view and the ledger settle by. */
export interface CostMicros {
  micros: number;
  billableUnits: number;
  source: CostSource;
}

/**
 * The cost of a job that ended with `status`, or undefined while it runs (or for a job accepted
 * before prices were recorded). The unit price is the one reserved at acceptance (`price_micros`).
 */
export function jobCostMicros(
  data: Pick<DubJobData, 'price_micros' | 'fal_request_id' | 'error'>,
  status: JobStatus,
  result?: Pick<DubJobResult, 'billable_units'> | null,
): CostMicros | undefined {
  const price = data.price_micros;
  if (price === undefined) return undefined;
  if (status === 'completed') {
    const units = result?.billable_units;
    return units === undefined
      ? { micros: price, billableUnits: 1, source: 'price_list' }
      : { micros: units * price, billableUnits: units, source: 'fal' };
  }
  if (status !== 'failed' && status !== 'canceled') return undefined;
  // fal may have billed a request whose submit answer was lost: it stays counted, never released.
  if (data.error?.code === 'submit_outcome_unknown')
    return { micros: price, billableUnits: 1, source: 'reserved' };
  if (!data.fal_request_id) return { micros: 0, billableUnits: 0, source: 'none' };
  // Submitted, then failed or canceled: fal sends no billable-units header on these paths, so the job
  // is counted at the list price (fal bills a run that completed even if Foley then failed).
  return { micros: price, billableUnits: 1, source: 'price_list' };
}

export function toJobCost(cost: CostMicros): JobCost {
  return {
    amount: toUsd(cost.micros),
    currency: CURRENCY,
    billable_units: cost.billableUnits,
    source: cost.source,
  };
}
