import { setMaxListeners } from 'node:events';
import { createBatchTracker, type EmitBatchEvent } from '@foley/shared/batches/tracker';
import { ACCOUNTS_REFRESH_MS, accountOf } from '@foley/shared/dispatch/account-state';
import { PARK_MS } from '@foley/shared/dispatch/ready-entry';
import { foleyKeys } from '@foley/shared/infra/keys';
import type { Logger } from '@foley/shared/infra/logger';
import { createMetrics } from '@foley/shared/infra/metrics';
import { readinessChecks } from '@foley/shared/infra/readiness';
import { createRedis } from '@foley/shared/infra/redis';
import { redisSettingsOf } from '@foley/shared/infra/redis-config';
import { createConfiguredStore } from '@foley/shared/infra/s3';
import { composeOnJobFinished, type OnJobFinished } from '@foley/shared/jobs/finished';
import { createJobSignalStore } from '@foley/shared/jobs/signals';
import { QUEUES } from '@foley/shared/queues/catalog';
import { createSpendLedger } from '@foley/shared/spend/ledger';
import { spendSettleHook } from '@foley/shared/spend/settle-hook';
import { parseAllowlist } from '@foley/shared/ssrf/url-guard';
import { Queue } from 'bullmq';
import { startDispatchRunner } from './clients/dispatch-runner';
import { createDownloader } from './clients/download';
import { createFalGateway } from './clients/fal';
import { createFalAccounts } from './clients/fal-accounts';
import { createGuardedFetch } from './clients/http-fetch';
import { createJobSignals } from './clients/job-signals';
import { createReplicaAck } from './clients/replica-ack';
import { falAccountsOf, type WorkerConfig } from './config';
import type { DubDeps } from './dubbing/dub-deps';
import { dubMetrics, instrumentFal } from './dubbing/dub-metrics';
import { createDubbingWorker } from './dubbing/dubbing-worker';
import { finishedView, viewNeedsOutput } from './dubbing/finished-view';
import { startOpsServer } from './ops/ops-server';
import { createPinInput } from './preflight/pin-input';
import { createPreflight } from './preflight/preflight';
import { startWebhooks } from './webhooks/start-webhooks';

/** fal retries a callback 10 times over 2 h (FAL_PROTOCOL §10); a quarter hour more for its last one. */
const FAL_CALLBACK_RETRY_SPAN_MS = 2 * 3600_000 + 15 * 60_000;

export interface RunningWorker {
  /** Stops taking jobs, hands back jobs waiting on fal, lets uploads finish (up to the grace period). */
  close(): Promise<void>;
}

