import { ascii, box, ftyp, largeBox, openBox, u32, u64 } from '@foley/testkit/mp4-fixtures';
import { describe, expect, it } from 'vitest';
import {
  boxEnd,
  childBoxes,
  findChild,
  findChildren,
  isComplete,
  Mp4FormatError,
  payloadOf,
  readBoxHeader,
} from './mp4-boxes';

const at0 = (bytes: Uint8Array) => ({ bytes, bytesStart: 0 });

describe('readBoxHeader', () => {
  it('reads a 32-bit size and type', () => {
    const file = Buffer.concat([ftyp(), box('free', Buffer.alloc(10))]);
    const first = readBoxHeader(at0(file), 0);
    expect(first).toEqual({ type: 'ftyp', offset: 0, headerSize: 8, size: 24 });
    const second = readBoxHeader(at0(file), boxEnd(first!)!);
    expect(second).toEqual({ type: 'free', offset: 24, headerSize: 8, size: 18 });
  });

  it('reads a 64-bit largesize, beyond 4 GiB', () => {
    const header = Buffer.concat([u32(1), ascii('mdat'), u64(5_000_000_000n)]);
    expect(readBoxHeader(at0(header), 0)).toEqual({
      type: 'mdat',
      offset: 0,
      headerSize: 16,
      size: 5_000_000_000,
    });
    expect(readBoxHeader(at0(largeBox('free', Buffer.alloc(3))), 0)).toMatchObject({
      headerSize: 16,
      size: 19,
    });
  });

  it('reads size 0 as "to the end of the file"', () => {
    expect(readBoxHeader(at0(openBox('mdat', Buffer.alloc(100))), 0)).toEqual({
      type: 'mdat',
      offset: 0,
      headerSize: 8,
      size: undefined,
    });
  });

  it('returns undefined when the window ends inside the header', () => {
    expect(readBoxHeader(at0(ftyp().subarray(0, 7)), 0)).toBeUndefined();
    const large = Buffer.concat([u32(1), ascii('mdat'), u64(1_000)]);
    expect(readBoxHeader(at0(large.subarray(0, 12)), 0)).toBeUndefined();
    expect(readBoxHeader(at0(Buffer.alloc(0)), 0)).toBeUndefined();
  });

  it('uses absolute offsets inside a window that starts mid-file', () => {
    const window = {
      bytes: Buffer.concat([Buffer.alloc(3), box('moov', Buffer.alloc(4))]),
      bytesStart: 1_000,
    };
    expect(readBoxHeader(window, 1_003)).toEqual({ type: 'moov', offset: 1_003, headerSize: 8, size: 12 });
    expect(() => readBoxHeader(window, 999)).toThrow(RangeError);
  });

  it.each([
    ['a size below the header size', Buffer.concat([u32(7), ascii('free')])],
    ['a largesize below 16', Buffer.concat([u32(1), ascii('mdat'), u64(15)])],
    ['a largesize past 2^53', Buffer.concat([u32(1), ascii('mdat'), u64(2n ** 60n)])],
    ['a non-text type', Buffer.concat([u32(16), Buffer.from([0, 1, 2, 3])])],
  ])('rejects %s', (_name, bytes) => {
    expect(() => readBoxHeader(at0(bytes), 0)).toThrow(Mp4FormatError);
  });
});

describe('isComplete / payloadOf', () => {
  it('knows whether the window holds the whole box', () => {
    const moov = box('moov', Buffer.alloc(20, 7));
    const header = readBoxHeader(at0(moov), 0)!;
    expect(isComplete(at0(moov), header)).toBe(true);
    expect(isComplete(at0(moov.subarray(0, 27)), header)).toBe(false);
    expect([...payloadOf(at0(moov), header)]).toEqual(Array(20).fill(7));
    expect(() => payloadOf(at0(moov.subarray(0, 27)), header)).toThrow(RangeError);
  });
});

describe('childBoxes / findChild', () => {
  const parent = Buffer.concat([
    box('mvhd', Buffer.alloc(4, 1)),
    box('trak', ascii('a')),
    box('trak', ascii('b')),
  ]);

  it('lists children in order and finds them by type', () => {
    expect(childBoxes(parent).map((b) => [b.type, b.offset, b.size])).toEqual([
      ['mvhd', 0, 12],
      ['trak', 12, 9],
      ['trak', 21, 9],
    ]);
    expect([...(findChild(parent, 'mvhd') ?? [])]).toEqual([1, 1, 1, 1]);
    expect(findChild(parent, 'udta')).toBeUndefined();
    expect(findChildren(parent, 'trak').map((p) => Buffer.from(p).toString())).toEqual(['a', 'b']);
  });

  it('rejects a child that claims more bytes than its parent holds', () => {
    const liar = Buffer.concat([u32(100), ascii('trak'), Buffer.alloc(8)]);
    expect(() => childBoxes(liar)).toThrow(Mp4FormatError);
  });

  it('bounds the number of children it walks', () => {
    const many = Buffer.concat(Array.from({ length: 50 }, () => box('free')));
    expect(childBoxes(many, 10)).toHaveLength(10);
  });
});
