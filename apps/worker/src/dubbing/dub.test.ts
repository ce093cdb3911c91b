import { PipelineError } from '@foley/shared/errors';
import { describe, expect, it } from 'vitest';
import { fakeDeps, fakeFal, fakeJob, fakeSlots } from '../../test/dub-fakes';
import { processDubJob } from './dub';
import { JobDeferredError, JobReleasedError } from './job-control';

describe('processDubJob', () => {
  it('a failure to report a completed job never ends it failed: the result is kept and only reported again', async () => {
    const fal = fakeFal([{ status: 'COMPLETED' }]);
    const reported: string[] = [];
    let failReports = 1;
    const { deps } = fakeDeps({
      fal,
      onFinished: async (_job, outcome) => {
        reported.push(outcome.status);
        if (failReports-- > 0) throw new Error('Connection is closed.');
      },
    });
    // The last attempt: before the fix, the report's error failed the job and sent job.failed after job.completed.
    const job = fakeJob({}, { made: 2, max: 3 });
    const first = await processDubJob(job, deps).catch((e: unknown) => e);
    expect(first).toBeInstanceOf(JobDeferredError);
    expect(job.data.result?.fal_request_id).toBe('req_1');
    expect(job.data.error).toBeUndefined();

    const result = await processDubJob(job, deps);
    expect(result.fal_request_id).toBe('req_1');
    expect(reported).toEqual(['completed', 'completed']);
    expect(fal.calls.submit).toBe(1);
  });

  it('submits once, records the request id and phases, and copies both files to deterministic keys', async () => {
    const fal = fakeFal([
      { status: 'IN_QUEUE', queuePosition: 2 },
      { status: 'IN_PROGRESS' },
      { status: 'COMPLETED' },
    ]);
    const { deps, uploads, outcomes } = fakeDeps({ fal });
    const job = fakeJob();
    const result = await processDubJob(job, deps);

    expect(fal.calls.submit).toBe(1);
    expect(job.data.fal_request_id).toBe('req_1');
    expect(job.data.fal_submit_started_at).toBeUndefined();
    // A first run writes no `preflight` nor `submitted`: its view derives both (no phase recorded yet).
    expect(job.progress.map((p) => p.phase)).toEqual(['in_queue', 'in_progress', 'uploading']);
    expect(job.progress[0]).toEqual({ phase: 'in_queue', queue_position: 2 });
    expect(uploads.get('jobs/job_test/video.mp4')).toBe('MP4!');
    expect(uploads.get('jobs/job_test/audio.mp3')).toBe('MP3');
    expect(result).toMatchObject({
      fal_request_id: 'req_1',
      video: { bucket: 'b', key: 'jobs/job_test/video.mp4', content_type: 'video/mp4', file_size: 4 },
      audio: { key: 'jobs/job_test/audio.mp3', content_type: 'audio/mpeg', file_size: 3 },
    });
    expect(outcomes).toEqual([{ status: 'completed', result }]);
  });

  it('renews the fal slot lease on every round of the wait but the first, which follows the acquire', async () => {
    const fal = fakeFal([
      { status: 'IN_QUEUE', queuePosition: 0 },
      { status: 'IN_PROGRESS' },
      { status: 'IN_PROGRESS' },
      { status: 'COMPLETED' },
    ]);
    const { deps } = fakeDeps({ fal });
    const renewed: string[] = [];
    deps.slots = { ...deps.slots, renew: async (id) => void renewed.push(id) };
    await processDubJob(fakeJob(), deps);
    expect(renewed).toEqual(['job_test', 'job_test']);
  });

  it('a re-run overwrites the phase its last run left: preflight and submitted are written again', async () => {
    const fal = fakeFal([{ status: 'IN_PROGRESS' }, { status: 'COMPLETED' }]);
    const { deps } = fakeDeps({ fal });
    const job = fakeJob({}, { made: 1, max: 3 }, { phase: 'uploading' });
    await processDubJob(job, deps);
    expect(job.progress.map((p) => p.phase)).toEqual(['preflight', 'submitted', 'in_progress', 'uploading']);
  });

  it('on its way to completed, writes the slot, the phase and the cleanup without waiting on each in turn', async () => {
    const { deps, outcomes } = fakeDeps();
    const job = fakeJob();
    const order: string[] = [];
    let releases = 0;
    const slots = deps.slots;
    deps.slots = {
      ...slots,
      release: async (id) => {
        releases++;
        await slots.release(id);
      },
    };
    const download = deps.download;
    deps.download = async (url, signal) => {
      order.push('download');
      return download(url, signal);
    };
    // The 'uploading' phase write answers only once the copy has started (or after 500 ms): written
    // before the copy, as it used to be, the copy would start after it.
    const write = job.updateProgress;
    job.updateProgress = async (progress) => {
      await write(progress);
      if (progress.phase !== 'uploading') return;
      for (let i = 0; i < 50 && !order.includes('download'); i++) await new Promise((r) => setTimeout(r, 10));
      order.push('uploading written');
    };
    let cleanupsInFlight = 0;
    let mostInFlight = 0;
    const inFlight = (fn: (id: string) => Promise<unknown>) => async (id: string) => {
      mostInFlight = Math.max(mostInFlight, ++cleanupsInFlight);
      await new Promise((r) => setTimeout(r, 5));
      await fn(id);
      cleanupsInFlight--;
    };
    deps.clearCancelRequest = inFlight(deps.clearCancelRequest) as typeof deps.clearCancelRequest;
    deps.releaseSubmit = inFlight(deps.releaseSubmit) as typeof deps.releaseSubmit;

    await processDubJob(job, deps);

    expect(order.indexOf('download')).toBeLessThan(order.indexOf('uploading written'));
    // One release, when fal was done; not a second one after the upload.
    expect(releases).toBe(1);
    expect(mostInFlight).toBe(2);
    expect(outcomes.map((o) => o.status)).toEqual(['completed']);
  });

  it('moves the phase back to in_queue when fal requeues the request; queue time is observed once', async () => {
    const fal = fakeFal([
      { status: 'IN_QUEUE', queuePosition: 0 },
      { status: 'IN_PROGRESS' },
      { status: 'IN_QUEUE', queuePosition: 0 },
      { status: 'IN_PROGRESS' },
      { status: 'COMPLETED' },
    ]);
    const phases: Array<{ name: string; seconds: number }> = [];
    const metrics = {
      phase: (name: string, seconds: number) => void phases.push({ name, seconds }),
      falRequest() {},
      jobFinished() {},
      retry() {},
    };
    const { deps, outcomes } = fakeDeps({ fal, metrics });
    const job = fakeJob();
    await processDubJob(job, deps);
    expect(job.progress.map((p) => p.phase)).toEqual([
      'in_queue',
      'in_progress',
      'in_queue',
      'in_progress',
      'uploading',
    ]);
    expect(phases.filter((p) => p.name === 'fal_queue')).toHaveLength(1);
    expect(phases.filter((p) => p.name === 'fal_processing')).toHaveLength(1);
    expect(phases.every((p) => p.seconds >= 0)).toBe(true);
    expect(outcomes[0]?.status).toBe('completed');
  });

  it('resumes a saved request without preflight or a second submit', async () => {
    const fal = fakeFal();
    let preflights = 0;
    const { deps } = fakeDeps({ fal, preflight: async () => void preflights++ });
    await processDubJob(
      fakeJob({ fal_request_id: 'req_old', fal_submitted_at: new Date(999_000).toISOString() }),
      deps,
    );
    expect(fal.calls.submit).toBe(0);
    expect(preflights).toBe(0);
    expect(fal.calls.result).toBe(1);
  });

  it('refuses to submit again after an attempt died mid-submit', async () => {
    const fal = fakeFal();
    const { deps, outcomes } = fakeDeps({ fal });
    const error = await processDubJob(fakeJob({ fal_submit_started_at: 'x' }), deps).catch((e) => e);
    expect(error).toMatchObject({ code: 'submit_outcome_unknown', retryable: false });
    expect(fal.calls.submit).toBe(0);
    expect(outcomes[0]).toMatchObject({ status: 'failed', error: { code: 'submit_outcome_unknown' } });
  });

  it('keeps the submit marker when the outcome is unknown, and clears it when fal refused', async () => {
    const lost = fakeFal();
    lost.failSubmit(new PipelineError('submit_outcome_unknown', 'lost'));
    const job = fakeJob();
    await processDubJob(job, fakeDeps({ fal: lost }).deps).catch(() => {});
    expect(job.data.fal_submit_started_at).toBeDefined();

    const busy = fakeFal();
    busy.failSubmit(new PipelineError('fal_unavailable', '429', { retryable: true, retryAfterMs: 1000 }));
    const job2 = fakeJob();
    const { deps, outcomes } = fakeDeps({ fal: busy });
    const error = await processDubJob(job2, deps).catch((e) => e);
    expect(error).toMatchObject({ retryable: true, retryAfterMs: 1000 });
    expect(job2.data.fal_submit_started_at).toBeUndefined();
    expect(job2.data.error).toEqual({ code: 'fal_unavailable', message: '429' });
    expect(outcomes).toEqual([]); // not final: attempts remain
  });

  it('leaves no submit marker or claim when marking the submit failed, so the retry may submit', async () => {
    const fal = fakeFal();
    const ctx = fakeDeps({ fal });
    const job = fakeJob();
    const write = job.updateData;
    // Like BullMQ, the job's data changes in memory before the Redis write, which fails once.
    job.updateData = async (data) => {
      job.data = data;
      if (data.fal_submit_started_at && !data.error) {
        job.updateData = write;
        throw new Error('READONLY You can not write against a read only replica.');
      }
    };
    // A Redis failing over: waited out without using an attempt.
    await expect(processDubJob(job, ctx.deps)).rejects.toBeInstanceOf(JobDeferredError);
    expect(job.data.waiting).toMatchObject({ cause: 'redis_unavailable', count: 1 });
    expect(fal.calls.submit).toBe(0);
    expect(job.data.fal_submit_started_at).toBeUndefined();
    expect(ctx.claims.size).toBe(0);

    await processDubJob(job, ctx.deps);
    expect(fal.calls.submit).toBe(1);
    expect(job.data.fal_request_id).toBe('req_1');
  });

  it('does not submit until replicas hold the claim, and waits for them again on the saved request id', async () => {
    const fal = fakeFal();
    const acks: boolean[] = [false];
    const confirmed: Array<string | undefined> = [];
    const ctx = fakeDeps({ fal });
    const job = fakeJob();
    ctx.deps.confirmReplicated = async () => {
      confirmed.push(job.data.fal_request_id);
      return acks.shift() ?? true;
    };
    // The replica did not acknowledge the claim in time: nothing is sent, the claim is given back.
    await expect(processDubJob(job, ctx.deps)).rejects.toMatchObject({
      code: 'internal_error',
      retryable: true,
    });
    expect(fal.calls.submit).toBe(0);
    expect(ctx.claims.size).toBe(0);
    expect(job.data.fal_submit_started_at).toBeUndefined();

    // Acknowledged: one submit, then a second confirmation once the request id is saved.
    confirmed.length = 0;
    await processDubJob(job, ctx.deps);
    expect(fal.calls.submit).toBe(1);
    expect(confirmed).toEqual([undefined, 'req_1']);
  });

  it('submits once when two attempts of the same job run at once (a lost lock)', async () => {
    const fal = fakeFal();
    let release: () => void = () => {};
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    const submit = fal.submit;
    fal.submit = async (input, opts) => {
      await gate;
      return submit(input, opts);
    };
    const { deps } = fakeDeps({ fal });
    const first = processDubJob(fakeJob(), deps);
    const second = processDubJob(fakeJob(), deps).catch((e: unknown) => e);
    // The other attempt may be alive: the second waits (deferred, no attempt used) for its request id.
    expect(await second).toBeInstanceOf(JobDeferredError);
    release();
    await expect(first).resolves.toMatchObject({ fal_request_id: 'req_1' });
    expect(fal.calls.submit).toBe(1);
  });

  it('gives the claim back when fal refused the submit, and keeps it when the outcome is unknown', async () => {
    const busy = fakeFal();
    busy.failSubmit(new PipelineError('fal_unavailable', '429', { retryable: true }));
    const refused = fakeDeps({ fal: busy });
    await processDubJob(fakeJob(), refused.deps).catch(() => {});
    expect(refused.claims.size).toBe(0);

    const lost = fakeFal();
    lost.failSubmit(new PipelineError('submit_outcome_unknown', 'lost'));
    const unknown = fakeDeps({ fal: lost });
    await processDubJob(fakeJob(), unknown.deps).catch(() => {});
    expect([...unknown.claims]).toEqual(['job_test']);
  });

  it('does not submit a job whose cancel was asked for during preflight', async () => {
    const fal = fakeFal();
    const ctx = fakeDeps({ fal });
    ctx.deps.preflight = async () => ctx.requestCancel();
    await expect(processDubJob(fakeJob(), ctx.deps)).rejects.toMatchObject({ code: 'canceled' });
    expect(fal.calls.submit).toBe(0);
    expect(ctx.outcomes[0]).toMatchObject({ status: 'canceled' });
    expect(await ctx.deps.isCancelRequested('job_test')).toBe(false);
  });

  it('frees the fal slot of a job that waits for a retry without a fal request, and before uploading', async () => {
    const busy = fakeFal();
    busy.failSubmit(new PipelineError('fal_unavailable', '503', { retryable: true }));
    const slots = fakeSlots();
    await processDubJob(fakeJob(), fakeDeps({ fal: busy, slots }).deps).catch(() => {});
    expect(slots.held.size).toBe(0);

    const ctx = fakeDeps({ slots });
    const heldWhileUploading: number[] = [];
    const upload = ctx.deps.store.upload;
    ctx.deps.store.upload = async (key, body, opts) => {
      heldWhileUploading.push(slots.held.size);
      return upload(key, body, opts);
    };
    await processDubJob(fakeJob(), ctx.deps);
    expect(heldWhileUploading).toEqual([0, 0]);
  });

  it('clears a cancel asked for too late (while uploading) once the job completed', async () => {
    const ctx = fakeDeps();
    const upload = ctx.deps.store.upload;
    ctx.deps.store.upload = async (key, body, opts) => {
      ctx.requestCancel();
      return upload(key, body, opts);
    };
    await processDubJob(fakeJob(), ctx.deps);
    expect(ctx.outcomes[0]?.status).toBe('completed');
    expect(await ctx.deps.isCancelRequested('job_test')).toBe(false);
  });

  it('reports the final attempt of a retryable error as failed', async () => {
    const busy = fakeFal();
    busy.failSubmit(new PipelineError('fal_unavailable', '503', { retryable: true }));
    const { deps, outcomes } = fakeDeps({ fal: busy });
    await processDubJob(fakeJob({}, { made: 2, max: 3 }), deps).catch(() => {});
    expect(outcomes).toEqual([{ status: 'failed', error: { code: 'fal_unavailable', message: '503' } }]);
  });

  it('fails a bad video in preflight before any fal call', async () => {
    const fal = fakeFal();
    const { deps, outcomes } = fakeDeps({
      fal,
      preflight: async () => {
        throw new PipelineError('video_too_long', 'video is 25.0 s long');
      },
    });
    await expect(processDubJob(fakeJob(), deps)).rejects.toMatchObject({ code: 'video_too_long' });
    expect(fal.calls.submit).toBe(0);
    expect(outcomes[0]).toMatchObject({ status: 'failed', error: { code: 'video_too_long' } });
  });

  it('defers without submitting when every fal slot is taken', async () => {
    const fal = fakeFal();
    const { deps } = fakeDeps({ fal, slots: fakeSlots(false) });
    await expect(processDubJob(fakeJob(), deps)).rejects.toBeInstanceOf(JobDeferredError);
    expect(fal.calls.submit).toBe(0);
  });

  it.each([
    [
      'a locked account',
      new PipelineError('fal_account_locked', 'fal submit answered HTTP 403: User is locked', {
        retryable: true,
        status: 403,
      }),
      'fal_account_locked',
    ],
    [
      'a 401 on a key that worked',
      new PipelineError('fal_auth_error', 'HTTP 401', { status: 401 }),
      'fal_unauthorized',
    ],
    [
      'a 429',
      new PipelineError('fal_unavailable', 'HTTP 429', { retryable: true, status: 429, retryAfterMs: 2000 }),
      'fal_rate_limited',
    ],
  ] as const)(
    '%s: the job goes back in line without failing or using an attempt',
    async (_name, error, reason) => {
      const fal = fakeFal();
      fal.failSubmit(error);
      const slots = fakeSlots();
      const { deps, outcomes } = fakeDeps({ fal, slots });
      const job = fakeJob();
      await expect(processDubJob(job, deps)).rejects.toBeInstanceOf(JobDeferredError);
      expect(slots.refusals).toEqual([reason]);
      expect(outcomes).toEqual([]);
      expect(job.data.fal_submit_started_at).toBeUndefined(); // nothing was sent: a later dispatch submits
      expect(job.data.error?.code).toBe(error.code);
    },
  );

  it('reads the video once while it waits for a fal slot, not every time it comes back', async () => {
    let preflights = 0;
    let free = false;
    const fal = fakeFal();
    const { deps } = fakeDeps({ fal, preflight: async () => void preflights++ });
    deps.slots.tryAcquire = async () => free;
    const job = fakeJob();
    await expect(processDubJob(job, deps)).rejects.toBeInstanceOf(JobDeferredError);
    await expect(processDubJob(job, deps)).rejects.toBeInstanceOf(JobDeferredError);
    free = true;
    await processDubJob(job, deps);
    expect(preflights).toBe(1);
    expect(fal.calls.submit).toBe(1);
  });

  it('cancels at fal and ends canceled when the client asks while it waits', async () => {
    const fal = fakeFal([{ status: 'IN_PROGRESS' }]);
    const ctx = fakeDeps({ fal });
    let polls = 0;
    ctx.deps.signals.wait = async () => {
      if (++polls === 2) ctx.requestCancel();
      return undefined;
    };
    await expect(processDubJob(fakeJob(), ctx.deps)).rejects.toMatchObject({ code: 'canceled' });
    expect(fal.calls.cancel).toBe(1);
    expect(ctx.outcomes[0]).toMatchObject({ status: 'canceled', error: { code: 'canceled' } });
  });

  it('cancels the fal request and fails with timeout past the deadline', async () => {
    const fal = fakeFal([{ status: 'IN_PROGRESS' }]);
    const { deps } = fakeDeps({ fal });
    await expect(processDubJob(fakeJob(), deps)).rejects.toMatchObject({ code: 'timeout', retryable: false });
    expect(fal.calls.cancel).toBe(1);
    expect(fal.calls.status).toBeGreaterThan(5);
  });

  it('hands the job back on shutdown instead of holding it', async () => {
    const shutdown = new AbortController();
    const fal = fakeFal([{ status: 'IN_PROGRESS' }]);
    const ctx = fakeDeps({ fal, shutdown: shutdown.signal });
    ctx.deps.signals.wait = async () => {
      shutdown.abort();
      return undefined;
    };
    const job = fakeJob();
    await expect(processDubJob(job, ctx.deps)).rejects.toBeInstanceOf(JobReleasedError);
    expect(job.data.fal_request_id).toBe('req_1');
    expect(ctx.outcomes).toEqual([]);
  });

  it('hands a job back without submitting when shutdown begins during preflight', async () => {
    const shutdown = new AbortController();
    const fal = fakeFal();
    const slots = fakeSlots();
    const ctx = fakeDeps({ fal, slots, shutdown: shutdown.signal });
    ctx.deps.preflight = async () => shutdown.abort();
    await expect(processDubJob(fakeJob(), ctx.deps)).rejects.toBeInstanceOf(JobReleasedError);
    expect(fal.calls.submit).toBe(0);
    expect(slots.held.size).toBe(0);
    expect(ctx.claims.size).toBe(0);
  });

  it('tolerates a few failed status polls, then fails the attempt as retryable', async () => {
    let n = 0;
    const fal = fakeFal();
    fal.status = async () => {
      n++;
      if (n < 3) throw new PipelineError('fal_unavailable', 'blip', { retryable: true });
      return { status: 'COMPLETED' };
    };
    await expect(processDubJob(fakeJob(), fakeDeps({ fal }).deps)).resolves.toBeDefined();
    fal.status = async () => {
      throw new PipelineError('fal_unavailable', 'down', { retryable: true });
    };
    await expect(processDubJob(fakeJob(), fakeDeps({ fal }).deps)).rejects.toMatchObject({
      code: 'fal_unavailable',
    });
  });
});
