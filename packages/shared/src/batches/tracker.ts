import type { FoleyKeys } from '../infra/keys';
import type { ObjectStore } from '../infra/object-store';
import type { RedisClient } from '../infra/redis';
import type { OnJobFinished } from '../jobs/finished';
import { type BatchView, manifestKey } from './contract';
import { manifestLine, manifestText } from './manifest';
import { createBatchStore } from './store';
import { toBatchView } from './view';

/** The `emit` of the webhook producer, narrowed to what batches send. */
export type EmitBatchEvent = (event: {
  type: 'batch.completed';
  target_url: string;
  data: BatchView;
  resource: { kind: 'batch'; id: string; tenant: string };
}) => Promise<unknown>;

export interface BatchTrackerDeps {
  redis: RedisClient;
  keys: FoleyKeys;
  store: Pick<ObjectStore, 'bucket' | 'putText' | 'presignGet'>;
  emit?: EmitBatchEvent;
  now?: () => number;
  /** How long the finisher may take before another caller can take over (crash recovery). */
  finishLeaseMs?: number;
}

export interface BatchTracker {
  /** Counts a job's end in its batch (once), and finishes the batch when it was the last. */
  onJobFinished: OnJobFinished;
  /** Writes the manifest and emits `batch.completed` once; false when the batch is not done, already finished, or being finished elsewhere. */
  finish(batchId: string): Promise<boolean>;
}

/**
 * Batch bookkeeping hung on `OnJobFinished` (the worker and the API both compose it). Each job's end is
 * counted once, with its manifest line recorded at that moment — the finishing job has not been moved
 * by BullMQ yet, and neither may others that end concurrently, so reading jobs back would race. The
 * caller whose count ends the batch writes the manifest and emits `batch.completed` exactly once.
 */
export function createBatchTracker(deps: BatchTrackerDeps): BatchTracker {
  const batches = createBatchStore({ redis: deps.redis, keys: deps.keys });
  const now = deps.now ?? Date.now;
  const leaseMs = deps.finishLeaseMs ?? 60_000;

  const onJobFinished: OnJobFinished = async (view) => {
    if (!view.batch_id) return;
    const line = manifestLine(view);
    if (!line) return;
    const outcome = await batches.recordEnd(view.batch_id, view.id, line.status, JSON.stringify(line), now());
    if (outcome?.finished) await finish(view.batch_id);
  };

  /** Writes the manifest and emits the event, unless done already or another caller is doing it. */
  async function finish(batchId: string): Promise<boolean> {
    if (!(await batches.takeFinishLease(batchId, leaseMs))) return false;
    try {
      const record = await batches.read(batchId);
      const ended = record ? record.ended.completed + record.ended.failed + record.ended.canceled : 0;
      if (!record || record.emitted_at || ended < record.total) {
        await batches.releaseFinishLease(batchId);
        return false;
      }
      const key = manifestKey(batchId);
      await deps.store.putText(key, manifestText(await batches.results(batchId)), 'application/x-ndjson');
      await batches.setManifest(batchId, key);
      const url = await deps.store.presignGet(key, { fileName: 'manifest.jsonl' });
      const view = toBatchView(
        { ...record, manifest_key: key },
        { manifest: { bucket: deps.store.bucket, key, url } },
      );
      if (deps.emit && record.webhook_url) {
        await deps.emit({
          type: 'batch.completed',
          target_url: record.webhook_url,
          data: view,
          resource: { kind: 'batch', id: batchId, tenant: record.tenant },
        });
      }
      await batches.markEmitted(batchId, now());
      return true;
    } catch (error) {
      await batches.releaseFinishLease(batchId).catch(() => {});
      throw error;
    }
  }

  return { onJobFinished, finish };
}
