import type { StoredObject } from '@foley/shared/jobs';
import type { FalFile, ModelOutput } from '@foley/shared/model';
import type { DubDeps } from './dub-deps';

const DEFAULTS = {
  video: { contentType: 'video/mp4', fileName: 'video.mp4' },
  audio: { contentType: 'audio/mpeg', fileName: 'audio.mp3' },
} as const;

/** Streams both of fal's files into S3 at deterministic keys (a retry overwrites, never duplicates). */
export async function copyOutputs(
  output: ModelOutput,
  keys: { video: string; audio: string },
  deps: Pick<DubDeps, 'download' | 'store'>,
): Promise<{ video: StoredObject; audio: StoredObject }> {
  const [video, audio] = await Promise.all([
    copyOne(output.video, keys.video, DEFAULTS.video, deps),
    copyOne(output.audio, keys.audio, DEFAULTS.audio, deps),
  ]);
  return { video, audio };
}

async function copyOne(
  file: FalFile,
  key: string,
  fallback: { contentType: string; fileName: string },
  deps: Pick<DubDeps, 'download' | 'store'>,
): Promise<StoredObject> {
  const download = await deps.download(file.url);
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
