import {
  createMetrics,
  foleyMetricNames,
  METRIC_NAMES,
  type MetricsQueue,
  QUEUE_STATES,
} from '@foley/shared/infra/metrics';
import { parsePrometheusText, sampleValue } from '@foley/testkit/prometheus-text';
import * as prom from 'prom-client';
import { describe, expect, it } from 'vitest';
import { dubMetrics, instrumentFal } from '../dubbing/dub-metrics';

const fakeQueue = (name: string, counts: Record<string, number>, workers = 1): MetricsQueue => ({
  name,
  async getJobCounts(...types) {
    return Object.fromEntries(types.map((t) => [t, counts[t] ?? 0]));
  },
  async getWorkersCount() {
    return workers;
  },
});

async function scrape(metrics: ReturnType<typeof createMetrics>) {
  return parsePrometheusText(await metrics.registry.metrics());
}

describe('createMetrics', () => {
  it('registers exactly the documented names, with the service label, in its own registry', async () => {
    const metrics = createMetrics({ service: 'worker', processMetrics: false });
    metrics.jobsTotal.inc({ status: 'completed', code: 'none' });
    metrics.jobPhaseSeconds.observe({ phase: 'upload' }, 0.3);
    metrics.falRequestsTotal.inc({ op: 'submit', status: 'ok' });
    metrics.webhookDeliveriesTotal.inc({ outcome: 'delivered' });
    metrics.s3BytesTotal.inc(1234);
    metrics.retriesTotal.inc({ code: 'fal_unavailable' });
    metrics.spendUsdTotal.inc({ tenant: 'acme', account: 'default' }, 0.035);
    metrics.budgetRemainingUsd.set({ tenant: 'acme' }, 9.965);
    metrics.budgetUsd.set({ tenant: 'acme' }, 10);
    metrics.collectQueues([fakeQueue('dubbing', {})]);
    metrics.collectAccounts(async () => [{ account: 'default', state: 0, slots: 0 }]);
    const text = await metrics.registry.metrics();
    const samples = parsePrometheusText(text);

    const families = [...text.matchAll(/^# TYPE (\S+) (\S+)$/gm)].map((m) => `${m[1]} ${m[2]}`);
    expect(families.sort()).toEqual([
      'foley_budget_remaining_usd gauge',
      'foley_budget_usd gauge',
      'foley_fal_account_slots_in_use gauge',
      'foley_fal_account_state gauge',
      'foley_fal_requests_total counter',
      'foley_job_phase_seconds histogram',
      'foley_job_retries_total counter',
      'foley_jobs_total counter',
      'foley_queue_jobs gauge',
      'foley_queue_workers gauge',
      'foley_s3_bytes_total counter',
      'foley_spend_usd_total counter',
      'foley_webhook_deliveries_total counter',
    ]);
    expect(Object.values(METRIC_NAMES).sort()).toEqual(families.map((f) => f.split(' ')[0]));
    expect(new Set(samples.map((s) => s.name))).toEqual(
      new Set(foleyMetricNames().filter((n) => n !== METRIC_NAMES.jobPhaseSeconds)),
    );
    expect(samples.every((s) => s.labels.service === 'worker')).toBe(true);
    expect(sampleValue(samples, 'foley_s3_bytes_total')).toBe(1234);
    expect(sampleValue(samples, 'foley_spend_usd_total', { tenant: 'acme', account: 'default' })).toBe(0.035);
    expect(sampleValue(samples, 'foley_job_phase_seconds_bucket', { phase: 'upload', le: '0.25' })).toBe(0);
    expect(sampleValue(samples, 'foley_job_phase_seconds_bucket', { phase: 'upload', le: '0.5' })).toBe(1);
    expect(sampleValue(samples, 'foley_job_phase_seconds_bucket', { phase: 'upload', le: '1800' })).toBe(1);
    // Nothing lands in prom-client's global registry, so two processes' worth can live in one test.
    expect(await prom.register.getSingleMetric('foley_jobs_total')).toBeUndefined();
    const other = createMetrics({ service: 'api', processMetrics: false });
    expect(sampleValue(await scrape(other), 'foley_s3_bytes_total')).toBe(0);
  });

  it('reads the state and slots of every fal account at scrape time', async () => {
    const metrics = createMetrics({ service: 'worker', processMetrics: false });
    metrics.collectAccounts(async () => [
      { account: 'main', state: 2, slots: 3 },
      { account: 'own', state: 0, slots: 1 },
    ]);
    const samples = parsePrometheusText(await metrics.registry.metrics());
    expect(sampleValue(samples, 'foley_fal_account_state', { account: 'main' })).toBe(2);
    expect(sampleValue(samples, 'foley_fal_account_state', { account: 'own' })).toBe(0);
    expect(sampleValue(samples, 'foley_fal_account_slots_in_use', { account: 'main' })).toBe(3);
  });

  it('adds Node process metrics under the foley_ prefix', async () => {
    const samples = await scrape(createMetrics({ service: 'api' }));
    const names = new Set(samples.map((s) => s.name));
    expect(names.has('foley_process_cpu_seconds_total')).toBe(true);
    expect(names.has('foley_nodejs_heap_size_used_bytes')).toBe(true);
    expect([...names].every((n) => n.startsWith('foley_'))).toBe(true);
  });

  it('reads every state of every watched queue at scrape time', async () => {
    const metrics = createMetrics({ service: 'api', processMetrics: false });
    const counts: Record<string, number> = { waiting: 4, active: 2, completed: 9, failed: 1, delayed: 3 };
    metrics.collectQueues([fakeQueue('dubbing', counts, 3), fakeQueue('webhooks', { waiting: 7 }, 0)]);
    let samples = await scrape(metrics);
    for (const state of QUEUE_STATES) {
      expect(sampleValue(samples, 'foley_queue_jobs', { queue: 'dubbing', state })).toBe(counts[state] ?? 0);
    }
    expect(sampleValue(samples, 'foley_queue_jobs', { queue: 'webhooks', state: 'waiting' })).toBe(7);
    expect(sampleValue(samples, 'foley_queue_workers', { queue: 'dubbing' })).toBe(3);
    expect(sampleValue(samples, 'foley_queue_workers', { queue: 'webhooks' })).toBe(0);

    counts.waiting = 0;
    samples = await scrape(metrics);
    expect(sampleValue(samples, 'foley_queue_jobs', { queue: 'dubbing', state: 'waiting' })).toBe(0);
  });

  it('drops the series of a queue that cannot be read instead of hanging or reporting stale counts', async () => {
    const metrics = createMetrics({ service: 'api', processMetrics: false });
    const hanging: MetricsQueue = { name: 'dubbing', getJobCounts: () => new Promise(() => {}) };
    const broken: MetricsQueue = {
      name: 'webhooks',
      getJobCounts: async () => Promise.reject(new Error('down')),
    };
    metrics.collectQueues([hanging, broken], { timeoutMs: 100 });
    const started = Date.now();
    const samples = await scrape(metrics);
    expect(Date.now() - started).toBeLessThan(2_000);
    expect(samples.filter((s) => s.name === 'foley_queue_jobs')).toEqual([]);
  });
});

describe('dubMetrics and instrumentFal', () => {
  it('feeds the processor seam into the registry', async () => {
    const metrics = createMetrics({ service: 'worker', processMetrics: false });
    const seam = dubMetrics(metrics);
    seam.phase('preflight', 0.2);
    seam.phase('fal_queue', -1); // clocks can step back; never observe a negative duration
    seam.jobFinished('failed', 'video_too_long');
    seam.retry('storage_error');
    const samples = await scrape(metrics);
    expect(sampleValue(samples, 'foley_job_phase_seconds_count', { phase: 'preflight' })).toBe(1);
    expect(sampleValue(samples, 'foley_job_phase_seconds_sum', { phase: 'fal_queue' })).toBe(0);
    expect(sampleValue(samples, 'foley_jobs_total', { status: 'failed', code: 'video_too_long' })).toBe(1);
    expect(sampleValue(samples, 'foley_job_retries_total', { code: 'storage_error' })).toBe(1);
  });

  it('counts fal calls by operation and outcome, passing results and errors through', async () => {
    const seen: string[] = [];
    const { PipelineError } = await import('@foley/shared/errors');
    const fal = instrumentFal(
      {
        submit: async () => 'req-1',
        status: async () => ({ status: 'COMPLETED' }),
        result: async () => Promise.reject(new PipelineError('model_error', 'bad')),
        cancel: async () => Promise.reject(new Error('socket')),
      },
      { falRequest: (op, status) => seen.push(`${op}:${status}`) },
    );
    expect(await fal.submit({ video_url: 'https://v/a.mp4' } as never)).toBe('req-1');
    expect(await fal.status('req-1')).toEqual({ status: 'COMPLETED' });
    await expect(fal.result('req-1')).rejects.toMatchObject({ code: 'model_error' });
    await expect(fal.cancel('req-1')).rejects.toThrow('socket');
    expect(seen).toEqual(['submit:ok', 'status:ok', 'result:model_error', 'cancel:error']);
  });
});
