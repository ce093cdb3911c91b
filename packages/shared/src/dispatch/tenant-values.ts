import { z } from 'zod';

/**
 * Per-tenant settings in one variable: `acme:2,beta:1` (TENANT_WEIGHTS), `acme:own,beta:main`
 * (TENANT_FAL_ACCOUNTS). For limits a bare value or `*:value` is the default of every other tenant:
 * `TENANT_MAX_QUEUED=50000` or `TENANT_MAX_QUEUED=*:50000,acme:200000`.
 */
export interface TenantValues<T> {
  /** The value of tenants not listed, if any. */
  fallback?: T;
  byTenant: Record<string, T>;
}

export const tenantValue = <T>(values: TenantValues<T>, tenant: string): T | undefined =>
  Object.hasOwn(values.byTenant, tenant) ? values.byTenant[tenant] : values.fallback;

const TENANT = /^[A-Za-z0-9_.-]+$/;

/** A `name:value` list whose values `value` parses; `allowFallback` accepts a bare value or `*:value`. */
export function tenantValues<T>(value: z.ZodType<T>, opts: { allowFallback: boolean }) {
  return z.string().transform((text, ctx): TenantValues<T> => {
    const out: TenantValues<T> = { byTenant: {} };
    for (const raw of text
      .split(',')
      .map((p) => p.trim())
      .filter(Boolean)) {
      const colon = raw.indexOf(':');
      const name = colon === -1 ? '*' : raw.slice(0, colon).trim();
      const parsed = value.safeParse(colon === -1 ? raw : raw.slice(colon + 1).trim());
      if (name === '*' && !opts.allowFallback) {
        ctx.addIssue({ code: 'custom', message: `"${raw}": each entry must be tenant:value` });
        return z.NEVER;
      }
      if (name !== '*' && !TENANT.test(name)) {
        ctx.addIssue({ code: 'custom', message: `"${raw}": tenant names use letters, digits, _ . - only` });
        return z.NEVER;
      }
      if (!parsed.success) {
        const why = parsed.error.issues[0]?.message ?? 'invalid value';
        ctx.addIssue({ code: 'custom', message: `"${raw}": ${why}` });
        return z.NEVER;
      }
      if (name === '*') out.fallback = parsed.data;
      else out.byTenant[name] = parsed.data;
    }
    return out;
  });
}

const positiveInt = z.coerce.number().int().min(1);

/** Config shared by the API and the worker: who is dispatched how, and each tenant's limits. */
export const dispatchEnv = {
  /** Share of dispatches while several tenants wait: `acme:2,beta:1`; unlisted tenants weigh 1. */
  TENANT_WEIGHTS: tenantValues(z.coerce.number().min(0.01).max(1000), { allowFallback: true }).default({
    byTenant: {},
  }),
  /** Which fal account serves a tenant: `acme:own,beta:main`; unmapped tenants use the first account. */
  TENANT_FAL_ACCOUNTS: tenantValues(z.string().regex(TENANT, 'account names use letters, digits, _ . -'), {
    allowFallback: false,
  }).default({ byTenant: {} }),
  /** Unfinished (queued or processing) jobs per tenant; exactly the limit is allowed. */
  TENANT_MAX_QUEUED: tenantValues(positiveInt, { allowFallback: true }).default({
    fallback: 50_000,
    byTenant: {},
  }),
  /** Jobs at fal at once per tenant (default unlimited: only the account's concurrency). */
  TENANT_MAX_RUNNING: tenantValues(positiveInt, { allowFallback: true }).default({ byTenant: {} }),
};
