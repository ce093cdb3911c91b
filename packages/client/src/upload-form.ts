import { randomBytes } from 'node:crypto';

/**
 * The multipart/form-data body of a presigned S3 POST, streamed: the policy's fields first, then the
 * file last (S3 ignores what follows it), without holding the file in memory. Its length is known up
 * front (fields + `size`), so it goes out with a Content-Length, as S3 requires.
 */
export function uploadForm(
  fields: Record<string, string>,
  file: { fileName: string; contentType: string; size: number; body: () => ReadableStream<Uint8Array> },
): { body: ReadableStream<Uint8Array>; contentType: string; length: number } {
  const boundary = `----foley${randomBytes(12).toString('hex')}`;
  const quote = (s: string) => s.replace(/["\r\n\\]/g, '_');
  let head = '';
  for (const [name, value] of Object.entries(fields))
    head += `--${boundary}\r\nContent-Disposition: form-data; name="${quote(name)}"\r\n\r\n${value}\r\n`;
  head +=
    `--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="${quote(file.fileName)}"\r\n` +
    `Content-Type: ${file.contentType}\r\n\r\n`;
  const preamble = new TextEncoder().encode(head);
  const epilogue = new TextEncoder().encode(`\r\n--${boundary}--\r\n`);
  let reader: ReadableStreamDefaultReader<Uint8Array> | undefined;
  let state: 'head' | 'file' | 'done' = 'head';
  const body = new ReadableStream<Uint8Array>({
    async pull(controller) {
      if (state === 'head') {
        state = 'file';
        reader = file.body().getReader();
        controller.enqueue(preamble);
        return;
      }
      if (state === 'file' && reader) {
        const { done, value } = await reader.read();
        if (!done) return controller.enqueue(value);
        state = 'done';
        controller.enqueue(epilogue);
        controller.close();
      }
    },
    async cancel(reason) {
      await reader?.cancel(reason);
    },
  });
  return {
    body,
    contentType: `multipart/form-data; boundary=${boundary}`,
    length: preamble.length + file.size + epilogue.length,
  };
}
