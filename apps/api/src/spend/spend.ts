import type { FoleyMetrics } from '@foley/shared/infra/metrics';
import type { Budget } from '@foley/shared/spend/budgets';
import type { ReservationStep, ReserveRequest, SpendLedger } from '@foley/shared/spend/ledger';
import { DEFAULT_ACCOUNT, type PriceList } from '@foley/shared/spend/price';

/** What the jobs and batches services need to price and reserve what they accept. */
export interface Spend {
  /** Micro-dollars per video for the tenant's fal account. */
  unitMicros(tenant: string): number;
  /** Throws `402 budget_exceeded` when the reservation would overshoot; a dry run writes nothing. */
  reserve(req: ReserveRequest): Promise<void>;
  /** `reserve` as a step of the intake script (one round trip with the job's add); same 402, same gauge. */
  reservation(req: ReserveRequest): ReservationStep;
  unreserve(req: ReserveRequest): Promise<void>;
  ledger: SpendLedger;
}

export function createSpend(deps: {
  ledger: SpendLedger;
  prices: PriceList;
  budgets: Map<string, Budget>;
  /** The fal account of a tenant (issue-13's TENANT_FAL_ACCOUNTS); `default` until then. */
  accountOf?: (tenant: string) => string;
  metrics?: Pick<FoleyMetrics, 'budgetRemainingUsd' | 'budgetUsd'>;
}): Spend {
  const accountOf = deps.accountOf ?? (() => DEFAULT_ACCOUNT);
  for (const budget of deps.budgets.values())
    deps.metrics?.budgetUsd.set({ tenant: budget.tenant }, budget.limitMicros / 1_000_000);
  return {
    unitMicros: (tenant) => deps.prices.priceFor(accountOf(tenant)),
    async reserve(req) {
      const state = await deps.ledger.reserve(req);
      if (state && !req.dryRun) deps.metrics?.budgetRemainingUsd.set({ tenant: req.tenant }, state.remaining);
    },
    reservation(req) {
      const step = deps.ledger.reservation(req);
      return {
        ...step,
        outcome(accepted, spent, reserved) {
          const state = step.outcome(accepted, spent, reserved);
          if (state && !req.dryRun)
            deps.metrics?.budgetRemainingUsd.set({ tenant: req.tenant }, state.remaining);
          return state;
        },
      };
    },
    unreserve: (req) => deps.ledger.unreserve(req),
    ledger: deps.ledger,
  };
}
