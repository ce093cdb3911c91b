import { isPipelineError, PipelineError } from '@foley/shared/errors';
import { type DubJobResult, type JobError, outputKeys } from '@foley/shared/jobs';
import type { DubDeps, DubJob } from './dub-deps';
import { copyOutputs } from './dub-outputs';
import { waitForFal } from './dub-wait';
import { isControlSignal, JobDeferred } from './job-control';

/**
 * Dubs one video: preflight → submit to fal (at most once, ever) → wait → copy outputs to S3.
 * Throws PipelineError (retryable or not) or a control signal; records the error on the job first.
 */
export async function processDubJob(job: DubJob, deps: DubDeps): Promise<DubJobResult> {
  const log = deps.logger.child({
    job_id: job.id,
    fal_request_id: job.data.fal_request_id,
    batch_id: job.data.batch_id,
  });
  try {
    const result = await dub(job, deps, log);
    await deps.slots.release(job.id);
    await deps.onFinished(job, { status: 'completed', result });
    deps.metrics?.jobFinished('completed', 'none');
    log.info({ video_bytes: result.video.file_size, audio_bytes: result.audio.file_size }, 'job completed');
    return result;
  } catch (thrown) {
    if (isControlSignal(thrown)) throw thrown;
    const error = toPipelineError(thrown);
    const final = !error.retryable || job.attemptsMade + 1 >= job.maxAttempts;
    const jobError: JobError = { code: error.code, message: error.message };
    await job.updateData({ ...job.data, error: jobError });
    if (final) {
      const status = error.code === 'canceled' ? 'canceled' : 'failed';
      await deps.slots.release(job.id);
      if (error.code === 'canceled') await deps.clearCancelRequest(job.id);
      await deps.onFinished(job, { status, error: jobError });
      deps.metrics?.jobFinished(status, error.code);
      log.warn({ code: error.code, err: error.message }, 'job failed');
    } else {
      deps.metrics?.retry(error.code);
      log.info(
        { code: error.code, err: error.message, attempt: job.attemptsMade + 1 },
        'attempt failed; will retry',
      );
    }
    throw error;
  }
}

async function dub(job: DubJob, deps: DubDeps, log: DubDeps['logger']): Promise<DubJobResult> {
  if (await deps.isCancelRequested(job.id)) {
    if (job.data.fal_request_id) await deps.fal.cancel(job.data.fal_request_id);
    throw new PipelineError('canceled', 'canceled by the client');
  }

  let requestId = job.data.fal_request_id;
  if (requestId) {
    // Resuming (retry, stalled-job recovery, restart): the request exists at fal and is never submitted again.
    await deps.slots.forceAcquire(job.id);
    log.info('resuming fal request');
  } else {
    if (job.data.fal_submit_started_at) {
      throw new PipelineError(
        'submit_outcome_unknown',
        'a previous attempt was interrupted while submitting to fal; not submitting again, to never pay twice',
      );
    }
    await job.updateProgress({ phase: 'preflight' });
    const preflightStart = deps.now();
    await deps.preflight(job.data.input.video_url);
    deps.metrics?.phase('preflight', (deps.now() - preflightStart) / 1000);
    if (!(await deps.slots.tryAcquire(job.id))) throw new JobDeferred(deps.config.slotRetryMs);
    requestId = await submitOnce(job, deps);
    log.info({ fal_request_id: requestId }, 'submitted to fal');
  }

  await waitForFal(job, requestId, deps);
  const output = await deps.fal.result(requestId);
  await job.updateProgress({ phase: 'uploading' });
  const uploadStart = deps.now();
  const { video, audio } = await copyOutputs(output, outputKeys(job.id), deps);
  deps.metrics?.phase('upload', (deps.now() - uploadStart) / 1000);
  return { fal_request_id: requestId, video, audio };
}

/** Marks the submit as started, submits, then saves the request id before anything else happens. */
async function submitOnce(job: DubJob, deps: DubDeps): Promise<string> {
  const started = new Date(deps.now()).toISOString();
  await job.updateData({ ...job.data, fal_submit_started_at: started });
  let requestId: string;
  try {
    const webhookUrl = deps.config.falWebhookUrl?.(job.id);
    requestId = await deps.fal.submit(job.data.input, webhookUrl ? { webhookUrl } : {});
  } catch (error) {
    if (isPipelineError(error) && error.code !== 'submit_outcome_unknown') {
      // fal answered (or was never reached): no request exists, so a later attempt may submit again.
      const { fal_submit_started_at: _, ...rest } = job.data;
      await job.updateData(rest);
    }
    throw error;
  }
  const { fal_submit_started_at: _, ...rest } = job.data;
  await job.updateData({ ...rest, fal_request_id: requestId, fal_submitted_at: started });
  await job.updateProgress({ phase: 'submitted' });
  return requestId;
}

function toPipelineError(error: unknown): PipelineError {
  if (isPipelineError(error)) return error;
  const message = error instanceof Error ? error.message : String(error);
  // Unknown errors are bugs or unforeseen environment failures: retry a bounded number of times.
  return new PipelineError('internal_error', message, { retryable: true, cause: error });
}
