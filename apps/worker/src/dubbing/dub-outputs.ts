import type { StoredObject } from '@foley/shared/jobs/contract';
import type { FalFile, ModelOutput } from '@foley/shared/jobs/model';
import type { DubDeps } from './dub-deps';

const DEFAULTS = {
  video: { contentType: 'video/mp4', fileName: 'video.mp4' },
  audio: { contentType: 'audio/mpeg', fileName: 'audio.mp3' },
} as const;

/**
 * Streams both of fal's files into S3 at deterministic keys (a retry overwrites, never duplicates). When
 * one copy fails the other is stopped, and both have ended before this returns: no stream or upload of
 * a failed attempt runs on beside its retry.
 */
export async function copyOutputs(
  output: ModelOutput,
  keys: { video: string; audio: string },
  deps: Pick<DubDeps, 'download' | 'store'>,
): Promise<{ video: StoredObject; audio: StoredObject }> {
  const stop = new AbortController();
  const copy = (file: FalFile, key: string, fallback: (typeof DEFAULTS)[keyof typeof DEFAULTS]) =>
    copyOne(file, key, fallback, deps, stop.signal).catch((error: unknown) => {
      stop.abort(error);
      throw error;
    });
  const [video, audio] = await Promise.allSettled([
    copy(output.video, keys.video, DEFAULTS.video),
    copy(output.audio, keys.audio, DEFAULTS.audio),
  ]);
  // The first failure is the cause; the other copy then failed only because it was stopped.
  if (video.status === 'rejected' || audio.status === 'rejected') throw stop.signal.reason;
  return { video: video.value, audio: audio.value };
}

async function copyOne(
  file: FalFile,
  key: string,
  fallback: { contentType: string; fileName: string },
  deps: Pick<DubDeps, 'download' | 'store'>,
  signal: AbortSignal,
): Promise<StoredObject> {
  const download = await deps.download(file.url, signal);
  const contentType = file.content_type ?? download.contentType ?? fallback.contentType;
  const fileName = file.file_name ?? fallback.fileName;
  const uploaded = await deps.store.upload(key, download.body, { contentType, fileName });
  return {
    bucket: deps.store.bucket,
    key,
    content_type: contentType,
    file_name: fileName,
    file_size: uploaded.size,
    sha256: uploaded.sha256,
  };
}
