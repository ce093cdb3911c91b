/**
 * Errors of a Redis that is down or failing over: connection loss, a Cluster electing a new master for
 * a slot (CLUSTERDOWN, TRYAGAIN, slot refresh), a Sentinel-managed master being replaced (READONLY from
 * a demoted one, MASTERDOWN, LOADING), or the shared WAIT of a replica that is not there (NOREPLICAS).
 * The API answers them 503; the worker waits them out without using a job's attempt.
 */
export const isRedisUnavailableError = (e: unknown): boolean =>
  e instanceof Error &&
  !!e.message &&
  /enableOfflineQueue|Connection is closed|ECONNREFUSED|ECONNRESET|ETIMEDOUT|EPIPE|Command timed out|max retries|CLUSTERDOWN|TRYAGAIN|Failed to refresh slots|Too many Cluster redirections|Cluster isn't ready|All sentinels are unreachable|MASTERDOWN|LOADING|READONLY|NOREPLICAS/i.test(
    e.message,
  );
