import { createServer, type IncomingMessage } from 'node:http';
import type { FalClient } from '@fal-ai/client';
import { createFoleyFalClient } from '@foley/shared/fal/client';
import { listenOnLoopback } from '@foley/testkit/listen';
import type { FaultSpec } from '../src/faults';
import { type EmulatorOptions, type RunningEmulator, startEmulator } from '../src/server';

/** Helpers for the emulator's integration tests (not shipped behaviour). */

export const ENDPOINT = 'fal-ai/kling-video/video-to-audio';

export async function startTestEmulator(
  opts: EmulatorOptions = {},
): Promise<{ emu: RunningEmulator; fal: FalClient }> {
  const emu = await startEmulator({ delayMs: 300, ...opts });
  return { emu, fal: createFoleyFalClient({ falKey: 'test-key', baseUrl: emu.url }) };
}

export async function addFault(emu: RunningEmulator, spec: Partial<FaultSpec> & { op: FaultSpec['op'] }) {
  const response = await fetch(`${emu.url}/_emulator/faults`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(spec),
  });
  if (response.status !== 201) throw new Error(`fault rejected: ${response.status} ${await response.text()}`);
  return (await response.json()) as { id: string };
}

/** Raw HTTP to a fal path on the emulator, with a key, for checks the client hides (codes, headers). */
export function falFetch(emu: RunningEmulator, path: string, init: RequestInit = {}): Promise<Response> {
  return fetch(`${emu.url}${path}`, {
    ...init,
    headers: { authorization: 'Key test-key', 'content-type': 'application/json', ...(init.headers ?? {}) },
  });
}

export interface ReceivedCall {
  headers: IncomingMessage['headers'];
  body: string;
  at: number;
}

/** A loopback HTTP receiver that answers with the next status in `statuses` (then 200). */
export async function startReceiver(statuses: number[] = []) {
  const calls: ReceivedCall[] = [];
  const waiters: Array<() => void> = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      calls.push({ headers: req.headers, body: Buffer.concat(chunks).toString('utf8'), at: Date.now() });
      res.statusCode = statuses.shift() ?? 200;
      res.end('ok');
      for (const w of waiters.splice(0)) w();
    });
  });
  const { port } = await listenOnLoopback(server);
  return {
    url: `http://127.0.0.1:${port}/hook`,
    calls,
    /** Resolves once `count` calls arrived, or rejects after `timeoutMs` (rendering is slow on a busy machine). */
    async waitFor(count: number, timeoutMs = 30_000): Promise<ReceivedCall[]> {
      const deadline = Date.now() + timeoutMs;
      while (calls.length < count) {
        const left = deadline - Date.now();
        if (left <= 0) throw new Error(`receiver got ${calls.length} calls, expected ${count}`);
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, left);
          waiters.push(() => {
            clearTimeout(timer);
            resolve();
          });
        });
      }
      return calls;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** Polls `check` every 25 ms until it returns true (bounded by `timeoutMs`). */
export async function waitUntil(check: () => boolean | Promise<boolean>, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 25));
  }
}
