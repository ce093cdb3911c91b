import { stat } from 'node:fs/promises';
import { basename, extname } from 'node:path';
import { UsageError } from './exit-codes';

/** One video to dub: a URL as given, or a local file to upload first. */
export type VideoInput =
  | { kind: 'url'; input: string; url: string }
  | { kind: 'local'; input: string; path: string; fileName: string; contentType: string; size: number };

export type Inputs =
  | { kind: 'batch-file'; path: string; contentType: 'application/x-ndjson' | 'text/csv' }
  | { kind: 'videos'; videos: VideoInput[] };

const BATCH_FILES: Record<string, 'application/x-ndjson' | 'text/csv'> = {
  '.jsonl': 'application/x-ndjson',
  '.ndjson': 'application/x-ndjson',
  '.csv': 'text/csv',
};
const VIDEO_FILES: Record<string, string> = { '.mp4': 'video/mp4', '.mov': 'video/quicktime' };

/** `foley submit` arguments → URLs, local videos, or a single .jsonl/.csv batch file. */
export async function classifyInputs(args: string[]): Promise<Inputs> {
  if (args.length === 0)
    throw new UsageError('give at least one video URL, video file, or one .jsonl/.csv file');
  const batchFiles = args.filter((a) => !isUrl(a) && BATCH_FILES[extname(a).toLowerCase()]);
  if (batchFiles.length > 0) {
    if (args.length > 1) throw new UsageError('a .jsonl or .csv file must be the only input');
    const path = args[0] as string;
    await mustBeFile(path);
    return { kind: 'batch-file', path, contentType: BATCH_FILES[extname(path).toLowerCase()] as 'text/csv' };
  }
  const videos: VideoInput[] = [];
  for (const input of args) {
    if (isUrl(input)) {
      videos.push({ kind: 'url', input, url: input });
      continue;
    }
    const contentType = VIDEO_FILES[extname(input).toLowerCase()];
    if (!contentType)
      throw new UsageError(`${input}: not an http(s) URL, an .mp4/.mov file, or a .jsonl/.csv file`);
    const size = await mustBeFile(input);
    videos.push({ kind: 'local', input, path: input, fileName: basename(input), contentType, size });
  }
  return { kind: 'videos', videos };
}

const isUrl = (value: string) => /^https?:\/\//i.test(value);

async function mustBeFile(path: string): Promise<number> {
  const info = await stat(path).catch(() => undefined);
  if (!info?.isFile()) throw new UsageError(`${path}: no such file`);
  return info.size;
}
