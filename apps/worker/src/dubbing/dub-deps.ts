import type { Logger } from '@foley/shared/infra/logger';
import type { ObjectStore } from '@foley/shared/infra/object-store';
import type { DubJobData, DubJobProgress, DubJobResult, JobError } from '@foley/shared/jobs/contract';
import type { OpenDownload } from '../clients/download';
import type { FalGateway } from '../clients/fal';
import type { FalSlots } from '../clients/fal-dispatch';
import type { JobSignals } from '../clients/job-signals';

/** The slice of a BullMQ job the processor uses, so tests can pass a plain object. */
export interface DubJob {
  readonly id: string;
  data: DubJobData;
  readonly attemptsMade: number;
  readonly maxAttempts: number;
  /**
   * True once any run of the job recorded a phase. Until then the job's view derives the phase itself
   * (`preflight`, or `submitted` once the request id is saved), so those two cost no write.
   */
  readonly hasProgress: boolean;
  updateData(data: DubJobData): Promise<void>;
  updateProgress(progress: DubJobProgress): Promise<void>;
  /**
   * The result as recorded in Redis now, not as loaded when this run began: another run of the same job
   * (one that kept going after its lock was lost) may have completed it meanwhile.
   */
  recordedResult(): Promise<DubJobResult | undefined>;
}

export type JobOutcome =
  | { status: 'completed'; result: DubJobResult }
  | { status: 'failed' | 'canceled'; error: JobError };

/** Where the processor reports measurements (Prometheus in production, nothing in unit tests). */
export interface DubMetrics {
  phase(name: 'preflight' | 'fal_queue' | 'fal_processing' | 'upload', seconds: number): void;
  falRequest(op: 'submit' | 'status' | 'result' | 'cancel' | 'stream', status: string): void;
  jobFinished(status: JobOutcome['status'], code: string): void;
  retry(code: string): void;
}

export interface DubDeps {
  fal: FalGateway;
  store: ObjectStore;
  download: OpenDownload;
  /** Checks a video URL before any money is spent; throws PipelineError with a precise code. */
  preflight: (url: string) => Promise<unknown>;
  /**
   * PIN_INPUTS: copies the checked video into Foley's bucket (and checks the copy); returns its key, and
   * fal gets a presigned URL of it instead of the customer's URL. Absent: fal reads the customer's URL.
   */
  pinInput?: (url: string, jobId: string) => Promise<string>;
  slots: FalSlots;
  /** The fal account serving a tenant (FAL_ACCOUNTS, TENANT_FAL_ACCOUNTS); without it `fal` and `slots` serve all. */
  route?: (tenant: string) => { fal: FalGateway; slots: FalSlots };
  /**
   * Atomically claims the job's one fal submit; false when an attempt of this job claimed it first (a
   * crashed one, or one still running elsewhere after BullMQ gave its lock to another worker).
   */
  claimSubmit: (jobId: string, nonce?: string) => Promise<boolean>;
  /**
   * When the job's submit was claimed (ms, the claimer's clock: worker clocks must agree well within
   * `submitClaimGraceMs`), undefined when unclaimed: tells a stopped claimer from a live one.
   */
  submitClaimedAt?: (jobId: string) => Promise<number | undefined>;
  /** Gives the claim back when fal certainly created no request (it refused, or was never reached). */
  releaseSubmit: (jobId: string) => Promise<void>;
  /** The request fal's callback revealed for a submit whose answer was lost (recorded on the claim by the API). */
  lostSubmits: {
    claimedRequest: (jobId: string) => Promise<string | undefined>;
    /** Gives the claim up unless a callback recorded a request on it meanwhile (then returns its id). */
    abandonSubmit: (jobId: string) => Promise<string | undefined>;
  };
  /**
   * True once Redis replicas hold the job's writes so far (the claim, the saved request id), so a
   * failover cannot lose them; true at once where no replica is required. Bounded by REDIS_WAIT_TIMEOUT.
   */
  confirmReplicated: (jobId: string) => Promise<boolean>;
  signals: JobSignals;
  /** True when a client asked to cancel the job. */
  isCancelRequested: (jobId: string) => Promise<boolean>;
  clearCancelRequest: (jobId: string) => Promise<void>;
  /** Called once a job has reached its final state (webhooks, batch counters). */
  onFinished: (job: DubJob, outcome: JobOutcome) => Promise<void>;
  /** Fires on shutdown: jobs waiting on fal are handed back instead of holding the worker. */
  shutdown: AbortSignal;
  logger: Logger;
  metrics?: DubMetrics;
  now: () => number;
  config: {
    /** How long a fal request may take from submit to COMPLETED before the job fails with `timeout`. */
    deadlineMs: number;
    pollFirstMs: number;
    pollMaxMs: number;
    /**
     * fal's webhook to our API, when configured: then polling is only a slow safety net, and a submit whose
     * answer was lost can be recovered. `nonce` ties the callback to the one submit that claimed it.
     */
    falWebhookUrl?: (jobId: string, nonce: string) => string;
    /**
     * A submit whose answer was lost (with fal callbacks only): how long to wait for fal's callback to
     * name the request, and whether to submit again after that (UNKNOWN_SUBMIT_WAIT, RESUBMIT_UNKNOWN_SUBMITS).
     */
    lostSubmit?: { waitMs: number; resubmit: boolean };
    /** How long a job without a slot parks before it looks again by itself (a safety net: dispatch promotes it). */
    slotRetryMs: number;
    /** Consecutive failed status polls tolerated before the attempt fails (and BullMQ retries it). */
    maxStatusErrors: number;
    /** Backoff of a job waiting out an outage or fal's back-pressure (dub-waits.ts): first and largest delay. */
    waitFirstMs?: number;
    waitMaxMs?: number;
    /** A submit claimed longer ago than this, with no saved fal request, was claimed by an attempt that stopped. */
    submitClaimGraceMs?: number;
    /** How long the presigned URL of a pinned input given to fal stays valid (fal reads it when it runs). */
    pinnedUrlTtlSeconds?: number;
  };
}
