/**
 * The slice of `prom-client` that metrics.ts uses, typed structurally: packages/shared does not depend
 * on prom-client, so the API and the worker (which do) pass the module in. `import * as prom from
 * 'prom-client'` satisfies `PromClient`.
 */

export type PromLabels = Record<string, string | number>;

export interface PromRegistry {
  metrics(): Promise<string>;
  readonly contentType: string;
  setDefaultLabels(labels: object): void;
}

interface MetricOptions<R> {
  name: string;
  help: string;
  labelNames?: readonly string[];
  registers: R[];
}

export interface PromCounter {
  inc(labels: PromLabels, value?: number): void;
  inc(value?: number): void;
}

export interface PromGauge {
  set(labels: PromLabels, value: number): void;
  reset(): void;
}

export interface PromHistogram {
  observe(labels: PromLabels, value: number): void;
}

/** Generic over the registry class so prom-client's own `Registry` type flows through unchanged. */
export interface PromClient<R extends PromRegistry = PromRegistry> {
  Registry: new () => R;
  Counter: new (options: MetricOptions<R>) => PromCounter;
  Gauge: new (options: MetricOptions<R> & { collect?: () => Promise<void> | void }) => PromGauge;
  Histogram: new (options: MetricOptions<R> & { buckets: number[] }) => PromHistogram;
  collectDefaultMetrics(options: { register: R; prefix?: string }): void;
}
