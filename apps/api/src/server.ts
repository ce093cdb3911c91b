import type { Server } from 'node:http';
import { createBatchStore } from '@foley/shared/batches/store';
import { createBatchTracker } from '@foley/shared/batches/tracker';
import { accountOf } from '@foley/shared/dispatch/account-state';
import { createReadyList } from '@foley/shared/dispatch/ready-entry';
import { tenantValue } from '@foley/shared/dispatch/tenant-values';
import { foleyKeys } from '@foley/shared/infra/keys';
import type { Logger } from '@foley/shared/infra/logger';
import { createMetrics } from '@foley/shared/infra/metrics';
import { createRedis, waitUntilReady } from '@foley/shared/infra/redis';
import { redisSettingsOf } from '@foley/shared/infra/redis-config';
import { createConfiguredStore } from '@foley/shared/infra/s3';
import type { DubJobData, DubJobResult } from '@foley/shared/jobs/contract';
import { composeOnJobFinished, type OnJobFinished } from '@foley/shared/jobs/finished';
import { MODEL_ENDPOINT } from '@foley/shared/jobs/model';
import { createJobSignalStore } from '@foley/shared/jobs/signals';
import { QUEUES } from '@foley/shared/queues/catalog';
import { createSpendLedger } from '@foley/shared/spend/ledger';
import { createPriceList, fetchFalUnitPrice, startPricingRefresh } from '@foley/shared/spend/price';
import { spendSettleHook } from '@foley/shared/spend/settle-hook';
import type { WebhookJobData } from '@foley/shared/webhooks/events';
import { Queue } from 'bullmq';
import type { Router } from 'express';
import { createApp } from './app';
import { createBatchProgress } from './batches/batch-progress';
import { batchesRouter } from './batches/batches-routes';
import { createBatchesService } from './batches/batches-service';
import type { ApiConfig } from './config';
import { falCallbackRouter } from './fal-callback/fal-callback-route';
import { createFalWebhookVerifier, falJwksUrl } from './fal-callback/fal-callback-verifier';
import { parseApiKeys } from './http/auth';
import { openapiRouter } from './http/openapi';
import { createIdempotency } from './jobs/idempotency';
import { createJobReader } from './jobs/job-reader';
import { jobsRouter } from './jobs/jobs-routes';
import { createJobsService } from './jobs/jobs-service';
import { createUrlPolicy } from './jobs/url-policy';
import { rateLimit } from './limits/rate-limit';
import { createTokenBucket } from './limits/token-bucket';
import { dashboardRouter } from './ops/dashboard';
import { healthRouter, readinessChecks } from './ops/health-routes';
import { metricsRouter } from './ops/metrics-route';
import { createOverview } from './ops/overview';
import { createAccountRegistry } from './spend/account-registry';
import { createSpend } from './spend/spend';
import { usageRouter } from './spend/usage-routes';
import { statusRouter } from './status/status-routes';
import { createUploadQuota } from './uploads/upload-quota';
import { uploadsRouter } from './uploads/uploads-routes';
import { createApiWebhooks } from './webhooks/webhooks-service';

export interface RunningApi {
  url: string;
  port: number;
  close(): Promise<void>;
}

