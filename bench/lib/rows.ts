/** One line of the results table: Foley's figure, the same run's baseline, their ratio and the goal. */
export interface Row {
  path: string;
  foley: string;
  baseline: string;
  /** The ratio as the goal states it (e.g. Foley req/s ÷ bare req/s), median of the pairs. */
  ratio: number;
  /** min–max of the per-pair ratios. */
  ratioSpread: string;
  goal: string;
  met: boolean;
}

/** What a pair measured: its rows, lines of detail for BENCHMARKS.md and named figures for operators. */
export interface PairResult {
  name: string;
  rows: Row[];
  details: string[];
  facts: Record<string, number>;
}

export const fmt = (x: number, digits = 0) =>
  Number.isFinite(x)
    ? x.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits })
    : '–';
