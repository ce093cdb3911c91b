/**
 * Foley's own Redis keys, beside BullMQ's under the same prefix (so one prefix — or one hash tag on
 * Redis Cluster — holds everything of a deployment, and tests can delete `prefix:*`).
 */
export function foleyKeys(prefix: string) {
  const p = `${prefix}:foley`;
  return {
    /** ZSET (score 0, lexicographic: ids sort by creation time) of a tenant's job ids: the index behind GET /v1/jobs. */
    tenantJobs: (tenant: string) => `${p}:tenant:${tenant}:jobs`,
    /** Set when a client cancels a running job; the worker sees it, asks fal to cancel and ends the job. */
    cancelRequested: (jobId: string) => `${p}:cancel:${jobId}`,
    /** A job canceled while still queued is removed from BullMQ; this JSON record keeps its final state. */
    canceledJob: (jobId: string) => `${p}:canceled:${jobId}`,
    /** Idempotency-Key record: the request hash and the job it created. */
    idempotency: (tenant: string, key: string) => `${p}:idem:${tenant}:${key}`,
    /** ZSET (score 0, lexicographic) of jobs waiting for a fal slot: `tenant|priority|job id` (dispatch/ready-entry.ts). */
    dispatchReady: () => `${p}:dispatch:ready`,
    /** ZSET of tenants with jobs in `dispatchReady`, scored by their pass (stride scheduling, weighted round-robin). */
    dispatchTenants: () => `${p}:dispatch:tenants`,
    /** Pub/sub channel: work was added, a dispatcher should look for free slots now. */
    dispatchNudge: () => `${p}:dispatch:nudge`,
    /** JSON list of the fal accounts `[{name, concurrency}]`, written by every worker at start (no keys). */
    dispatchAccounts: () => `${p}:dispatch:accounts`,
    /** ZSET of jobs holding one of the account's fal slots, scored by lease expiry (ms): its concurrency limit. */
    falSlots: (account: string) => `${p}:dispatch:acct:${account}:slots`,
    /** HASH job id → tenant of the account's slot holders (running per tenant, TENANT_MAX_RUNNING). */
    falSlotOwners: (account: string) => `${p}:dispatch:acct:${account}:owners`,
    /** ZSET of jobs granted a slot but not yet started, scored by grant time (ms): re-promoted if left. */
    falGranted: (account: string) => `${p}:dispatch:acct:${account}:granted`,
    /** HASH of the account's dispatch state: state, reason, since, until, probe_at, next_at, vtime (account-state.ts). */
    falAccountState: (account: string) => `${p}:dispatch:acct:${account}:state`,
    /** Counter of a tenant's unfinished (queued or processing) jobs: TENANT_MAX_QUEUED. */
    tenantOpenJobs: (tenant: string) => `${p}:tenant:${tenant}:open`,
    /** HASH (tokens, at) of an API key's token bucket: API_RATE_LIMIT / API_RATE_BURST. */
    rateBucket: (tenant: string) => `${p}:rate:${tenant}`,
    /** HASH day → finished count of a tenant (the /admin overview's "finished today"). */
    tenantFinished: (tenant: string) => `${p}:tenant:${tenant}:finished`,
    /** Set (NX) by the one attempt of a job that may submit it to fal; kept unless fal surely created nothing. */
    falSubmitClaim: (jobId: string) => `${p}:fal-submit:${jobId}`,
    /** Pub/sub channel that wakes a waiting job (fal webhook arrived, cancel requested). */
    jobEvents: (jobId: string) => `${p}:job-events:${jobId}`,
    /** Hash of an outbound webhook event: type, target, resource, signed body, final state. */
    webhookEvent: (eventId: string) => `${p}:webhook:${eventId}`,
    /** LIST of an event's delivery attempts (JSON), oldest first. */
    webhookAttempts: (eventId: string) => `${p}:webhook:${eventId}:attempts`,
    /** ZSET of a job's or batch's event ids scored by creation time (ms). */
    resourceWebhooks: (kind: 'job' | 'batch', id: string) => `${p}:webhooks:${kind}:${id}`,
    /** Hash of a batch: tenant, total, settings, end counters (completed/failed/canceled), manifest key. */
    batch: (batchId: string) => `${p}:batch:${batchId}`,
    /** ZSET (score 0, lexicographic) of a batch's job ids: the index behind GET /v1/jobs?batch_id=. */
    batchJobs: (batchId: string) => `${p}:batch:${batchId}:jobs`,
    /** SET of a batch's job ids already counted as ended: a job reported twice is counted once. */
    batchCounted: (batchId: string) => `${p}:batch:${batchId}:counted`,
    /** Hash job id → its manifest line (JSON), recorded when the job's end is counted. */
    batchResults: (batchId: string) => `${p}:batch:${batchId}:results`,
    /** Lease taken by the one caller that writes the manifest and emits `batch.completed`. */
    batchFinishing: (batchId: string) => `${p}:batch:${batchId}:finishing`,
    /** Hash of a tenant's spend on one UTC day (`YYYY-MM-DD`): spent, reserved, job counts, per batch (spend/ledger.ts). */
    spendDay: (tenant: string, day: string) => `${p}:spend:${tenant}:day:${day}`,
    /** Hash of a tenant's spend in one UTC month (`YYYY-MM`): spent, reserved. */
    spendMonth: (tenant: string, month: string) => `${p}:spend:${tenant}:month:${month}`,
    /** Set (NX) when a finished job's cost is settled: a job reported twice is settled once. */
    spendSettled: (jobId: string) => `${p}:spend:settled:${jobId}`,
  };
}
export type FoleyKeys = ReturnType<typeof foleyKeys>;
