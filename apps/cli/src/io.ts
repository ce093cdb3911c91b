import type { Writable } from 'node:stream';

/** Where a command writes: process streams in main.ts, buffers in tests. */
export interface Io {
  stdout: Writable & { isTTY?: boolean };
  stderr: Writable & { isTTY?: boolean };
}

export const println = (stream: Writable, text = '') => void stream.write(`${text}\n`);