/** Builds every client and service of the API from its config, and serves it. */
export async function startApi(config: ApiConfig, logger: Logger): Promise<RunningApi> {
  const apiKeys = parseApiKeys(config.API_KEYS);
  // Queues, readers and Bull Board share this fail-fast connection (any topology).
  const redis = createRedis(redisSettingsOf(config), 'producer');
  // Start even while Redis is down (requests get 503 until it is back), but give it a moment to connect.
  await waitUntilReady(redis, 3_000);
  const keys = foleyKeys(config.QUEUE_PREFIX);
  const metrics = createMetrics({ service: 'api' });
  const { client: s3, store } = createConfiguredStore(config, {
    onBytesUploaded: (bytes) => metrics.s3BytesTotal.inc(bytes),
  });
  const dubbing = new Queue<DubJobData, DubJobResult>(QUEUES.dubbing.name, {
    connection: redis,
    prefix: config.QUEUE_PREFIX,
  });
  dubbing.on('error', (err) => logger.debug({ err: err.message }, 'queue connection error'));

  const reader = createJobReader({ queue: dubbing, redis, keys, store });
  const idempotency = createIdempotency({ redis, keys, ttlMs: config.IDEMPOTENCY_TTL });
  const urls = createUrlPolicy(config.URL_ALLOWLIST);
  // Batches: counters, manifest and `batch.completed` hang off job ends.
  const batchStore = createBatchStore({ redis, keys });
  // Webhooks: job.* events for jobs the API ends (queued cancels), batch.completed, redeliveries.
  const webhooksQueue = new Queue<WebhookJobData>(QUEUES.webhooks.name, {
    connection: redis,
    prefix: config.QUEUE_PREFIX,
  });
  webhooksQueue.on('error', (err) => logger.debug({ err: err.message }, 'queue connection error'));
  const webhooks = createApiWebhooks({ queue: webhooksQueue, redis, keys, config });
  const batchTracker = createBatchTracker({ redis, keys, store, emit: webhooks.emit });
  // Spend: prices (fal's pricing API when an admin key is set, else configured), budgets, the ledger.
  const ledger = createSpendLedger({ redis, keys, budgets: config.TENANT_BUDGETS });
  const prices = createPriceList({
    defaultMicros: config.FAL_PRICE_PER_VIDEO,
    perAccount: config.FAL_ACCOUNT_PRICES,
  });
  const adminKey = config.FAL_ADMIN_KEY;
  const pricing = adminKey
    ? startPricingRefresh({
        prices,
        configuredMicros: config.FAL_PRICE_PER_VIDEO,
        read: () => fetchFalUnitPrice({ adminKey, endpointId: MODEL_ENDPOINT, baseUrl: config.FAL_BASE_URL }),
        onError: (err) =>
          logger.warn({ err: (err as Error).message }, "fal's pricing API failed; using FAL_PRICE_PER_VIDEO"),
      })
    : undefined;
  await pricing?.ready;
  // Prices follow the tenant's fal account (TENANT_FAL_ACCOUNTS; unmapped tenants: the workers' first).
  const accountRegistry = createAccountRegistry({ redis, keys });
  await accountRegistry.ready;
  const tenantAccount = (tenant: string) =>
    accountOf(tenant, config.TENANT_FAL_ACCOUNTS, accountRegistry.current());
  const spend = createSpend({
    ledger,
    prices,
    budgets: config.TENANT_BUDGETS,
    metrics,
    accountOf: tenantAccount,
  });
  // The remaining-budget gauges are read from Redis at each scrape (other replicas, a new period).
  metrics.collectBudgets(async () => {
    const now = Date.now();
    const states = await Promise.all(
      [...config.TENANT_BUDGETS.keys()].map(async (tenant) => ({
        tenant,
        state: await ledger.budgetState(tenant, now),
      })),
    );
    return states.flatMap(({ tenant, state }) => (state ? [{ tenant, remaining: state.remaining }] : []));
  });
  const ready = createReadyList({ redis, keys });
  const maxQueued = (tenant: string) => tenantValue(config.TENANT_MAX_QUEUED, tenant);
  const onJobFinished: OnJobFinished = composeOnJobFinished(
    spendSettleHook({ ledger, metrics, accountOf: tenantAccount }),
    async (_view, context) => {
      if (context) await ready.finished(context.tenant);
    },
    webhooks.onJobFinished,
    batchTracker.onJobFinished,
  );
  const jobs = createJobsService({
    queue: dubbing,
    redis,
    keys,
    reader,
    idempotency,
    urls,
    onJobFinished,
    ready,
    maxQueued,
    attempts: config.JOB_ATTEMPTS,
    spend,
  });

  // Ops (metrics, OpenAPI, dashboard): the queues are read at scrape time and shown in Bull Board.
  metrics.collectQueues([dubbing, webhooksQueue]);
  const dashboard = dashboardRouter({
    settings: config,
    queues: [dubbing, webhooksQueue],
    logger,
    overview: createOverview({
      redis,
      keys,
      ready,
      tenants: [...new Set(apiKeys.map((k) => k.tenant))],
      mapping: config.TENANT_FAL_ACCOUNTS,
      weights: config.TENANT_WEIGHTS,
      spend: ledger,
    }),
  });
  const publicRouters: Router[] = [
    healthRouter(readinessChecks(redis, store)),
    metricsRouter(metrics.registry),
    openapiRouter(),
    ...(dashboard ? [dashboard] : []),
  ];
  const batches = createBatchesService({
    queue: dubbing,
    batches: batchStore,
    ready,
    maxQueued,
    jobs,
    store,
    idempotency,
    urls,
    processing: createBatchProgress({ queue: dubbing, redis, keys, batches: batchStore }),
    tracker: batchTracker,
    attempts: config.JOB_ATTEMPTS,
    spend,
    logger,
  });
  const apiRouters: Router[] = [
    jobsRouter({ jobs, idempotency, jsonLimit: config.JOB_BODY_LIMIT, batchIndex: batches.jobIndex }),
    batchesRouter({
      batches,
      idempotency,
      bodyLimit: config.BATCH_BODY_LIMIT,
      maxItems: config.BATCH_MAX_ITEMS,
    }),
    uploadsRouter({
      store,
      quota: createUploadQuota({ redis, keys, perHour: config.UPLOAD_URLS_PER_HOUR }),
    }),
    statusRouter({ redis, keys, ready, accounts: config.TENANT_FAL_ACCOUNTS, maxQueued }),
    usageRouter({ ledger }),
    webhooks.jobWebhooksRouter(jobs),
  ];
  const apiLimits = [
    rateLimit({
      bucket: createTokenBucket({ redis, rate: config.API_RATE_LIMIT, burst: config.API_RATE_BURST }),
      keys,
      rate: config.API_RATE_LIMIT,
      burst: config.API_RATE_BURST,
    }),
  ];
  const app = createApp({
    logger,
    redis,
    apiKeys,
    publicRouters,
    // Public (before the /v1 API-key check): fal's signed callback, POST /v1/fal/webhook.
    publicV1Routers: [
      falCallbackRouter({
        verifier: createFalWebhookVerifier({ jwksUrl: falJwksUrl(config) }),
        jobs: reader,
        signals: createJobSignalStore({ redis, keys }),
      }),
    ],
    apiRouters,
    apiLimits,
  });

  const server: Server = await new Promise((resolve, reject) => {
    const s = app.listen(config.PORT, config.HOST, () => resolve(s));
    s.once('error', reject);
  });
  server.keepAliveTimeout = 65_000;
  server.headersTimeout = config.HTTP_HEADERS_TIMEOUT;
  server.requestTimeout = config.HTTP_REQUEST_TIMEOUT;
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : config.PORT;
  const host = config.HOST === '0.0.0.0' ? '127.0.0.1' : config.HOST;

  return {
    url: `http://${host.includes(':') ? `[${host}]` : host}:${port}`,
    port,
    async close() {
      pricing?.stop();
      accountRegistry.stop();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeAllConnections();
      await dubbing.close().catch(() => {});
      await webhooksQueue.close().catch(() => {});
      redis.disconnect();
      s3.destroy();
    },
  };
}
