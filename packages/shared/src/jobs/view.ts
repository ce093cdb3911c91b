import type { FailureCode } from '../errors';
import { jobCostMicros, toJobCost } from '../spend/job-cost';
import type { JobCost } from '../spend/money';
import type { DubJobData, DubJobResult, JobError, JobPhase, JobStatus, StoredObject } from './contract';
import { dubJobProgressSchema } from './contract';
import type { ModelInput } from './model';

/** BullMQ's job states, as `Job.getState()` reports them. */
export type QueueState =
  | 'waiting'
  | 'prioritized'
  | 'delayed'
  | 'active'
  | 'completed'
  | 'failed'
  | 'waiting-children'
  | 'unknown';

/** A job as clients see it (GET /v1/jobs/:id, webhook `data`). */
export interface JobView {
  id: string;
  object: 'job';
  status: JobStatus;
  phase?: JobPhase;
  queue_position?: number;
  input: ModelInput;
  webhook_url?: string;
  metadata?: Record<string, unknown>;
  batch_id?: string;
  batch_index?: number;
  attempts: number;
  fal_request_id?: string;
  cancel_requested?: boolean;
  created_at: string;
  started_at?: string;
  finished_at?: string;
  error?: JobError;
  output?: { video: OutputFile; audio: OutputFile };
  /** Set once the job ended (spend/job-cost.ts). */
  cost?: JobCost;
}

export interface OutputFile extends StoredObject {
  url: string;
}

/** Everything `toJobView` needs, read from BullMQ (or from a canceled-job record). */
export interface JobSnapshot {
  data: DubJobData;
  state: QueueState;
  progress: unknown;
  attemptsMade: number;
  processedOn?: number | undefined;
  finishedOn?: number | undefined;
  returnvalue?: DubJobResult | null | undefined;
  failedReason?: string | undefined;
  cancelRequested?: boolean;
}

/** Pure mapping from queue state to the public status (README.md, The HTTP API). */
export function publicStatus(s: Pick<JobSnapshot, 'state' | 'data'>): JobStatus {
  switch (s.state) {
    case 'completed':
      return 'completed';
    case 'failed':
      return s.data.error?.code === 'canceled' ? 'canceled' : 'failed';
    case 'active':
      return 'processing';
    case 'delayed':
      // A delayed job that already has a fal request is between polls or handed back on shutdown.
      return s.data.fal_request_id ? 'processing' : 'queued';
    default:
      return 'queued';
  }
}

export function toJobView(
  s: JobSnapshot,
  urls?: { video: string; audio: string },
): Omit<JobView, 'output'> & { output?: JobView['output'] } {
  const status = publicStatus(s);
  const d = s.data;
  const view: JobView = {
    id: d.id,
    object: 'job',
    status,
    input: d.input,
    attempts: s.attemptsMade,
    created_at: d.created_at,
  };
  if (status === 'processing') {
    const progress = dubJobProgressSchema.safeParse(s.progress);
    view.phase = progress.success ? progress.data.phase : d.fal_request_id ? 'submitted' : 'preflight';
    if (progress.success && progress.data.queue_position !== undefined)
      view.queue_position = progress.data.queue_position;
  }
  if (d.webhook_url) view.webhook_url = d.webhook_url;
  if (d.metadata) view.metadata = d.metadata;
  if (d.batch_id) view.batch_id = d.batch_id;
  if (d.batch_index !== undefined) view.batch_index = d.batch_index;
  if (d.fal_request_id) view.fal_request_id = d.fal_request_id;
  if (s.cancelRequested && (status === 'processing' || status === 'queued')) view.cancel_requested = true;
  if (s.processedOn) view.started_at = new Date(s.processedOn).toISOString();
  if (s.finishedOn && ['completed', 'failed', 'canceled'].includes(status))
    view.finished_at = new Date(s.finishedOn).toISOString();
  if (status === 'failed' || status === 'canceled') {
    view.error = d.error ?? { code: 'internal_error' as FailureCode, message: s.failedReason ?? 'failed' };
  }
  const cost = jobCostMicros(
    status === 'failed' || status === 'canceled' ? { ...d, error: view.error } : d,
    status,
    s.returnvalue,
  );
  if (cost) view.cost = toJobCost(cost);
  if (status === 'completed' && s.returnvalue && urls) {
    view.output = {
      video: { ...s.returnvalue.video, url: urls.video },
      audio: { ...s.returnvalue.audio, url: urls.audio },
    };
  }
  return view;
}
