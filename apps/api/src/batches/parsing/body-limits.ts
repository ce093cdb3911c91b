import { createHash } from 'node:crypto';
import { ApiError } from '@foley/shared/errors';

export const bodyTooLarge = (limit: number) =>
  new ApiError('body_too_large', `the body exceeds the limit of ${limit} bytes`);

export const notUtf8 = () =>
  new ApiError('invalid_encoding', 'the body is not valid UTF-8 (send UTF-8, or declare the charset)');

export const tooManyItems = (max: number) =>
  new ApiError('too_many_items', `a batch holds at most ${max} items`, [
    { field: 'items', rule: 'max_items', message: `must hold at most ${max} items` },
  ]);

/**
 * Passes a body's chunks on while counting bytes (413 past `limit`, without reading further) and hashing
 * them, so the Idempotency-Key hash covers the raw body without keeping it.
 */
export function limitedBody(source: AsyncIterable<Buffer | string>, limit: number) {
  const hash = createHash('sha256');
  let bytes = 0;
  async function* chunks(): AsyncGenerator<Buffer> {
    for await (const chunk of source) {
      const buffer = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
      bytes += buffer.length;
      if (bytes > limit) throw bodyTooLarge(limit);
      hash.update(buffer);
      yield buffer;
    }
  }
  return { chunks: chunks(), digest: () => hash.digest('hex'), bytes: () => bytes };
}

/**
 * Passes chunks on unchanged after checking that together they are valid UTF-8 (a sequence may span two
 * chunks). Parsers would otherwise turn bad bytes into U+FFFD, and a job would run with other text.
 */
export async function* utf8Checked(source: AsyncIterable<Buffer>): AsyncGenerator<Buffer> {
  const decoder = new TextDecoder('utf-8', { fatal: true });
  try {
    for await (const chunk of source) {
      decoder.decode(chunk, { stream: true });
      yield chunk;
    }
    decoder.decode();
  } catch (error) {
    if (error instanceof TypeError) throw notUtf8();
    throw error;
  }
}
