import * as prom from 'prom-client';

/**
 * Foley's Prometheus metrics (names listed in README.md, Operations), one registry per process (never prom-client's global one,
 * so tests can build several). Labels stay low-cardinality: no job ids, tenants or URLs.
 */

export const METRIC_NAMES = {
  queueJobs: 'foley_queue_jobs',
  queueWorkers: 'foley_queue_workers',
  jobsTotal: 'foley_jobs_total',
  jobPhaseSeconds: 'foley_job_phase_seconds',
  falRequestsTotal: 'foley_fal_requests_total',
  webhookDeliveriesTotal: 'foley_webhook_deliveries_total',
  s3BytesTotal: 'foley_s3_bytes_total',
  retriesTotal: 'foley_job_retries_total',
  spendUsdTotal: 'foley_spend_usd_total',
  budgetRemainingUsd: 'foley_budget_remaining_usd',
  budgetUsd: 'foley_budget_usd',
  falAccountState: 'foley_fal_account_state',
  falAccountSlots: 'foley_fal_account_slots_in_use',
} as const;

/** Prefix of the Node process metrics (`foley_process_cpu_seconds_total`, `foley_nodejs_heap_size_used_bytes`, …). */
export const PROCESS_METRICS_PREFIX = 'foley_';

export const QUEUE_STATES = ['waiting', 'active', 'delayed', 'completed', 'failed', 'prioritized'] as const;

export const JOB_METRIC_PHASES = ['preflight', 'fal_queue', 'fal_processing', 'upload'] as const;

/** 0.1 s (a HEAD request) to 30 min (fal's slowest queue): roughly ×2–2.5 per step. */
export const PHASE_BUCKETS = [0.1, 0.25, 0.5, 1, 2.5, 5, 10, 20, 30, 60, 120, 300, 600, 1200, 1800];

/** What the queue gauge reads; a BullMQ `Queue` fits. */
export interface MetricsQueue {
  readonly name: string;
  getJobCounts(...types: string[]): Promise<Record<string, number>>;
  getWorkersCount?(): Promise<number>;
}

export interface FoleyMetrics {
  registry: prom.Registry;
  queueJobs: prom.Gauge;
  queueWorkers: prom.Gauge;
  /** `{status: completed|failed|canceled, code: none|<failure code>}` */
  jobsTotal: prom.Counter;
  /** `{phase: preflight|fal_queue|fal_processing|upload}`, seconds */
  jobPhaseSeconds: prom.Histogram;
  /** `{op: submit|status|result|cancel, status: ok|<failure code>}` */
  falRequestsTotal: prom.Counter;
  /** `{outcome: delivered|retrying|failed}` */
  webhookDeliveriesTotal: prom.Counter;
  /** Bytes written to S3 (no labels). */
  s3BytesTotal: prom.Counter;
  /** `{code: <failure code>}`: attempts that failed and will be retried. */
  retriesTotal: prom.Counter;
  /** `{tenant, account}`: settled cost of finished jobs, USD (tenants are the operator's own customers: few). */
  spendUsdTotal: prom.Counter;
  /** `{tenant}`: what is left of the tenant's current budget period (spent and reserved counted), USD. */
  budgetRemainingUsd: prom.Gauge;
  /** `{tenant}`: the tenant's budget for its period, USD (the 80% alert divides by it). */
  budgetUsd: prom.Gauge;
  /**
   * Reads every budget's remaining amount on each scrape, so the gauge follows other replicas' writes
   * and the start of a new period (between scrapes, reservations and settlements also set it).
   */
  collectBudgets(read: () => Promise<Array<{ tenant: string; remaining: number }>>): void;
  /** Reads these queues' counts on every scrape (each read bounded by `timeoutMs`). */
  collectQueues(queues: MetricsQueue[], opts?: { timeoutMs?: number }): void;
  /** `{account}`: 0 active, 1 slowed, 2 paused (dispatch/account-state.ts), read at scrape time. */
  falAccountState: prom.Gauge;
  /** `{account}`: fal slots held now. */
  falAccountSlots: prom.Gauge;
  /** Reads every fal account's state and slots on each scrape. */
  collectAccounts(read: () => Promise<Array<{ account: string; state: number; slots: number }>>): void;
}

