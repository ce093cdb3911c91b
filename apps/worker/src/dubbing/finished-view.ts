import type { ObjectStore } from '@foley/shared/infra/object-store';
import type { JobView } from '@foley/shared/jobs/view';
import { toJobView } from '@foley/shared/jobs/view';
import type { DubJob, JobOutcome } from './dub-deps';

/**
 * The view of a job at the moment it ends, built from the processor's outcome (BullMQ has not moved the
 * job yet, so reading it back would still say `active`). This is what webhooks carry as `data`.
 */
export async function finishedView(
  job: DubJob,
  outcome: JobOutcome,
  store: Pick<ObjectStore, 'presignGet'>,
  now: number,
): Promise<JobView> {
  if (outcome.status === 'completed') {
    const { video, audio } = outcome.result;
    const urls = {
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
