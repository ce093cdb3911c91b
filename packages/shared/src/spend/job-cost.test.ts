import { describe, expect, it } from 'vitest';
import { tenantBudgets } from './budgets';
import { jobCostMicros } from './job-cost';
import { toMicros } from './money';

const price = 35_000;

describe('jobCostMicros', () => {
  it('completed: fal’s billable units × the reserved unit price, else the price list', () => {
    expect(jobCostMicros({ price_micros: price }, 'completed', { billable_units: 2 })).toEqual({
      micros: 70_000,
      billableUnits: 2,
      source: 'fal',
    });
    expect(jobCostMicros({ price_micros: price }, 'completed', { billable_units: 0 })).toMatchObject({
      micros: 0,
      source: 'fal',
    });
    expect(jobCostMicros({ price_micros: price }, 'completed', {})).toEqual({
      micros: price,
      billableUnits: 1,
      source: 'price_list',
    });
  });

  it('failed or canceled before the submit costs nothing; after it, the list price', () => {
    const canceled = { price_micros: price, error: { code: 'canceled' as const, message: '' } };
    expect(jobCostMicros(canceled, 'canceled')).toEqual({ micros: 0, billableUnits: 0, source: 'none' });
    expect(jobCostMicros({ ...canceled, fal_request_id: 'r1' }, 'canceled')).toMatchObject({
      micros: price,
      source: 'price_list',
    });
  });

  it('an unknown submit outcome counts as billed and stays reserved', () => {
    const data = { price_micros: price, error: { code: 'submit_outcome_unknown' as const, message: '' } };
    expect(jobCostMicros(data, 'failed')).toEqual({ micros: price, billableUnits: 1, source: 'reserved' });
  });

  it('a running job, or one accepted before prices were recorded, has no cost yet', () => {
    expect(jobCostMicros({ price_micros: price }, 'processing')).toBeUndefined();
    expect(jobCostMicros({}, 'completed', { billable_units: 1 })).toBeUndefined();
  });
});

describe('money and budgets', () => {
  it('rounds USD to whole micro-dollars', () => {
    expect(toMicros(0.035)).toBe(35_000);
    expect(toMicros(0.1 + 0.2)).toBe(300_000);
  });

  it('parses TENANT_BUDGETS and names a bad entry', () => {
    const parsed = tenantBudgets.parse('acme:500/month, beta:50.5/day');
    expect([...parsed.values()]).toEqual([
      { tenant: 'acme', limitMicros: 500_000_000, period: 'month' },
      { tenant: 'beta', limitMicros: 50_500_000, period: 'day' },
    ]);
    const bad = tenantBudgets.safeParse('acme:500/week');
    expect(bad.success).toBe(false);
    expect(bad.error?.issues[0]?.message).toContain('acme:500/week');
  });
});
