/**
 * Foley's own Redis keys, beside BullMQ's under the same prefix (so one prefix — or one hash tag on
 * Redis Cluster — holds everything of a deployment, and tests can delete `prefix:*`).
 */
export function foleyKeys(prefix: string) {
  const p = `${prefix}:foley`;
  return {
    /** ZSET of a tenant's job ids scored by creation time (ms): the index behind GET /v1/jobs. */
    tenantJobs: (tenant: string) => `${p}:tenant:${tenant}:jobs`,
    /** Set when a client cancels a running job; the worker sees it, asks fal to cancel and ends the job. */
    cancelRequested: (jobId: string) => `${p}:cancel:${jobId}`,
    /** A job canceled while still queued is removed from BullMQ; this JSON record keeps its final state. */
    canceledJob: (jobId: string) => `${p}:canceled:${jobId}`,
    /** Idempotency-Key record: the request hash and the job it created. */
    idempotency: (tenant: string, key: string) => `${p}:idem:${tenant}:${key}`,
    /** ZSET of jobs holding a fal slot, scored by lease expiry (ms): Foley's global fal concurrency limit. */
    falSlots: () => `${p}:fal-slots`,
    /** Pub/sub channel that wakes a waiting job (fal webhook arrived, cancel requested). */
    jobEvents: (jobId: string) => `${p}:job-events:${jobId}`,
  };
}
export type FoleyKeys = ReturnType<typeof foleyKeys>;
