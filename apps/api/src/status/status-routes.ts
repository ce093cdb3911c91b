import { accountOf, readAccountState, readAccounts } from '@foley/shared/dispatch/account-state';
import type { ReadyList } from '@foley/shared/dispatch/ready-entry';
import type { FoleyKeys } from '@foley/shared/infra/keys';
import type { RedisClient } from '@foley/shared/infra/redis';
import { Router } from 'express';
import { tenantOf } from '../http/auth';

/**
 * GET /v1/status: is dispatch to fal for the caller's account running, slowed or paused (and why), and
 * how much of its queue quota the caller uses. Any key may ask; it names no other tenant.
 */
export function statusRouter(deps: {
  redis: RedisClient;
  keys: FoleyKeys;
  ready: Pick<ReadyList, 'open'>;
  accounts: { byTenant: Record<string, string> };
  maxQueued: (tenant: string) => number | undefined;
}): Router {
  const router = Router();
  router.get('/v1/status', async (_req, res) => {
    const tenant = tenantOf(res);
    const account = accountOf(tenant, deps.accounts, await readAccounts(deps.redis, deps.keys));
    const [dispatch, open] = await Promise.all([
      readAccountState(deps.redis, deps.keys, account),
      deps.ready.open(tenant),
    ]);
    res.json({
      dispatch,
      quota: { unfinished_jobs: open, max_unfinished_jobs: deps.maxQueued(tenant) ?? null },
    });
  });
  return router;
}
