import type { Logger } from '@foley/shared/infra/logger';
import type { Account } from './account';
import { ENDPOINT_ID } from './fal-contract';
import type { FaultStore } from './faults';
import type { FileStore } from './file-store';
import type { SubmitLog } from './request-log';
import type { RequestQueue } from './request-queue';
import type { MediaMode } from './runner';
import type { Samples } from './samples';
import type { WebhookSigner } from './signing';

/** What the routes share; built once per emulator by server.ts. */
export interface EmulatorContext {
  publicUrl: () => string;
  falKey: string | undefined;
  logger: Logger;
  queue: RequestQueue;
  submits: SubmitLog;
  files: FileStore;
  faults: FaultStore;
  samples: Samples;
  signer: WebhookSigner;
  account: Account;
  media: MediaMode;
  /** Distinct renders made in `reuse` mode (0 in `render` mode). */
  renders: () => number;
  sseKeepaliveMs: number;
}

/** The endpoints this emulator serves (fal answers 404 for an unknown one). */
export const KNOWN_ENDPOINTS = new Set([ENDPOINT_ID]);
