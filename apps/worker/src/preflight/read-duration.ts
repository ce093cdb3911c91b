import { type ByteWindow, findChild, findChildren, Mp4FormatError, readBoxHeader } from './mp4-boxes';

/**
 * Reads what preflight needs from a moov box. mvhd, mehd and hdlr are parsed by hand: their layouts
 * are fixed and a few lines each, whereas mp4box.js expects to be fed a file from offset 0 (a lone
 * moov taken from the end of a file needs fake offsets), reports through callbacks and logs. A hand
 * parser over the bytes we already hold is synchronous, bounded and has no partial-input modes.
 */

export type Container = 'mp4' | 'mov';

export interface MovieInfo {
  durationSeconds: number;
  hasVideoTrack: boolean;
}

/** Top-level boxes a QuickTime file may start with when it has no ftyp (pre-2001 files). */
const LEGACY_QT_FIRST_BOXES = new Set(['moov', 'mdat', 'wide', 'free', 'skip', 'pnot']);

/**
 * Decides from the first bytes of a file whether it is an MP4 or MOV (ISO-BMFF). The first box must
 * be `ftyp` (major brand `qt  ` means MOV) or one a legacy QuickTime file starts with. Undefined: not
 * an ISO-BMFF file.
 */
export function detectContainer(head: Uint8Array): Container | undefined {
  let box: ReturnType<typeof readBoxHeader>;
  try {
    box = readBoxHeader({ bytes: head, bytesStart: 0 }, 0);
  } catch {
    return undefined;
  }
  if (!box) return undefined;
  if (box.type === 'ftyp') {
    if (box.size !== undefined && box.size < box.headerSize + 8) return undefined;
    if (head.length < box.headerSize + 4) return undefined;
    const brand = String.fromCharCode(...head.subarray(box.headerSize, box.headerSize + 4));
    return brand === 'qt  ' ? 'mov' : 'mp4';
  }
  return LEGACY_QT_FIRST_BOXES.has(box.type) ? 'mov' : undefined;
}

/** Duration and video presence from a window holding the whole moov box (header included). */
export function readMovieInfo(window: ByteWindow, moovOffset: number): MovieInfo {
  const header = readBoxHeader(window, moovOffset);
  if (header?.type !== 'moov') throw new Mp4FormatError('expected a moov box');
  const start = moovOffset - window.bytesStart + header.headerSize;
  const end = header.size === undefined ? window.bytes.length : moovOffset - window.bytesStart + header.size;
  if (end > window.bytes.length) throw new Mp4FormatError('the moov box is incomplete');
  const moov = window.bytes.subarray(start, end);

  const mvhd = findChild(moov, 'mvhd');
  if (!mvhd) throw new Mp4FormatError('the file has no movie header (mvhd)');
  const { timescale, duration } = readTimedHeader(mvhd, 'mvhd');
  let units = duration;
  // Fragmented files leave mvhd's duration at 0 (or all ones) and state the total in mvex/mehd.
  if (units === undefined) {
    const mehd = findChild(findChild(moov, 'mvex') ?? new Uint8Array(), 'mehd');
    units = mehd ? readFragmentDuration(mehd) : undefined;
  }
  if (units === undefined) throw new Mp4FormatError("the file does not state the video's duration");
  return { durationSeconds: units / timescale, hasVideoTrack: hasVideoTrack(moov) };
}

/** mvhd (version 0: 32-bit times, version 1: 64-bit). Duration undefined when unknown. */
function readTimedHeader(payload: Uint8Array, name: string): { timescale: number; duration?: number } {
  const view = viewOf(payload);
  const version = payload[0];
  const need = version === 1 ? 32 : 20;
  if ((version !== 0 && version !== 1) || payload.length < need) throw new Mp4FormatError(`bad ${name} box`);
  const timescale = view.getUint32(version === 1 ? 20 : 12);
  if (timescale === 0) throw new Mp4FormatError(`${name} has a zero timescale`);
  const duration = version === 1 ? readU64(view, 24) : view.getUint32(16);
  const known = duration !== undefined && duration !== 0 && !(version === 0 && duration === 0xffffffff);
  return known ? { timescale, duration } : { timescale };
}

function readFragmentDuration(mehd: Uint8Array): number | undefined {
  const view = viewOf(mehd);
  const version = mehd[0];
  if (version === 1 && mehd.length >= 12) return readU64(view, 4) || undefined;
  if (version === 0 && mehd.length >= 8) return view.getUint32(4) || undefined;
  throw new Mp4FormatError('bad mehd box');
}

/** Some trak/mdia/hdlr has handler type `vide`. */
function hasVideoTrack(moov: Uint8Array): boolean {
  return findChildren(moov, 'trak').some((trak) => {
    const hdlr = findChild(findChild(trak, 'mdia') ?? new Uint8Array(), 'hdlr');
    return hdlr !== undefined && hdlr.length >= 12 && String.fromCharCode(...hdlr.subarray(8, 12)) === 'vide';
  });
}

const viewOf = (bytes: Uint8Array) => new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);

/** A 64-bit field; all ones means unknown, and nothing past 2^53 is a real duration. */
function readU64(view: DataView, at: number): number | undefined {
  const value = view.getBigUint64(at);
  return value >= BigInt(Number.MAX_SAFE_INTEGER) ? undefined : Number(value);
}
