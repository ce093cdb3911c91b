import { describe, expect, it } from 'vitest';
import { contentDisposition } from './content-disposition';

describe('contentDisposition', () => {
  it('quotes a plain ASCII name as is', () => {
    expect(contentDisposition('video.mp4')).toBe('inline; filename="video.mp4"');
    expect(contentDisposition('my clip (1).mp4', 'attachment')).toBe(
      'attachment; filename="my clip (1).mp4"',
    );
  });

  it('cannot break out of the quotes: quotes and backslashes get an ASCII fallback plus filename*', () => {
    expect(contentDisposition('a"; evil=1.mp4')).toBe(
      `inline; filename="a_; evil=1.mp4"; filename*=UTF-8''a%22%3B%20evil%3D1.mp4`,
    );
    expect(contentDisposition('back\\slash.mp3')).toBe(
      `inline; filename="back_slash.mp3"; filename*=UTF-8''back%5Cslash.mp3`,
    );
  });

  it('drops CR/LF and other control characters so the header cannot be split', () => {
    const header = contentDisposition('a\r\nSet-Cookie: x=1\t.mp4');
    expect(header).toBe('inline; filename="aSet-Cookie: x=1.mp4"');
    expect(header).not.toMatch(/[\r\n\t]/);
  });

  it('keeps a non-ASCII name in filename* (RFC 5987) with an ASCII fallback', () => {
    expect(contentDisposition("ünïcødé 'clip'.mp4")).toBe(
      `inline; filename="_n_c_d_ 'clip'.mp4"; filename*=UTF-8''%C3%BCn%C3%AFc%C3%B8d%C3%A9%20%27clip%27.mp4`,
    );
  });

  it('falls back to "file" for an empty or all-control name', () => {
    expect(contentDisposition('')).toBe('inline; filename="file"');
    expect(contentDisposition('\r\n')).toBe('inline; filename="file"');
  });
});
