import { PipelineError } from '@foley/shared/errors';
import { pollDelay } from './backoff';
import type { DubDeps, DubJob } from './dub-deps';
import { JobReleasedError } from './job-control';

/**
 * Polls fal until the request is COMPLETED, recording the phase for GET /v1/jobs/:id. A cancel request or
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

  for (;;) {
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

    try {
      const status = await deps.fal.status(requestId);
      statusErrors = 0;
      if (status.status === 'COMPLETED') {
        if (inProgressSince !== undefined)
          deps.metrics?.phase('fal_processing', (deps.now() - inProgressSince) / 1000);
        return;
      }
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

    await deps.slots.renew(job.id);
    const delay = Math.min(
      pollDelay(polls++, { firstMs: config.pollFirstMs, maxMs: pollMaxMs }),
      deadline - deps.now(),
    );
    await deps.signals.wait(job.id, delay, deps.shutdown);
    if (deps.shutdown.aborted) throw new JobReleasedError();
  }
}
