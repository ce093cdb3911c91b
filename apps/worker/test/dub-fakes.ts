import { Readable } from 'node:stream';
import type { PipelineError } from '@foley/shared/errors';
import { createLogger } from '@foley/shared/infra/logger';
import type { DubJobData, DubJobProgress } from '@foley/shared/jobs/contract';
import type { FalGateway, FalQueueStatus } from '../src/clients/fal';
import type { FalSlots } from '../src/clients/fal-dispatch';
import type { DubDeps, DubJob, JobOutcome } from '../src/dubbing/dub-deps';

/** In-memory stand-ins for the processor's dependencies (unit tests only; integration tests use real ones). */
export function fakeJob(
  data: Partial<DubJobData> = {},
  attempts = { made: 0, max: 3 },
  /** A phase an earlier run left on the job. */
  earlier?: DubJobProgress,
) {
  const progress: DubJobProgress[] = [];
  const job: DubJob & { progress: DubJobProgress[] } = {
    id: 'job_test',
    data: {
      id: 'job_test',
      tenant: 't',
      created_at: new Date(0).toISOString(),
      input: {
        video_url: 'https://v.example/a.mp4',
        sound_effect_prompt: 's',
        background_music_prompt: 'm',
        asmr_mode: false,
      },
      ...data,
    },
    attemptsMade: attempts.made,
    maxAttempts: attempts.max,
    progress,
    get hasProgress() {
      return earlier !== undefined || progress.length > 0;
    },
    async updateData(d) {
      job.data = d;
    },
    async updateProgress(p) {
      progress.push(p);
    },
    async recordedResult() {
      return job.data.result;
    },
  };
  return job;
}

export function fakeFal(statuses: FalQueueStatus[] = [{ status: 'COMPLETED' }]) {
  const calls = { submit: 0, status: 0, result: 0, cancel: 0 };
  let submitError: PipelineError | undefined;
  const fal: FalGateway & { calls: typeof calls; failSubmit(e: PipelineError): void } = {
    calls,
    failSubmit(e) {
      submitError = e;
    },
    async submit() {
      calls.submit++;
      if (submitError) throw submitError;
      return 'req_1';
    },
    async status() {
      calls.status++;
      return statuses[Math.min(calls.status - 1, statuses.length - 1)]!;
    },
    async result() {
      calls.result++;
      return {
        video: {
          url: 'https://fal.example/v.mp4',
          content_type: 'video/mp4',
          file_name: 'v.mp4',
          file_size: 4,
        },
        audio: {
          url: 'https://fal.example/a.mp3',
          content_type: 'audio/mpeg',
          file_name: 'a.mp3',
          file_size: 3,
        },
      };
    },
    async cancel() {
      calls.cancel++;
    },
  };
  return fal;
}

export function fakeSlots(free = true): FalSlots & { held: Set<string>; refusals: string[] } {
  const held = new Set<string>();
  const refusals: string[] = [];
  return {
    held,
    refusals,
    async refused(id, _ticket, why) {
      held.delete(id);
      refusals.push(why.reason);
      return true;
    },
    async accepted() {},
    async tryAcquire(id) {
      if (!free && !held.has(id)) return false;
      held.add(id);
      return true;
    },
    async forceAcquire(id) {
      held.add(id);
    },
    async renew() {},
    async release(id) {
      held.delete(id);
    },
    async count() {
      return held.size;
    },
  };
}

export function fakeDeps(overrides: Partial<DubDeps> = {}) {
  const uploads = new Map<string, string>();
  const outcomes: JobOutcome[] = [];
  let cancel = false;
  let clock = 1_000_000;
  const claims = new Set<string>();
  const claimers = new Map<string, { nonce: string | undefined; at: number }>();
  /** Request ids "fal's callback" recorded on a claim (the API's part, in integration tests). */
  const callbackRequests = new Map<string, string>();
  const deps: DubDeps = {
    fal: fakeFal(),
    store: {
      bucket: 'b',
      async upload(key, body) {
        const chunks: Buffer[] = [];
        for await (const c of body) chunks.push(Buffer.from(c));
        uploads.set(key, Buffer.concat(chunks).toString());
        return { size: Buffer.concat(chunks).length, sha256: 'sha' };
      },
      async putText(key, text) {
        uploads.set(key, text);
      },
      async presignGet(key) {
        return `https://s3/${key}`;
      },
      async presignPost(key) {
        return { url: 'https://s3/bucket', fields: { key } };
      },
      async ping() {},
    },
    download: async (url) => ({
      body: Readable.from([url.endsWith('.mp4') ? 'MP4!' : 'MP3']),
      contentType: undefined,
      contentLength: undefined,
    }),
    preflight: async () => ({}),
    slots: fakeSlots(),
    async claimSubmit(id, nonce) {
      if (claims.has(id)) return nonce !== undefined && claimers.get(id)?.nonce === nonce;
      claims.add(id);
      claimers.set(id, { nonce, at: clock });
      return true;
    },
    submitClaimedAt: async (id) => (claims.has(id) ? claimers.get(id)?.at : undefined),
    async releaseSubmit(id) {
      claims.delete(id);
      claimers.delete(id);
    },
    lostSubmits: {
      claimedRequest: async (id) => (claims.has(id) ? callbackRequests.get(id) : undefined),
      async abandonSubmit(id) {
        const recorded = claims.has(id) ? callbackRequests.get(id) : undefined;
        if (!recorded) {
          claims.delete(id);
          claimers.delete(id);
        }
        return recorded;
      },
    },
    confirmReplicated: async () => true,
    signals: {
      async wait(_id, ms) {
        clock += ms;
        return undefined;
      },
      async close() {},
    },
    isCancelRequested: async () => cancel,
    clearCancelRequest: async () => {
      cancel = false;
    },
    onFinished: async (_job, outcome) => {
      outcomes.push(outcome);
    },
    shutdown: new AbortController().signal,
    logger: createLogger({ name: 'test', level: 'silent' }),
    now: () => clock,
    config: { deadlineMs: 60_000, pollFirstMs: 1000, pollMaxMs: 5000, slotRetryMs: 2000, maxStatusErrors: 3 },
    ...overrides,
  };
  return {
    deps,
    uploads,
    outcomes,
    claims,
    /** Moves the fake clock (claims age, deadlines pass). */
    advance: (ms: number) => {
      clock += ms;
    },
    callbackRequests,
    requestCancel: () => {
      cancel = true;
    },
  };
}
