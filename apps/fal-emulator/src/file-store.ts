import { createHash, randomUUID } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, rename, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';

export interface StoredFile {
  id: string;
  name: string;
  contentType: string;
  path: string;
  size: number;
  /** False for a shared render (reuse mode): forgetting the entry leaves the file on disk. */
  owned: boolean;
}

interface PendingUpload {
  id: string;
  name: string;
  contentType: string;
  parts: Map<number, { path: string; etag: string }>;
}

export class UploadError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
    this.name = 'UploadError';
  }
}

export interface FileStore {
  /** Starts an upload (single or multipart); the file exists once `put` or `complete` finishes. */
  initiate(meta: { name: string; contentType: string }): { id: string; name: string };
  put(id: string, body: Readable, maxBytes: number): Promise<StoredFile>;
  putPart(id: string, partNumber: number, body: Readable, maxBytes: number): Promise<{ etag: string }>;
  complete(id: string, parts: Array<{ partNumber: number; etag: string }>): Promise<StoredFile>;
  /** Takes ownership of a file the emulator made (a model output). */
  adopt(sourcePath: string, meta: { name: string; contentType: string }): Promise<StoredFile>;
  /** A new id and URL for a file that stays where it is and is shared (a reused render). */
  link(path: string, meta: { name: string; contentType: string }): Promise<StoredFile>;
  /** Forgets a file (retention); its URL answers 404 afterwards and an owned file is deleted. */
  forget(id: string): void;
  count(): number;
  get(id: string): StoredFile | undefined;
  url(file: Pick<StoredFile, 'id' | 'name'>): string;
}

/** Uploaded inputs and generated outputs, on disk under `dir`, served at /_emulator/files/:id/:name. */
export function createFileStore(opts: {
  dir: string;
  publicUrl: () => string;
  /** Uploads are forgotten this long after they finish; default never. */
  retainMs?: number;
}): FileStore {
  const files = new Map<string, StoredFile>();
  const pending = new Map<string, PendingUpload>();
  const ready = mkdir(opts.dir, { recursive: true });

  const pathOf = (id: string, suffix = '') => join(opts.dir, `${id}${suffix}`);
  const newId = () => randomUUID().replaceAll('-', '');

  function forget(id: string) {
    const file = files.get(id);
    if (!file) return;
    files.delete(id);
    if (file.owned) void rm(file.path, { force: true });
  }

  function pendingUpload(id: string): PendingUpload {
    const upload = pending.get(id);
    if (!upload) throw new UploadError(404, 'Upload not found');
    return upload;
  }

  async function finish(upload: PendingUpload, path: string): Promise<StoredFile> {
    const { size } = await stat(path);
    const file: StoredFile = {
      id: upload.id,
      name: upload.name,
      contentType: upload.contentType,
      path,
      size,
      owned: true,
    };
    pending.delete(upload.id);
    files.set(file.id, file);
    if (opts.retainMs !== undefined) setTimeout(() => forget(file.id), opts.retainMs).unref();
    return file;
  }

  return {
    initiate(meta) {
      const id = randomUUID().replaceAll('-', '');
      const name = safeName(meta.name);
      pending.set(id, { id, name, contentType: meta.contentType, parts: new Map() });
      return { id, name };
    },
    async put(id, body, maxBytes) {
      const upload = pendingUpload(id);
      await ready;
      await writeLimited(body, pathOf(id), maxBytes);
      return finish(upload, pathOf(id));
    },
    async putPart(id, partNumber, body, maxBytes) {
      const upload = pendingUpload(id);
      await ready;
      const path = pathOf(id, `.part${partNumber}`);
      const hash = createHash('md5');
      body.on('data', (chunk: Buffer) => hash.update(chunk));
      await writeLimited(body, path, maxBytes);
      const etag = `"${hash.digest('hex')}"`;
      upload.parts.set(partNumber, { path, etag });
      return { etag };
    },
    async complete(id, parts) {
      const upload = pendingUpload(id);
      const sorted = [...parts].sort((a, b) => a.partNumber - b.partNumber);
      if (sorted.length === 0) throw new UploadError(400, 'No parts to complete');
      for (const p of sorted) {
        if (upload.parts.get(p.partNumber)?.etag !== p.etag) {
          throw new UploadError(400, `Part ${p.partNumber} is missing or its etag does not match`);
        }
      }
      const target = pathOf(id);
      for (const [i, p] of sorted.entries()) {
        const part = upload.parts.get(p.partNumber)!.path;
        await pipeline(createReadStream(part), createWriteStream(target, { flags: i === 0 ? 'w' : 'a' }));
      }
      await Promise.all([...upload.parts.values()].map((p) => rm(p.path, { force: true })));
      return finish(upload, target);
    },
    async adopt(sourcePath, meta) {
      await ready;
      const id = randomUUID().replaceAll('-', '');
      await rename(sourcePath, pathOf(id));
      const { size } = await stat(pathOf(id));
      const file: StoredFile = {
        id,
        name: safeName(meta.name),
        contentType: meta.contentType,
        path: pathOf(id),
        size,
        owned: true,
      };
      files.set(id, file);
      return file;
    },
    async link(path, meta) {
      const { size } = await stat(path);
      const file: StoredFile = {
        id: newId(),
        name: safeName(meta.name),
        contentType: meta.contentType,
        path,
        size,
        owned: false,
      };
      files.set(file.id, file);
      return file;
    },
    forget,
    count: () => files.size,
    get: (id) => files.get(id),
    url: (file) => `${opts.publicUrl()}/_emulator/files/${file.id}/${encodeURIComponent(file.name)}`,
  };
}

async function writeLimited(body: Readable, path: string, maxBytes: number): Promise<void> {
  let written = 0;
  body.on('data', (chunk: Buffer) => {
    written += chunk.length;
    if (written > maxBytes) body.destroy(new UploadError(413, `Upload larger than ${maxBytes} bytes`));
  });
  try {
    await pipeline(body, createWriteStream(path));
  } catch (error) {
    await rm(path, { force: true });
    throw error;
  }
}

/** A file name without path separators or control characters. */
export function safeName(name: string): string {
  const cleaned = name
    .replace(/[/\\]/g, '_')
    .replace(/\p{Cc}/gu, '')
    .trim()
    .slice(0, 200);
  return cleaned === '' || cleaned === '.' || cleaned === '..' ? 'file' : cleaned;
}
