import type { ObjectStore } from '@foley/shared/infra/object-store';
import type { JobView } from '@foley/shared/jobs/view';
import { toJobView } from '@foley/shared/jobs/view';
import type { DubJob, JobOutcome } from './dub-deps';

/**
 * Whether a finished job's view needs its output with presigned URLs: its webhook carries them, its
 * batch's manifest lists the objects. Two presigns cost about a millisecond of CPU each (the SDK builds a
 * middleware stack per URL), which a job nobody is told about should not pay.
 */
export const viewNeedsOutput = (data: Pick<DubJob['data'], 'webhook_url' | 'batch_id'>): boolean =>
  data.webhook_url !== undefined || data.batch_id !== undefined;

/**
 * The view of a job at the moment it ends, built from the processor's outcome (BullMQ has not moved the
 * job yet, so reading it back would still say `active`). This is what webhooks carry as `data`. Without
 * `store` a completed job's view has no `output` (see viewNeedsOutput).
 */
export async function finishedView(
  job: DubJob,
  outcome: JobOutcome,
  store: Pick<ObjectStore, 'presignGet'> | undefined,
  now: number,
): Promise<JobView> {
  if (outcome.status === 'completed') {
    const { video, audio } = outcome.result;
    const urls = store && {
      video: await store.presignGet(video.key, { fileName: video.file_name }),
      audio: await store.presignGet(audio.key, { fileName: audio.file_name }),
    };
    return toJobView(
      {
        data: job.data,
        state: 'completed',
        progress: undefined,
        attemptsMade: job.attemptsMade + 1,
        finishedOn: now,
        returnvalue: outcome.result,
      },
      urls,
    );
  }
  return toJobView({
    data: { ...job.data, error: outcome.error },
    state: 'failed',
    progress: undefined,
    attemptsMade: job.attemptsMade + 1,
    finishedOn: now,
  });
}
