import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createLogger, type Logger } from '@foley/shared/infra/logger';
import { createAccount } from './account';
import { createApp } from './app';
import type { EmulatorContext } from './context';
import { DEFAULT_CONCURRENCY, SSE_KEEPALIVE_MS } from './fal-contract';
import { createFalWebhooks } from './fal-webhooks';
import { createFaultStore } from './faults';
import { createFileStore, type FileStore } from './file-store';
import { createRenderCache } from './render-cache';
import { createSubmitLog, type LoggedSubmit } from './request-log';
import { createRequestQueue } from './request-queue';
import { createModelRunner, type MediaMode, renderOutputs } from './runner';
import { createSamples, type Samples } from './samples';
import { createWebhookSigner } from './signing';

/** Completed requests and their files are forgotten after this (bounded memory on long runs). */
export const DEFAULT_RETAIN_MS = 60 * 60_000;

export interface EmulatorOptions {
  /** 0 (default) picks a free port. */
  port?: number;
  host?: string;
  /** Base of the absolute URLs the emulator hands out; default `http://<host>:<port>`. */
  publicUrl?: string;
  /** How long a successful model run takes in total (ms). */
  delayMs?: number;
  /** The account's concurrency limit: requests IN_PROGRESS at once; the rest wait IN_QUEUE. */
  concurrency?: number;
  /** `render` (default): ffmpeg for every request; `reuse`: once per distinct input (benchmarks). */
  media?: MediaMode;
  /** How long completed requests and their files stay readable (ms); default 1 h. */
  retainMs?: number;
  /** Interval of the status stream's keepalive comment (ms); default 15 s as fal. */
  sseKeepaliveMs?: number;
  /** Require exactly this key; by default any non-empty `Key …` passes. */
  falKey?: string;
  webhookRetryDelaysMs?: number[];
  logger?: Logger;
}

export interface RunningEmulator {
  /** Where it listens, e.g. http://127.0.0.1:3100; use as Foley's FAL_BASE_URL. */
  url: string;
  publicUrl: string;
  port: number;
  jwksUrl: string;
  requests(): LoggedSubmit[];
  close(): Promise<void>;
}

export async function startEmulator(opts: EmulatorOptions = {}): Promise<RunningEmulator> {
  const host = opts.host ?? '127.0.0.1';
  const logger = opts.logger ?? createLogger({ name: 'fal-emulator', level: 'silent' });
  const root = await mkdtemp(join(tmpdir(), 'fal-emulator-'));
  let publicUrl = '';

  const retainMs = opts.retainMs ?? DEFAULT_RETAIN_MS;
  const media = opts.media ?? 'render';
  const faults = createFaultStore();
  const files = createFileStore({ dir: join(root, 'files'), publicUrl: () => publicUrl, retainMs });
  const cache =
    media === 'reuse'
      ? createRenderCache({
          dir: join(root, 'renders'),
          render: (input, videoPath, outDir, signal) => renderOutputs(input, videoPath, outDir, signal),
        })
      : undefined;
  const samples = createSamples({ dir: join(root, 'samples') });
  const signer = createWebhookSigner();
  const webhooks = createFalWebhooks({
    signer,
    logger,
    ...(opts.webhookRetryDelaysMs ? { retryDelaysMs: opts.webhookRetryDelaysMs } : {}),
  });
  const resolveLocal = async (url: string) => localPath(url, publicUrl, files, samples);
  const submits = createSubmitLog({ retainMs });
  const queue = createRequestQueue({
    concurrency: opts.concurrency ?? DEFAULT_CONCURRENCY,
    retainMs,
    run: createModelRunner({
      workDir: join(root, 'runs'),
      files,
      faults,
      delayMs: opts.delayMs ?? 2000,
      resolveLocal,
      cache,
    }),
    onCompleted: (req) => {
      logger.debug({ requestId: req.id, ok: req.outcome?.ok, canceled: req.canceled }, 'request completed');
      const forgetFiles = req.onForget;
      req.onForget = () => {
        forgetFiles?.();
        submits.forget(req.id);
      };
      webhooks.deliver(req);
    },
  });
  const account = createAccount({
    concurrency: opts.concurrency ?? DEFAULT_CONCURRENCY,
    onConcurrency: (n) => queue.setConcurrency(n),
  });
  const ctx: EmulatorContext = {
    publicUrl: () => publicUrl,
    falKey: opts.falKey,
    logger,
    queue,
    submits,
    files,
    faults,
    samples,
    signer,
    account,
    media,
    renders: () => cache?.size() ?? 0,
    sseKeepaliveMs: opts.sseKeepaliveMs ?? SSE_KEEPALIVE_MS,
  };

  const server = createServer(createApp(ctx));
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, host, () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  const url = `http://${host.includes(':') ? `[${host}]` : host}:${port}`;
  publicUrl = (opts.publicUrl ?? url).replace(/\/+$/, '');

  let closing: Promise<void> | undefined;
  return {
    url,
    publicUrl,
    port,
    jwksUrl: `${url}/rest.fal.ai/.well-known/jwks.json`,
    requests: () => submits.list(),
    close() {
      closing ??= (async () => {
        const closed = new Promise<void>((resolve) => server.close(() => resolve()));
        server.closeAllConnections();
        samples.close();
        await Promise.all([queue.close(), webhooks.close(), closed]);
        await cache?.close();
        await rm(root, { recursive: true, force: true });
      })();
      return closing;
    },
  };
}

/** The disk path behind one of the emulator's own file or sample URLs. */
async function localPath(
  url: string,
  publicUrl: string,
  files: FileStore,
  samples: Samples,
): Promise<string | undefined> {
  const prefix = `${publicUrl}/_emulator/`;
  if (!url.startsWith(prefix)) return undefined;
  const [kind, id] = url.slice(prefix.length).split(/[/?#]/);
  if (kind === 'files' && id) return files.get(id)?.path;
  if (kind === 'samples' && id) return (await samples.get(id))?.path;
  return undefined;
}
