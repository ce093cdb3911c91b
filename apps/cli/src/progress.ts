import type { Writable } from 'node:stream';
import cliProgress from 'cli-progress';

export interface BatchProgressView {
  status: string;
  total: number;
  percent: number;
  counts: { queued: number; processing: number; completed: number; failed: number; canceled: number };
}

export const ended = (v: BatchProgressView) => v.counts.completed + v.counts.failed + v.counts.canceled;

/** Remaining time at the rate seen so far; undefined until something has ended. */
export function estimateEtaMs(done: number, total: number, elapsedMs: number): number | undefined {
  if (done <= 0 || elapsedMs <= 0) return undefined;
  return Math.max(0, Math.round(((total - done) * elapsedMs) / done));
}

export function formatDuration(ms: number | undefined): string {
  if (ms === undefined) return '?';
  const s = Math.round(ms / 1000);
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`;
  return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`;
}

export function progressLine(v: BatchProgressView, etaMs: number | undefined): string {
  const c = v.counts;
  return (
    `progress ${ended(v)}/${v.total} (${v.percent}%) completed ${c.completed} failed ${c.failed} ` +
    `canceled ${c.canceled} running ${c.processing} queued ${c.queued} eta ${formatDuration(etaMs)}`
  );
}

/**
 * A live bar on a terminal (cli-progress); elsewhere (CI, pipes) one plain line per change, so logs stay
 * readable. Both show counts and an ETA.
 */
export function createProgress(opts: { stream: Writable & { isTTY?: boolean }; now?: () => number }) {
  const now = opts.now ?? Date.now;
  const started = now();
  let bar: cliProgress.SingleBar | undefined;
  let lastLine = '';
  return {
    update(v: BatchProgressView) {
      const eta = estimateEtaMs(ended(v), v.total, now() - started);
      if (opts.stream.isTTY) {
        const payload = { ...v.counts, eta_text: formatDuration(eta) };
        if (!bar) {
          bar = new cliProgress.SingleBar(
            {
              stream: opts.stream,
              format:
                '{bar} {percentage}% | {value}/{total} | ok {completed} failed {failed} canceled {canceled} ' +
                'running {processing} | ETA {eta_text}',
              hideCursor: true,
            },
            cliProgress.Presets.shades_classic,
          );
          bar.start(v.total, ended(v), payload);
        } else bar.update(ended(v), payload);
        return;
      }
      const line = progressLine(v, eta);
      // The ETA changes every poll; print when the counts do.
      const key = line.replace(/ eta .*$/, '');
      if (key !== lastLine) opts.stream.write(`${line}\n`);
      lastLine = key;
    },
    stop() {
      bar?.stop();
    },
  };
}
