/**
 * fal's own documented contract for the one model this emulator serves, written from fal's
 * documentation (docs/fal-protocol.md: §11 model, §13 platform), never from Foley's code: the
 * emulator must stay a stand-in for fal, so a mistake in Foley's rules cannot hide behind a matching
 * mistake here. Tags as in those notes: [DOC] fal docs, [3P] third-party reports, [INF] inference.
 */

/** [DOC] The endpoint id; status/result/cancel URLs carry only its `owner/alias`. */
export const ENDPOINT_ID = 'fal-ai/kling-video/video-to-audio';

/** [DOC model page] Input limits of `fal-ai/kling-video/video-to-audio`. */
export const INPUT_LIMITS = {
  promptMaxChars: 200,
  /** "≤ 100 MB": read as decimal megabytes. */
  videoMaxBytes: 100_000_000,
  videoMinSeconds: 3,
  videoMaxSeconds: 20,
  /** ".mp4/.mov only": ffprobe's format names for the MP4/QuickTime family. */
  containerFormats: ['mp4', 'mov'],
} as const;

/** [DOC model page] Defaults fal fills in for fields the caller leaves out. */
export const INPUT_DEFAULTS = {
  sound_effect_prompt: 'Car tires screech as they accelerate in a drag race',
  background_music_prompt: 'intense car race',
  asmr_mode: false,
} as const;

/** The input once fal's defaults are applied. */
export interface KlingInput {
  video_url: string;
  sound_effect_prompt: string;
  background_music_prompt: string;
  asmr_mode: boolean;
}

/** [SRC fal-js types/endpoints.ts `File`] */
export interface FalFile {
  url: string;
  content_type?: string;
  file_name?: string;
  file_size?: number;
}

/** [DOC] `{video: MP4 with the generated audio, audio: the generated audio as MP3}`. */
export interface KlingOutput {
  video: FalFile;
  audio: FalFile;
}

/** [DOC model-apis/request-errors] `error_type` by HTTP status for infrastructure errors. */
export const ERROR_TYPE_BY_STATUS: Record<number, string> = {
  400: 'bad_request',
  // [INF] 401/403/408/409 have no documented error_type; these names say what happened.
  401: 'unauthorized',
  403: 'forbidden',
  408: 'request_timeout',
  409: 'conflict',
  // [3P] the body of a queue-length / ingress 429.
  429: 'concurrent_requests_limit',
  500: 'internal_error',
  502: 'runner_incomplete_response',
  503: 'runner_scheduling_failure',
  504: 'request_timeout',
};

/** [3P fal-ai/fal issues 1147, 1163] Every billable call of a locked account answers 403 with this. */
export const lockedDetail = (reason: string): string =>
  `User is locked. Reason: ${reason}. Top up your balance at fal.ai/dashboard/billing`;

/** [DOC platform headers] Request headers fal reads on submit. */
export const REQUEST_HEADERS = {
  requestTimeout: 'x-fal-request-timeout',
  storeIo: 'x-fal-store-io',
  queuePriority: 'x-fal-queue-priority',
  lifecycle: 'x-fal-object-lifecycle-preference',
} as const;

/** [DOC platform headers] Response headers fal sends. */
export const RESPONSE_HEADERS = {
  requestId: 'x-fal-request-id',
  billableUnits: 'x-fal-billable-units',
  errorType: 'x-fal-error-type',
  timeoutType: 'x-fal-request-timeout-type',
  retryable: 'x-fal-retryable',
} as const;

/** [DOC platform headers] The query parameter that caps how many may wait: more → 429. */
export const MAX_QUEUE_LENGTH_PARAM = 'fal_max_queue_length';

/** [DOC status stream] fal sends an SSE comment this often to keep the connection open. */
export const SSE_KEEPALIVE_MS = 15_000;

/** [DOC reliability] A request fal retries stays or goes back IN_QUEUE; the emulator holds it this long. */
export const REQUEUE_MIN_MS = 500;

/** [DOC concurrency] Account concurrency limits run from 2 to 40 by tier; the emulator's default. */
export const DEFAULT_CONCURRENCY = 4;

/**
 * [DOC pricing, model llms.txt] fal's platform API (`https://api.fal.ai/v1`, admin key): `GET
 * /models/pricing?endpoint_id=` answers `{prices: [{endpoint_id, unit_price, unit, currency}]}`. The
 * list price of this model is $0.035 per video, flat; accounts may have custom prices.
 */
export const PLATFORM_HOST = 'api.fal.ai';
export const LIST_PRICE = { unit_price: 0.035, unit: 'video', currency: 'USD' } as const;
