import { z } from 'zod';
import { toMicros } from './money';

export type BudgetPeriod = 'day' | 'month';

export interface Budget {
  tenant: string;
  limitMicros: number;
  period: BudgetPeriod;
}

/** `TENANT_BUDGETS`: `acme:500/month,beta:50/day` (USD per UTC calendar period) → budget per tenant. */
export const tenantBudgets = z.string().transform((text, ctx) => {
  const budgets = new Map<string, Budget>();
  for (const part of text
    .split(',')
    .map((p) => p.trim())
    .filter(Boolean)) {
    const match = /^([^:\s]+):(\d+(?:\.\d{1,6})?)\/(day|month)$/.exec(part);
    if (!match) {
      ctx.addIssue({ code: 'custom', message: `"${part}" must look like tenant:500/month or tenant:50/day` });
      return z.NEVER;
    }
    const [, tenant, usd, period] = match as unknown as [string, string, string, BudgetPeriod];
    budgets.set(tenant, { tenant, limitMicros: toMicros(Number(usd)), period });
  }
  return budgets;
});

/** UTC day `2026-12-01` of a timestamp (ms). */
export const dayOf = (ms: number): string => new Date(ms).toISOString().slice(0, 10);
/** UTC month `2026-12` of a timestamp (ms). */
export const monthOf = (ms: number): string => new Date(ms).toISOString().slice(0, 7);

/** The first instant of the UTC month of `ms`, and of the next one. */
export function monthRange(ms: number): { from: string; to: string } {
  const d = new Date(ms);
  const from = Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), 1);
  const to = Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + 1, 1);
  return { from: dayOf(from), to: dayOf(to) };
}

/** Days from `from` (inclusive) to `to` (exclusive), both `YYYY-MM-DD`. */
export function daysBetween(from: string, to: string): string[] {
  const days: string[] = [];
  for (let t = Date.parse(`${from}T00:00:00Z`); t < Date.parse(`${to}T00:00:00Z`); t += 86_400_000)
    days.push(dayOf(t));
  return days;
}
