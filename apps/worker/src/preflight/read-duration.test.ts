import { ascii, box, ftyp, mehd, moov, mvhd, openBox, trak, u32 } from '@foley/testkit/mp4-fixtures';
import { describe, expect, it } from 'vitest';
import { Mp4FormatError } from './mp4-boxes';
import { detectContainer, readMovieInfo } from './read-duration';

describe('detectContainer', () => {
  it.each([
    ['isom', 'mp4'],
    ['mp42', 'mp4'],
    ['M4V ', 'mp4'],
    ['qt  ', 'mov'],
  ])('ftyp major brand %j → %s', (brand, expected) => {
    expect(detectContainer(Buffer.concat([ftyp(brand), box('moov')]))).toBe(expected);
  });

  it.each(['wide', 'moov', 'mdat', 'free'])('legacy QuickTime starting with %s → mov', (type) => {
    expect(detectContainer(box(type, Buffer.alloc(8)))).toBe('mov');
  });

  it.each([
    ['HTML', Buffer.from('<!DOCTYPE html><html><body>not a video</body></html>')],
    ['WebM (EBML)', Buffer.from([0x1a, 0x45, 0xdf, 0xa3, 0x9f, 0x42, 0x86, 0x81, 0x01])],
    ['an unknown first box', box('abcd', Buffer.alloc(8))],
    ['a truncated ftyp', ftyp().subarray(0, 10)],
    ['an ftyp too small to hold a brand', box('ftyp', Buffer.alloc(4))],
    ['nothing', Buffer.alloc(0)],
  ])('rejects %s', (_name, bytes) => {
    expect(detectContainer(bytes)).toBeUndefined();
  });
});

const whole = (bytes: Uint8Array) => ({ bytes, bytesStart: 0 });

describe('readMovieInfo', () => {
  it('reads a version 0 mvhd', () => {
    expect(readMovieInfo(whole(moov({ timescale: 1000, duration: 5_040 })), 0)).toEqual({
      durationSeconds: 5.04,
      hasVideoTrack: true,
    });
  });

  it('reads a version 1 mvhd with a 64-bit duration', () => {
    const info = readMovieInfo(whole(moov({ timescale: 90_000, duration: 21n * 90_000n, version: 1 })), 0);
    expect(info.durationSeconds).toBe(21);
  });

  it('reads a moov at its absolute offset inside a window from the middle of the file', () => {
    const bytes = Buffer.concat([box('mdat', Buffer.alloc(30)), moov({ timescale: 600, duration: 1_800 })]);
    expect(readMovieInfo({ bytes: bytes.subarray(10), bytesStart: 10 }, 38).durationSeconds).toBe(3);
  });

  it('reads a moov with size 0 that runs to the end of the window', () => {
    const open = openBox('moov', mvhd({ timescale: 10, duration: 45 }), trak('vide'));
    expect(readMovieInfo(whole(open), 0).durationSeconds).toBe(4.5);
  });

  it('falls back to mvex/mehd when mvhd leaves the duration unknown (fragmented MP4)', () => {
    expect(readMovieInfo(whole(moov({ timescale: 1000, duration: 0, fragmentDuration: 7_500 })), 0)).toEqual({
      durationSeconds: 7.5,
      hasVideoTrack: true,
    });
    const allOnes = moov({ timescale: 1000, duration: 0xffffffff, fragmentDuration: 12_000 });
    expect(readMovieInfo(whole(allOnes), 0).durationSeconds).toBe(12);
    const v1 = box('moov', mvhd({ timescale: 10, duration: 0 }), trak('vide'), box('mvex', mehd(80, 1)));
    expect(readMovieInfo(whole(v1), 0).durationSeconds).toBe(8);
  });

  it('reports a file without a video track', () => {
    const audioOnly = moov({ timescale: 44_100, duration: 44_100 * 5, handlers: ['soun'] });
    expect(readMovieInfo(whole(audioOnly), 0)).toEqual({ durationSeconds: 5, hasVideoTrack: false });
    const both = moov({ timescale: 1, duration: 5, handlers: ['soun', 'vide'] });
    expect(readMovieInfo(whole(both), 0).hasVideoTrack).toBe(true);
  });

  it.each([
    ['a box that is not moov', box('mdat', Buffer.alloc(8))],
    ['a moov without mvhd', box('moov', trak('vide'))],
    ['an unknown duration and no mehd', moov({ timescale: 1000, duration: 0 })],
    ['a zero timescale', moov({ timescale: 0, duration: 10 })],
    ['a truncated mvhd', box('moov', box('mvhd', Buffer.from([0, 0, 0, 0]), u32(0)))],
    ['an mvhd of unknown version', box('moov', box('mvhd', Buffer.from([7, 0, 0, 0]), Buffer.alloc(96)))],
    ['a moov cut short', moov({ timescale: 1000, duration: 5000 }).subarray(0, 60)],
    ['a child overrunning moov', box('moov', u32(500), ascii('mvhd'))],
  ])('throws Mp4FormatError for %s', (_name, bytes) => {
    expect(() => readMovieInfo(whole(bytes), 0)).toThrow(Mp4FormatError);
  });
});