/** Builds every client of a worker process from its config and starts consuming `dubbing`. */
export async function startWorker(
  config: WorkerConfig,
  logger: Logger,
  hooks: { onJobFinished?: OnJobFinished; emitBatchEvent?: EmitBatchEvent } = {},
): Promise<RunningWorker> {
  const redisSettings = redisSettingsOf(config);
  const redis = createRedis(redisSettings, 'worker');
  const subscriber = createRedis(redisSettings, 'subscriber');
  const keys = foleyKeys(config.QUEUE_PREFIX);
  const signalStore = createJobSignalStore({ redis, keys });
  const metrics = createMetrics({ service: 'worker' });
  const { client: s3, store } = createConfiguredStore(config, {
    onBytesUploaded: (bytes) => metrics.s3BytesTotal.inc(bytes),
  });
  const allowlist = parseAllowlist(config.URL_ALLOWLIST);
  const guardedFetch = createGuardedFetch({ allowlist });
  const shutdown = new AbortController();
  // Every job waiting on fal listens on this signal: as many listeners as WORKER_CONCURRENCY, by design.
  setMaxListeners(0, shutdown.signal);
  // Outbound webhooks: job events emitted here, delivered by their own Worker on the `webhooks` queue.
  const webhooks = await startWebhooks({
    config,
    connection: redis,
    allowlist,
    logger,
    onOutcome: (outcome) => metrics.webhookDeliveriesTotal.inc({ outcome }),
  });
  // Batch counters, manifest and `batch.completed` run after the job's own hooks.
  const batchTracker = createBatchTracker({
    redis,
    keys,
    store,
    emit: hooks.emitBatchEvent ?? webhooks.emit,
  });
  // The job's reservation is settled to its cost before anything reports the end.
  const ledger = createSpendLedger({ redis, keys, budgets: config.TENANT_BUDGETS });
  const onJobFinished = composeOnJobFinished(
    spendSettleHook({
      ledger,
      metrics,
      accountOf: (tenant) => accountOf(tenant, config.TENANT_FAL_ACCOUNTS, falAccountsOf(config)),
    }),
    hooks.onJobFinished,
    webhooks.onJobFinished,
    batchTracker.onJobFinished,
  );
  const webhookBase = config.FAL_WEBHOOK_BASE_URL?.replace(/\/+$/, '');

  const seam = dubMetrics(metrics);
  const dubbingQueue = new Queue(QUEUES.dubbing.name, { connection: redis, prefix: config.QUEUE_PREFIX });
  dubbingQueue.on('error', (err) => logger.debug({ err: err.message }, 'queue connection error'));
  // One gateway and one dispatcher per fal account; tenants are routed to theirs (TENANT_FAL_ACCOUNTS).
  const accounts = await createFalAccounts({
    accounts: falAccountsOf(config),
    config,
    redis,
    keys,
    queue: dubbingQueue,
    gateway: (account) =>
      instrumentFal(
        createFalGateway({
          falKey: account.key,
          baseUrl: config.FAL_BASE_URL,
          callTimeoutMs: config.FAL_CALL_TIMEOUT,
          submitPolicy: {
            storeIo: config.FAL_STORE_IO,
            outputTtlMs: config.FAL_OUTPUT_TTL,
            startTimeoutMs: config.FAL_START_TIMEOUT,
          },
        }),
        seam,
      ),
    logger,
  });
  metrics.collectAccounts(accounts.readStates);
  const registry = setInterval(() => {
    accounts
      .register()
      .catch((err: unknown) => logger.warn({ err }, 'could not refresh the account registry'));
  }, ACCOUNTS_REFRESH_MS);
  registry.unref();
  const dispatchRunner = startDispatchRunner({
    subscriber: createRedis(redisSettings, 'subscriber'),
    nudgeChannel: keys.dispatchNudge(),
    accounts: accounts.dispatchers,
    tickMs: config.DISPATCH_TICK,
    logger,
  });
  const first = accounts.route('');
  // `redis` is also the connection BullMQ's job.updateData writes through: WAIT on it covers those writes.
  const replicaAck = createReplicaAck({
    redis,
    replicas: redisSettings.waitReplicas,
    timeoutMs: redisSettings.waitTimeoutMs,
  });
  const deps: DubDeps = {
    fal: first.fal,
    store,
    download: createDownloader(),
    preflight: createPreflight({ fetch: guardedFetch }),
    ...(config.PIN_INPUTS
      ? {
          pinInput: createPinInput({
            fetch: guardedFetch,
            store,
            // The copy is in Foley's own bucket, which may be on a private address (MinIO, local S3):
            // not the customer's URL, so not through the SSRF guard.
            checkCopy: createPreflight({ fetch: (url, init) => fetch(url, init) }),
          }),
        }
      : {}),
    slots: first.slots,
    route: accounts.route,
    claimSubmit: signalStore.claimSubmit,
    submitClaimedAt: signalStore.submitClaimedAt,
    releaseSubmit: signalStore.releaseSubmit,
    lostSubmits: signalStore,
    confirmReplicated: (jobId) => replicaAck.confirm(keys.falSubmitClaim(jobId)),
    signals: createJobSignals(subscriber, signalStore.channel),
    isCancelRequested: signalStore.isCancelRequested,
    clearCancelRequest: signalStore.clearCancelRequest,
    onFinished: async (job, outcome) =>
      onJobFinished(
        await finishedView(
          job,
          outcome,
          // A hook given by the caller (tests, embedders) may read anything, the output included.
          hooks.onJobFinished || viewNeedsOutput(job.data) ? store : undefined,
          Date.now(),
        ),
        {
          tenant: job.data.tenant,
          priceMicros: job.data.price_micros,
        },
      ),
    shutdown: shutdown.signal,
    logger,
    metrics: seam,
    now: Date.now,
    config: {
      deadlineMs: config.FAL_DEADLINE,
      pollFirstMs: config.FAL_POLL_FIRST,
      pollMaxMs: config.FAL_POLL_MAX,
      ...(webhookBase
        ? {
            falWebhookUrl: (jobId: string, nonce: string) =>
              `${webhookBase}/v1/fal/webhook?job_id=${jobId}&submit=${nonce}`,
            lostSubmit: {
              waitMs: config.UNKNOWN_SUBMIT_WAIT ?? config.FAL_DEADLINE + FAL_CALLBACK_RETRY_SPAN_MS,
              resubmit: config.RESUBMIT_UNKNOWN_SUBMITS,
            },
          }
        : {}),
      slotRetryMs: PARK_MS,
      // fal reads a pinned input when the request runs: valid for the whole deadline and an hour more.
      pinnedUrlTtlSeconds: Math.min(7 * 24 * 3600, Math.ceil((config.FAL_DEADLINE + 3600_000) / 1000)),
      maxStatusErrors: 5,
      waitFirstMs: config.WAIT_RETRY_FIRST,
      waitMaxMs: config.WAIT_RETRY_MAX,
      // A live claimer saves fal's answer within one submit call (and the replicas' acknowledgement).
      submitClaimGraceMs: config.FAL_CALL_TIMEOUT + redisSettings.waitTimeoutMs + config.JOB_LOCK_DURATION,
    },
  };

  const worker = createDubbingWorker({
    connection: redis,
    prefix: config.QUEUE_PREFIX,
    concurrency: config.WORKER_CONCURRENCY,
    deps,
    workerOptions: {
      lockDuration: config.JOB_LOCK_DURATION,
      stalledInterval: config.STALLED_INTERVAL,
      maxStalledCount: config.MAX_STALLED_COUNT,
    },
  });
  worker.on('error', (err) => logger.warn({ err: err.message }, 'worker connection error'));
  await worker.waitUntilReady();

  // Ops endpoint on METRICS_PORT: /metrics (with queue depth read at scrape time), /healthz, /readyz.
  const watched = [QUEUES.dubbing.name, QUEUES.webhooks.name].map((name) => {
    const queue = new Queue(name, { connection: redis, prefix: config.QUEUE_PREFIX });
    queue.on('error', (err) => logger.debug({ err: err.message }, 'queue connection error'));
    return queue;
  });
  metrics.collectQueues(watched);
  const ops = await startOpsServer({
    port: config.METRICS_PORT,
    host: config.HOST,
    registry: metrics.registry,
    checks: readinessChecks(redis, store),
    logger,
  });
  logger.info(`worker metrics on ${ops.url}/metrics`);

  return {
    async close() {
      shutdown.abort();
      clearInterval(registry);
      const grace = new Promise<'timeout'>((resolve) =>
        setTimeout(() => resolve('timeout'), config.SHUTDOWN_GRACE).unref(),
      );
      const outcome = await Promise.race([worker.close().then(() => 'closed' as const), grace]);
      if (outcome === 'timeout') {
        logger.warn('grace period over; jobs still running will be recovered as stalled by another worker');
        await worker.close(true);
      }
      await dispatchRunner.close();
      await deps.signals.close();
      await dubbingQueue.close().catch(() => {});
      await ops.close();
      await Promise.all(watched.map((q) => q.close().catch(() => {})));
      await webhooks.close();
      await guardedFetch.close().catch(() => {});
      redis.disconnect();
      subscriber.disconnect();
      s3.destroy();
    },
  };
}
