/**
 * The embedded defaults of `pnpm dev`: everything offline on this machine. Every variable the user sets
 * wins; `URL_ALLOWLIST` defaults to loopback only when it is unset.
 */
export const DEV_DEFAULTS = {
  PORT: '3000',
  FAL_EMULATOR_PORT: '3100',
  LOCAL_S3_PORT: '4569',
  METRICS_PORT: '9464',
  QUEUE_PREFIX: 'foley-dev',
  API_KEYS: 'dev:foley_dev_key_change_me_0001',
  FAL_KEY: 'emulator-key',
  S3_BUCKET: 'foley-dev',
  S3_REGION: 'us-east-1',
  S3_FORCE_PATH_STYLE: 'true',
  AWS_ACCESS_KEY_ID: 'S3RVER',
  AWS_SECRET_ACCESS_KEY: 'S3RVER',
  URL_ALLOWLIST: '127.0.0.1,localhost,::1',
  WEBHOOK_SECRET: 'whsec_ZGV2LW9ubHktc2VjcmV0LWNoYW5nZS1tZQ==',
  ADMIN_USER: 'admin',
  ADMIN_PASSWORD: 'admin-dev-password',
  ADMIN_READONLY_USER: 'viewer',
  ADMIN_READONLY_PASSWORD: 'viewer-dev-password',
  LOG_LEVEL: 'info',
  LOG_PRETTY: 'true',
  FAL_EMULATOR_DELAY_MS: '2000',
  // The AWS SDK warns on every start that Node 20 support ends in 2026; Foley supports Node >= 20.18.
  AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
} as const;

export const LOCAL_REDIS_URL = 'redis://127.0.0.1:6379';

/** True when the user points `pnpm dev` at a Redis of theirs: then it never starts one. */
export function userRedisSet(env: NodeJS.ProcessEnv): boolean {
  return Boolean(env.REDIS_URL || env.REDIS_CLUSTER_NODES || env.REDIS_SENTINELS);
}

export function devEnv(env: NodeJS.ProcessEnv): Record<string, string> {
  const merged: Record<string, string> = {};
  for (const [k, v] of Object.entries(DEV_DEFAULTS)) merged[k] = env[k] ?? v;
  // A Cluster or Sentinel of the user's replaces the local standalone Redis (setting two is a config error).
  if (!env.REDIS_CLUSTER_NODES && !env.REDIS_SENTINELS) merged.REDIS_URL = env.REDIS_URL || LOCAL_REDIS_URL;
  const emulator = `http://127.0.0.1:${merged.FAL_EMULATOR_PORT}`;
  const s3 = `http://127.0.0.1:${merged.LOCAL_S3_PORT}`;
  // Point at the local emulator and S3 server unless the user points elsewhere (e.g. FAL_KEY for real fal).
  merged.FAL_BASE_URL = env.FAL_BASE_URL ?? (env.FAL_KEY ? '' : emulator);
  merged.S3_ENDPOINT = env.S3_ENDPOINT ?? s3;
  merged.FAL_EMULATOR_PUBLIC_URL = env.FAL_EMULATOR_PUBLIC_URL ?? emulator;
  return merged;
}