/** Builds a fresh registry with every Foley metric and the Node process metrics. */
export function createMetrics(opts: {
  service: string;
  /** Node process metrics (default true). */
  processMetrics?: boolean;
}): FoleyMetrics {
  const registry = new prom.Registry();
  registry.setDefaultLabels({ service: opts.service });
  const registers = [registry];
  const watched: Array<{ queue: MetricsQueue; timeoutMs: number }> = [];

  // Both queue gauges are filled from one read per scrape (prom-client collects metrics concurrently).
  let reading: Promise<void> | undefined;
  const readQueues = () => {
    reading ??= (async () => {
      const counts = await Promise.all(watched.map((w) => readCounts(w.queue, w.timeoutMs)));
      queueJobs.reset();
      queueWorkers.reset();
      counts.forEach((c, i) => {
        const queue = watched[i]!.queue.name;
        if (!c) return; // Redis unreachable: the series disappear rather than report stale numbers
        for (const state of QUEUE_STATES) queueJobs.set({ queue, state }, c.jobs[state] ?? 0);
        if (c.workers !== undefined) queueWorkers.set({ queue }, c.workers);
      });
    })().finally(() => {
      reading = undefined;
    });
    return reading;
  };

  const queueJobs: prom.Gauge = new prom.Gauge({
    name: METRIC_NAMES.queueJobs,
    help: 'Jobs per queue and BullMQ state, read from Redis at scrape time.',
    labelNames: ['queue', 'state'],
    registers,
    collect: readQueues,
  });
  const queueWorkers: prom.Gauge = new prom.Gauge({
    name: METRIC_NAMES.queueWorkers,
    help: 'Workers connected to each queue (BullMQ worker count), read at scrape time.',
    labelNames: ['queue'],
    registers,
    collect: readQueues,
  });

  let accountReader: (() => Promise<Array<{ account: string; state: number; slots: number }>>) | undefined;
  let readingAccounts: Promise<void> | undefined;
  const readAccounts = () => {
    readingAccounts ??= (async () => {
      const rows = accountReader ? await accountReader().catch(() => undefined) : undefined;
      falAccountState.reset();
      falAccountSlots.reset();
      for (const row of rows ?? []) {
        falAccountState.set({ account: row.account }, row.state);
        falAccountSlots.set({ account: row.account }, row.slots);
      }
    })().finally(() => {
      readingAccounts = undefined;
    });
    return readingAccounts;
  };
  const falAccountState: prom.Gauge = new prom.Gauge({
    name: METRIC_NAMES.falAccountState,
    help: 'Dispatch state of each fal account: 0 active, 1 slowed (fal 429), 2 paused (locked or unauthorized).',
    labelNames: ['account'],
    registers,
    collect: readAccounts,
  });
  const falAccountSlots: prom.Gauge = new prom.Gauge({
    name: METRIC_NAMES.falAccountSlots,
    help: 'fal slots held now per account (its concurrency in use).',
    labelNames: ['account'],
    registers,
    collect: readAccounts,
  });

  let budgetReader: (() => Promise<Array<{ tenant: string; remaining: number }>>) | undefined;
  const budgetRemainingUsd: prom.Gauge = new prom.Gauge({
    name: METRIC_NAMES.budgetRemainingUsd,
    help: 'Remaining budget of the current period (spent and reserved counted), USD.',
    labelNames: ['tenant'],
    registers,
    async collect() {
      // Redis unreachable: keep the last values rather than drop the series the alert watches.
      const rows = budgetReader ? await budgetReader().catch(() => undefined) : undefined;
      for (const row of rows ?? []) budgetRemainingUsd.set({ tenant: row.tenant }, row.remaining);
    },
  });

  const counter = (name: string, help: string, labelNames: readonly string[] = []) =>
    new prom.Counter({ name, help, labelNames, registers });

  const metrics: FoleyMetrics = {
    registry,
    queueJobs,
    queueWorkers,
    jobsTotal: counter(METRIC_NAMES.jobsTotal, 'Jobs that reached a final state.', ['status', 'code']),
    jobPhaseSeconds: new prom.Histogram({
      name: METRIC_NAMES.jobPhaseSeconds,
      help: 'Time a dubbing job spent in each phase.',
      labelNames: ['phase'],
      buckets: PHASE_BUCKETS,
      registers,
    }),
    falRequestsTotal: counter(METRIC_NAMES.falRequestsTotal, 'Calls to fal by operation and outcome.', [
      'op',
      'status',
    ]),
    webhookDeliveriesTotal: counter(
      METRIC_NAMES.webhookDeliveriesTotal,
      'Outbound webhook delivery attempts by outcome.',
      ['outcome'],
    ),
    s3BytesTotal: counter(METRIC_NAMES.s3BytesTotal, 'Bytes uploaded to S3.'),
    retriesTotal: counter(METRIC_NAMES.retriesTotal, 'Failed attempts that will be retried, by code.', [
      'code',
    ]),
    spendUsdTotal: counter(METRIC_NAMES.spendUsdTotal, 'Settled cost of finished jobs, USD.', [
      'tenant',
      'account',
    ]),
    budgetRemainingUsd,
    budgetUsd: new prom.Gauge({
      name: METRIC_NAMES.budgetUsd,
      help: 'Budget of the current period, USD.',
      labelNames: ['tenant'],
      registers,
    }),
    collectQueues(queues, { timeoutMs = 2_000 } = {}) {
      for (const queue of queues) watched.push({ queue, timeoutMs });
    },
    falAccountState,
    falAccountSlots,
    collectAccounts(read) {
      accountReader = read;
    },
    collectBudgets(read) {
      budgetReader = read;
    },
  };
  if (opts.processMetrics !== false)
    prom.collectDefaultMetrics({ register: registry, prefix: PROCESS_METRICS_PREFIX });
  return metrics;
}

/** Every metric name a registry from `createMetrics` exposes (with the histogram's series names). */
export function foleyMetricNames(): string[] {
  return Object.values(METRIC_NAMES).flatMap((name) =>
    name === METRIC_NAMES.jobPhaseSeconds ? [name, `${name}_bucket`, `${name}_sum`, `${name}_count`] : [name],
  );
}

async function readCounts(queue: MetricsQueue, timeoutMs: number) {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<undefined>((resolve) => {
    timer = setTimeout(() => resolve(undefined), timeoutMs);
  });
  const read = Promise.all([
    queue.getJobCounts(...QUEUE_STATES),
    queue.getWorkersCount ? queue.getWorkersCount().catch(() => undefined) : undefined,
  ]).then(
    ([jobs, workers]) => ({ jobs, workers }),
    () => undefined,
  );
  try {
    return await Promise.race([read, timeout]);
  } finally {
    clearTimeout(timer);
  }
}
