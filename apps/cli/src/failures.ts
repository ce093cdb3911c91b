export interface FailureRow {
  index: number;
  input: string;
  code: string;
  message: string;
}

interface JobLike {
  id?: unknown;
  status?: unknown;
  batch_index?: unknown;
  input?: { video_url?: unknown };
  error?: { code?: unknown; message?: unknown };
}

/** Failed and canceled jobs as rows, in item order; the input is what the user gave when known. */
export function failureRows(jobs: JobLike[], inputs: ReadonlyMap<number, string>): FailureRow[] {
  return jobs
    .filter((j) => j.status === 'failed' || j.status === 'canceled')
    .map((j) => {
      const index = Number(j.batch_index ?? -1);
      return {
        index,
        input: inputs.get(index) ?? String(j.input?.video_url ?? ''),
        code: String(j.error?.code ?? j.status),
        message: String(j.error?.message ?? ''),
      };
    })
    .sort((a, b) => a.index - b.index);
}

/** A plain fixed-width table (long cells are cut, so each row stays on one line). */
export function formatTable(headers: string[], rows: string[][], maxWidth = 60): string {
  const cut = (s: string) => (s.length > maxWidth ? `${s.slice(0, maxWidth - 1)}…` : s);
  const cells = [headers, ...rows].map((r) => r.map((c) => cut(c.replace(/\s+/g, ' '))));
  const widths = headers.map((_, i) => Math.max(...cells.map((r) => (r[i] ?? '').length)));
  return cells
    .map((r) =>
      r
        .map((c, i) => c.padEnd(widths[i] ?? 0))
        .join('  ')
        .trimEnd(),
    )
    .join('\n');
}
