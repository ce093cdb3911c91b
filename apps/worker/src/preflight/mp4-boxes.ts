/**
 * A minimal ISO-BMFF (MP4/QuickTime) box walker: box headers only, over whatever bytes we have.
 * Offsets are absolute file offsets; `bytes` holds the file from `bytesStart` on, so the same code
 * walks the head of a file, a range read from its middle, or a moov box on its own.
 */

export class Mp4FormatError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'Mp4FormatError';
  }
}

export interface BoxHeader {
  type: string;
  /** Absolute offset of the box's first byte. */
  offset: number;
  headerSize: number;
  /** Whole box size including the header; undefined means "extends to the end of the file" (size 0). */
  size: number | undefined;
}

export interface ByteWindow {
  bytes: Uint8Array;
  /** Absolute file offset of bytes[0]. */
  bytesStart: number;
}

const TYPE_CHARS = /^[\x20-\x7e\xa9]{4}$/;

/**
 * Reads the header of the box at absolute `offset`. Returns undefined when the window ends before the
 * header does (the caller fetches more); throws Mp4FormatError when the bytes cannot be a box header.
 */
export function readBoxHeader(window: ByteWindow, offset: number): BoxHeader | undefined {
  const at = offset - window.bytesStart;
  if (at < 0) throw new RangeError(`offset ${offset} is before the window start ${window.bytesStart}`);
  const { bytes } = window;
  if (at + 8 > bytes.length) return undefined;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const size32 = view.getUint32(at);
  const type = String.fromCharCode(bytes[at + 4]!, bytes[at + 5]!, bytes[at + 6]!, bytes[at + 7]!);
  if (!TYPE_CHARS.test(type)) throw new Mp4FormatError(`not a box type at offset ${offset}`);
  if (size32 === 0) return { type, offset, headerSize: 8, size: undefined };
  if (size32 === 1) {
    if (at + 16 > bytes.length) return undefined;
    const large = view.getBigUint64(at + 8);
    if (large < 16n || large > BigInt(Number.MAX_SAFE_INTEGER)) {
      throw new Mp4FormatError(`box "${type}" at offset ${offset} has an impossible size`);
    }
    return { type, offset, headerSize: 16, size: Number(large) };
  }
  if (size32 < 8) throw new Mp4FormatError(`box "${type}" at offset ${offset} has an impossible size`);
  return { type, offset, headerSize: 8, size: size32 };
}

/** Absolute offset just past the box, or undefined when it runs to the end of the file. */
export const boxEnd = (box: BoxHeader): number | undefined =>
  box.size === undefined ? undefined : box.offset + box.size;

/** True when the whole box lies inside the window. */
export function isComplete(window: ByteWindow, box: BoxHeader): boolean {
  const end = box.size === undefined ? window.bytesStart + window.bytes.length : boxEnd(box)!;
  return end <= window.bytesStart + window.bytes.length;
}

/** The box's payload (after its header) from a window that holds all of it. */
export function payloadOf(window: ByteWindow, box: BoxHeader): Uint8Array {
  const start = box.offset + box.headerSize - window.bytesStart;
  const end = box.size === undefined ? window.bytes.length : box.offset + box.size - window.bytesStart;
  if (start < 0 || end > window.bytes.length)
    throw new RangeError(`box "${box.type}" is not inside the window`);
  return window.bytes.subarray(start, end);
}

/**
 * The child boxes of a container payload, in order. Stops at the first header that does not fit;
 * a child claiming more than its parent has is a format error.
 */
export function childBoxes(payload: Uint8Array, maxChildren = 1024): BoxHeader[] {
  const window: ByteWindow = { bytes: payload, bytesStart: 0 };
  const children: BoxHeader[] = [];
  let offset = 0;
  while (offset + 8 <= payload.length && children.length < maxChildren) {
    const box = readBoxHeader(window, offset);
    if (!box) break;
    const end = box.size === undefined ? payload.length : offset + box.size;
    if (end > payload.length) throw new Mp4FormatError(`box "${box.type}" overruns its parent`);
    children.push(box);
    offset = end;
  }
  return children;
}

/** The first child of the given type, as a payload, or undefined. */
export function findChild(payload: Uint8Array, type: string): Uint8Array | undefined {
  const box = childBoxes(payload).find((child) => child.type === type);
  return box ? payloadOf({ bytes: payload, bytesStart: 0 }, box) : undefined;
}

/** Every child of the given type, as payloads. */
export function findChildren(payload: Uint8Array, type: string): Uint8Array[] {
  const window: ByteWindow = { bytes: payload, bytesStart: 0 };
  return childBoxes(payload)
    .filter((child) => child.type === type)
    .map((child) => payloadOf(window, child));
}
