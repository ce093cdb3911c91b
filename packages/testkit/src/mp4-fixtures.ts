/** Builders of synthetic ISO-BMFF boxes, for tests of the box walker and preflight. */

export const u32 = (n: number) => {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(n);
  return b;
};

export const u64 = (n: bigint | number) => {
  const b = Buffer.alloc(8);
  b.writeBigUInt64BE(BigInt(n));
  return b;
};

export const ascii = (text: string) => Buffer.from(text, 'latin1');

/** A box with a 32-bit size. */
export const box = (type: string, ...parts: Uint8Array[]): Buffer => {
  const payload = Buffer.concat(parts);
  return Buffer.concat([u32(8 + payload.length), ascii(type), payload]);
};

/** A box with size 1 and a 64-bit largesize. */
export const largeBox = (type: string, ...parts: Uint8Array[]): Buffer => {
  const payload = Buffer.concat(parts);
  return Buffer.concat([u32(1), ascii(type), u64(16 + payload.length), payload]);
};

/** A box header with size 0 ("to the end of the file") followed by its payload. */
export const openBox = (type: string, ...parts: Uint8Array[]): Buffer =>
  Buffer.concat([u32(0), ascii(type), ...parts]);

export const ftyp = (major = 'isom', compatible: string[] = ['isom', 'mp42']) =>
  box('ftyp', ascii(major), u32(0x200), ...compatible.map(ascii));

const versionFlags = (version: number) => Buffer.from([version, 0, 0, 0]);

/** mvhd, version 0 (32-bit times) or 1 (64-bit), with the fixed fields after duration zeroed. */
export function mvhd(o: { timescale: number; duration: number | bigint; version?: 0 | 1 }): Buffer {
  const rest = Buffer.alloc(80);
  if (o.version === 1) {
    return box('mvhd', versionFlags(1), u64(0), u64(0), u32(o.timescale), u64(o.duration), rest);
  }
  return box('mvhd', versionFlags(0), u32(0), u32(0), u32(o.timescale), u32(Number(o.duration)), rest);
}

export const mehd = (fragmentDuration: number, version: 0 | 1 = 0) =>
  box('mehd', versionFlags(version), version === 1 ? u64(fragmentDuration) : u32(fragmentDuration));

export const hdlr = (handler: string) =>
  box('hdlr', versionFlags(0), u32(0), ascii(handler), Buffer.alloc(12), Buffer.from('handler\0'));

export const trak = (handler: string) =>
  box('trak', box('tkhd', Buffer.alloc(84)), box('mdia', hdlr(handler)));

/** A moov with one mvhd and a trak per handler (`vide`, `soun`…). */
export function moov(o: {
  timescale: number;
  duration: number | bigint;
  version?: 0 | 1;
  handlers?: string[];
  fragmentDuration?: number;
}): Buffer {
  const parts = [mvhd(o), ...(o.handlers ?? ['vide']).map(trak)];
  if (o.fragmentDuration !== undefined) parts.push(box('mvex', mehd(o.fragmentDuration)));
  return box('moov', ...parts);
}
