import { PipelineError } from '@foley/shared/errors';
import { pollDelay } from './backoff';
import type { DubDeps, DubJob } from './dub-deps';
import { JobReleasedError } from './job-control';

/** Status streams opened per attempt: a stream that keeps dropping leaves the end to the polls. */
const MAX_STREAMS = 3;

/**
 * Waits until the request is COMPLETED: fal's status stream reports the end at once, polls (with backoff)
 * record the phase for GET /v1/jobs/:id and are the fallback when the stream fails. A cancel request or
 * fal's webhook wakes it early; the deadline (anchored at submit time, so it survives restarts) cancels the
 * fal request and fails the job with `timeout`.
 */
export async function waitForFal(job: DubJob, requestId: string, deps: DubDeps): Promise<void> {
  const { config } = deps;
  const submittedAt = Date.parse(job.data.fal_submitted_at ?? '') || deps.now();
  const deadline = submittedAt + config.deadlineMs;
  const pollMaxMs = config.falWebhookUrl ? Math.max(config.pollMaxMs, 30_000) : config.pollMaxMs;
  let polls = 0;
  let statusErrors = 0;
  let lastReported = '';
  // Phase timings for metrics, only when this attempt saw the request queued (a resumed wait may not have).
  let sawQueued = false;
  let inProgressSince: number | undefined;

  // The stream runs beside the polls; its COMPLETED wakes the current wait and ends the loop.
  const stopStream = new AbortController();
  const completedByStream = new AbortController();
  let streams = 0;
  let streaming = false;
  const follow = () => {
    if (!deps.fal.streamUntilCompleted || streaming || streams >= MAX_STREAMS) return;
    streams++;
    streaming = true;
    void deps.fal
      .streamUntilCompleted(requestId, stopStream.signal)
      .then((completed) => {
        if (completed) completedByStream.abort();
      })
      .finally(() => {
        streaming = false;
      });
  };
  const wakeOn = AbortSignal.any([deps.shutdown, completedByStream.signal]);
  try {
    for (;;) {
      const done = await step();
      if (done) return;
    }
  } finally {
    stopStream.abort();
  }

  /** One round: checks, a poll, then a wait. True when fal is done. */
  async function step(): Promise<boolean> {
    if (await deps.isCancelRequested(job.id)) {
      await deps.fal.cancel(requestId);
      throw new PipelineError('canceled', 'canceled by the client');
    }
    if (deps.now() >= deadline) {
      await deps.fal.cancel(requestId).catch(() => {});
      throw new PipelineError(
        'timeout',
        `fal did not finish within ${Math.round(config.deadlineMs / 1000)} s; canceled it`,
      );
    }

    if (completedByStream.signal.aborted) {
      if (inProgressSince !== undefined)
        deps.metrics?.phase('fal_processing', (deps.now() - inProgressSince) / 1000);
      return true;
    }

    try {
      const status = await deps.fal.status(requestId);
      statusErrors = 0;
      if (status.status === 'COMPLETED') {
        if (inProgressSince !== undefined)
          deps.metrics?.phase('fal_processing', (deps.now() - inProgressSince) / 1000);
        return true;
      }
      follow();
      if (status.status === 'IN_QUEUE') sawQueued = true;
      else if (sawQueued && inProgressSince === undefined) {
        inProgressSince = deps.now();
        deps.metrics?.phase('fal_queue', (inProgressSince - submittedAt) / 1000);
      }
      const progress =
        status.status === 'IN_QUEUE'
          ? {
              phase: 'in_queue' as const,
              ...(status.queuePosition !== undefined ? { queue_position: status.queuePosition } : {}),
            }
          : { phase: 'in_progress' as const };
      const reported = JSON.stringify(progress);
      if (reported !== lastReported) {
        await job.updateProgress(progress);
        lastReported = reported;
      }
    } catch (error) {
      if (!(error instanceof PipelineError) || !error.retryable || ++statusErrors > config.maxStatusErrors)
        throw error;
    }

    // The first round follows the acquire (or the forced hold of a resumed request), which set a fresh
    // lease; every later round, at most a poll interval apart, renews it.
    if (polls > 0) await deps.slots.renew(job.id);
    const delay = Math.min(
      pollDelay(polls++, { firstMs: config.pollFirstMs, maxMs: pollMaxMs }),
      deadline - deps.now(),
    );
    await deps.signals.wait(job.id, delay, wakeOn);
    if (deps.shutdown.aborted) throw new JobReleasedError();
    return false;
  }
}
