/** Small statistics for benchmark samples: medians, percentiles and the spread of a pair's rounds. */
export function quantile(xs: number[], q: number): number {
  if (xs.length === 0) return Number.NaN;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(q * s.length))] as number;
}

export const median = (xs: number[]) => quantile(xs, 0.5);

/** `min–max` of the rounds, so a reader sees how far one round can be from the median. */
export function spread(xs: number[], digits = 2): string {
  if (xs.length === 0) return '–';
  return `${Math.min(...xs).toFixed(digits)}–${Math.max(...xs).toFixed(digits)}`;
}
