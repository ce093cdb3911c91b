import type { FoleyMetrics } from '../infra/metrics';
import type { OnJobFinished } from '../jobs/finished';
import type { SpendLedger } from './ledger';
import { toMicros, toUsd } from './money';
import { DEFAULT_ACCOUNT } from './price';

/**
 * The job-end hook that settles a job's reservation to its cost (the view's `cost`, one rule:
 * job-cost.ts). Runs wherever a job ends — the worker, or the API canceling a queued job.
 */
export function spendSettleHook(deps: {
  ledger: SpendLedger;
  metrics?: Pick<FoleyMetrics, 'spendUsdTotal' | 'budgetRemainingUsd'>;
  /** The fal account a tenant's jobs run on (issue-13); `default` until accounts exist. */
  accountOf?: (tenant: string) => string;
}): OnJobFinished {
  return async (view, context) => {
    if (!context || context.priceMicros === undefined || !view.cost) return;
    const status = view.status;
    if (status !== 'completed' && status !== 'failed' && status !== 'canceled') return;
    const actualMicros = toMicros(view.cost.amount);
    const settled = await deps.ledger.settle({
      tenant: context.tenant,
      jobId: view.id,
      createdAt: view.created_at,
      batchId: view.batch_id,
      status,
      reservedMicros: context.priceMicros,
      actualMicros,
      keepReserved: view.cost.source === 'reserved',
    });
    if (!settled || !deps.metrics) return;
    const account = deps.accountOf?.(context.tenant) ?? DEFAULT_ACCOUNT;
    if (actualMicros > 0 && view.cost.source !== 'reserved')
      deps.metrics.spendUsdTotal.inc({ tenant: context.tenant, account }, toUsd(actualMicros));
    const state = await deps.ledger.budgetState(context.tenant, Date.now());
    if (state) deps.metrics.budgetRemainingUsd.set({ tenant: context.tenant }, state.remaining);
  };
}
