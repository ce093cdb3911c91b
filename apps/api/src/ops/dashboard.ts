import { createBullBoard } from '@bull-board/api';
import { BullMQAdapter } from '@bull-board/api/bullMQAdapter';
import { ExpressAdapter } from '@bull-board/express';
import type { Logger } from '@foley/shared/infra/logger';
import { QUEUES } from '@foley/shared/queues/catalog';
import type { Queue } from 'bullmq';
import { type RequestHandler, Router } from 'express';
import { type AdminAccount, adminRoleOf, forbidWritesForReadOnly, requireAdmin } from './dashboard-auth';
import { dubJobName, redactDeep, webhookJobName } from './dashboard-redaction';
import type { Overview } from './overview';
import { renderOverview } from './overview-page';

type BoardServerAdapter = Parameters<typeof createBullBoard>[0]['serverAdapter'];

export const DASHBOARD_PATH = '/admin/queues';
export const OVERVIEW_PATH = '/admin';

export interface DashboardSettings {
  ADMIN_USER?: string | undefined;
  ADMIN_PASSWORD?: string | undefined;
  ADMIN_READONLY_USER?: string | undefined;
  ADMIN_READONLY_PASSWORD?: string | undefined;
}

/**
 * The ops dashboard (Bull Board) at /admin/queues behind HTTP Basic auth, or undefined (and a log line)
 * when ADMIN_USER is not set. Two boards share the URL: the admin's, and one whose queues are in
 * Bull Board's read-only mode for ADMIN_READONLY_USER, who is also refused every non-GET request (403).
 */
export function dashboardRouter(opts: {
  settings: DashboardSettings;
  queues: Queue[];
  logger: Logger;
  /** The /admin overview's data (accounts, tenants); without it only Bull Board is served. */
  overview?: () => Promise<Overview>;
}): Router | undefined {
  const accounts = adminAccounts(opts.settings);
  if (!accounts) {
    opts.logger.info('dashboard disabled: set ADMIN_USER and ADMIN_PASSWORD to serve it at /admin/queues');
    return undefined;
  }
  const admin = board(opts.queues, false);
  const readOnly = board(opts.queues, true);
  const router = Router();
  const { overview } = opts;
  if (overview) {
    // Read-only for everyone: a GET page; the read-only user sees it as the admin does.
    router.get(OVERVIEW_PATH, requireAdmin(accounts), async (_req, res) => {
      res
        .type('html')
        .set('Cache-Control', 'no-store')
        .send(renderOverview(await overview(), { queues: DASHBOARD_PATH }));
    });
  }
  router.use(DASHBOARD_PATH, requireAdmin(accounts), forbidWritesForReadOnly, (req, res, next) =>
    (adminRoleOf(res) === 'admin' ? admin : readOnly)(req, res, next),
  );
  return router;
}

/** The accounts from the settings; throws on half-configured ones (a user without a password). */
export function adminAccounts(s: DashboardSettings): AdminAccount[] | undefined {
  if (!s.ADMIN_USER) return undefined;
  if (!s.ADMIN_PASSWORD) throw new Error('ADMIN_PASSWORD must be set when ADMIN_USER is');
  const accounts: AdminAccount[] = [{ user: s.ADMIN_USER, password: s.ADMIN_PASSWORD, role: 'admin' }];
  if (s.ADMIN_READONLY_USER) {
    if (!s.ADMIN_READONLY_PASSWORD)
      throw new Error('ADMIN_READONLY_PASSWORD must be set when ADMIN_READONLY_USER is');
    if (s.ADMIN_READONLY_USER === s.ADMIN_USER)
      throw new Error('ADMIN_READONLY_USER must differ from ADMIN_USER');
    accounts.push({ user: s.ADMIN_READONLY_USER, password: s.ADMIN_READONLY_PASSWORD, role: 'readonly' });
  }
  return accounts;
}

function board(queues: Queue[], readOnlyMode: boolean): RequestHandler {
  const serverAdapter = new ExpressAdapter();
  serverAdapter.setBasePath(DASHBOARD_PATH);
  createBullBoard({
    queues: queues.map((queue) => redactingAdapter(queue, readOnlyMode)),
    // @bull-board/express 9.10.1 declares types from @bull-board/api 9.10.1; at run time it uses none of them.
    serverAdapter: serverAdapter as unknown as BoardServerAdapter,
    options: {
      uiConfig: {
        boardTitle: readOnlyMode ? 'Foley (read-only)' : 'Foley',
        miscLinks: [{ text: 'Overview', url: OVERVIEW_PATH }],
      },
      // Formatters cover data/returnValue/progress/name; this also scrubs failedReason, stack traces and logs.
      handlerHooks: {
        after: (_context, result) => ({ ...result, body: redactDeep(result.body) as typeof result.body }),
      },
    },
  });
  const app = serverAdapter.getRouter() as { disable?: (setting: string) => void } & RequestHandler;
  app.disable?.('x-powered-by');
  return app;
}

function redactingAdapter(queue: Queue, readOnlyMode: boolean): BullMQAdapter {
  const adapter = new BullMQAdapter(queue, {
    readOnlyMode,
    allowRetries: !readOnlyMode,
    description:
      queue.name === QUEUES.dubbing.name
        ? 'Videos being dubbed. A retry resumes the saved fal request: it never submits twice.'
        : 'Outbound webhook deliveries (signed, retried on a schedule).',
  });
  adapter.setFormatter('data', (data) => redactDeep(data));
  adapter.setFormatter('returnValue', (value) => redactDeep(value));
  adapter.setFormatter('progress', (value) => redactDeep(value));
  adapter.setFormatter('name', (job) =>
    queue.name === QUEUES.dubbing.name ? dubJobName(job) : webhookJobName(job),
  );
  return adapter;
}
