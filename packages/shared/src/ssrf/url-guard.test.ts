import { describe, expect, it } from 'vitest';
import {
  type AddressClass,
  checkResolvedAddress,
  checkUrlAtSubmit,
  classifyAddress,
  EMPTY_ALLOWLIST,
  isAllowed,
  normalizeHost,
  parseAllowlist,
} from './url-guard';

describe('classifyAddress', () => {
  const cases: Array<[string, AddressClass]> = [
    ['127.0.0.1', 'loopback'],
    ['127.255.255.254', 'loopback'],
    ['::1', 'loopback'],
    ['[::1]', 'loopback'],
    ['::ffff:127.0.0.1', 'loopback'],
    ['::ffff:7f00:1', 'loopback'],
    ['10.0.0.1', 'private'],
    ['172.16.0.1', 'private'],
    ['172.31.255.255', 'private'],
    ['172.32.0.1', 'public'],
    ['172.15.255.255', 'public'],
    ['192.168.1.1', 'private'],
    ['100.64.0.1', 'private'],
    ['100.127.255.255', 'private'],
    ['100.128.0.1', 'public'],
    ['169.254.169.254', 'link_local'],
    ['::ffff:169.254.169.254', 'link_local'],
    ['0.0.0.0', 'unspecified'],
    ['0.1.2.3', 'unspecified'],
    ['::', 'unspecified'],
    ['224.0.0.1', 'multicast'],
    ['239.255.255.250', 'multicast'],
    ['ff02::1', 'multicast'],
    ['255.255.255.255', 'reserved'],
    ['240.0.0.1', 'reserved'],
    ['192.0.0.8', 'reserved'],
    ['192.0.2.1', 'reserved'],
    ['198.51.100.7', 'reserved'],
    ['203.0.113.9', 'reserved'],
    ['198.18.0.1', 'reserved'],
    ['198.19.255.255', 'reserved'],
    ['fe80::1', 'link_local'],
    ['febf::1', 'link_local'],
    ['fc00::1', 'private'],
    ['fd12::1', 'private'],
    ['fec0::1', 'private'],
    ['2001:db8::1', 'reserved'],
    ['3fff::1', 'reserved'],
    ['2001::1', 'reserved'], // Teredo
    ['2001:2::1', 'reserved'], // benchmarking
    ['100::1', 'reserved'],
    ['::7f00:1', 'reserved'], // deprecated IPv4-compatible form
    ['64:ff9b::7f00:1', 'loopback'], // NAT64 of 127.0.0.1
    ['64:ff9b::a00:1', 'private'],
    ['64:ff9b::808:808', 'public'],
    ['64:ff9b:1::1', 'private'],
    ['2002:7f00:1::1', 'loopback'], // 6to4 of 127.0.0.1
    ['2002:a9fe:a9fe::', 'link_local'], // 6to4 of 169.254.169.254
    ['2002:808:808::1', 'public'],
    ['8.8.8.8', 'public'],
    ['1.1.1.1', 'public'],
    ['2606:4700::1', 'public'],
    ['2a00:1450:4001:80b::200e', 'public'],
    ['::ffff:8.8.8.8', 'public'],
    ['127.1', 'invalid'], // legacy spellings are normalized by the URL parser, never classified raw
    ['0x7f000001', 'invalid'],
    ['2130706433', 'invalid'],
    ['256.0.0.1', 'invalid'],
    ['localhost', 'invalid'],
    ['', 'invalid'],
    ['::ffff:zz', 'invalid'],
  ];
  it.each(cases)('%s → %s', (ip, expected) => {
    expect(classifyAddress(ip)).toBe(expected);
  });
});

describe('normalizeHost', () => {
  it.each([
    ['127.1', '127.0.0.1'],
    ['0x7f000001', '127.0.0.1'],
    ['2130706433', '127.0.0.1'],
    ['0177.0.0.1', '127.0.0.1'],
    ['0x7f.0.0.1', '127.0.0.1'],
    ['127.0.0.1.', '127.0.0.1'],
    ['[::1]', '::1'],
    ['::1', '::1'],
    ['[0:0:0:0:0:0:0:1]', '::1'],
    ['[::ffff:127.0.0.1]', '::ffff:7f00:1'],
    ['LocalHost.', 'localhost'],
    ['Example.COM', 'example.com'],
    ['bücher.example', 'xn--bcher-kva.example'],
  ])('%s → %s', (input, expected) => {
    expect(normalizeHost(input)).toBe(expected);
  });

  it.each(['', 'a b', 'evil.com/x', 'user@host', 'host:80', '[::1', '999.999.999.999', '.', 'a%2fb'])(
    'rejects %j',
    (input) => {
      expect(normalizeHost(input)).toBeUndefined();
    },
  );
});

describe('parseAllowlist / isAllowed', () => {
  const list = parseAllowlist([' LocalHost. ', 'media.example.com', '127.0.0.1', '10.1.0.0/16', '::1', '']);

  it('matches host names exactly, case-insensitively and ignoring a trailing dot', () => {
    expect(isAllowed(list, { host: 'localhost' })).toBe(true);
    expect(isAllowed(list, { host: 'MEDIA.example.com.' })).toBe(true);
    expect(isAllowed(list, { host: 'cdn.media.example.com' })).toBe(false);
    expect(isAllowed(list, { host: 'example.com' })).toBe(false);
  });

  it('matches IPs and CIDR ranges, including IPv4-mapped IPv6 and literal IP hosts', () => {
    expect(isAllowed(list, { ip: '127.0.0.1' })).toBe(true);
    expect(isAllowed(list, { ip: '::ffff:127.0.0.1' })).toBe(true);
    expect(isAllowed(list, { ip: '127.0.0.2' })).toBe(false);
    expect(isAllowed(list, { ip: '10.1.200.3' })).toBe(true);
    expect(isAllowed(list, { ip: '10.2.0.1' })).toBe(false);
    expect(isAllowed(list, { ip: '::1' })).toBe(true);
    expect(isAllowed(list, { host: '[::1]' })).toBe(true);
    expect(isAllowed(list, { host: '127.1' })).toBe(true);
    expect(isAllowed(list, { host: 'evil.test', ip: '127.0.0.2' })).toBe(false);
  });

  it('accepts IPv6 CIDRs and legacy IPv4 spellings', () => {
    const v6 = parseAllowlist(['fd00::/8', '0x7f000001']);
    expect(isAllowed(v6, { ip: 'fd12::1' })).toBe(true);
    expect(isAllowed(v6, { ip: 'fc00::1' })).toBe(false);
    expect(isAllowed(v6, { ip: '127.0.0.1' })).toBe(true);
  });

  it.each([
    'http://localhost',
    'localhost:3000',
    '10.0.0.0/33',
    '10.0.0/8',
    'bad host',
    '*.example.com',
    'a/b',
  ])('throws naming the invalid entry %j', (entry) => {
    expect(() => parseAllowlist(['localhost', entry])).toThrow(entry);
  });

  it('empty allowlist allows nothing', () => {
    expect(isAllowed(parseAllowlist([]), { host: 'localhost', ip: '127.0.0.1' })).toBe(false);
  });
});

describe('checkUrlAtSubmit', () => {
  const none = EMPTY_ALLOWLIST;
  const blockedCases: Array<[string, string]> = [
    ['http://127.0.0.1/v.mp4', 'loopback'],
    ['http://127.1/v.mp4', 'loopback'],
    ['http://0x7f000001/v.mp4', 'loopback'],
    ['http://2130706433/v.mp4', 'loopback'],
    ['http://0177.0.0.1/v.mp4', 'loopback'],
    ['http://[::1]:8080/v.mp4', 'loopback'],
    ['http://[::ffff:127.0.0.1]/v.mp4', 'loopback'],
    ['http://[::ffff:7f00:1]/v.mp4', 'loopback'],
    ['http://[64:ff9b::7f00:1]/v.mp4', 'loopback'],
    ['http://localhost/v.mp4', 'loopback'],
    ['http://LOCALHOST./v.mp4', 'loopback'],
    ['http://app.localhost:3000/v.mp4', 'loopback'],
    ['http://10.0.0.1/v.mp4', 'private'],
    ['http://172.16.0.1/v.mp4', 'private'],
    ['http://172.31.255.255/v.mp4', 'private'],
    ['https://192.168.1.1/v.mp4', 'private'],
    ['http://100.64.0.1/v.mp4', 'private'],
    ['http://[fc00::1]/v.mp4', 'private'],
    ['http://[fd12::1]/v.mp4', 'private'],
    ['http://metadata.google.internal/computeMetadata/v1/', 'private'],
    ['http://printer.local/v.mp4', 'private'],
    ['http://169.254.169.254/latest/meta-data/', 'link_local'],
    ['http://[fe80::1]/v.mp4', 'link_local'],
    ['http://0.0.0.0/v.mp4', 'unspecified'],
    ['http://0/v.mp4', 'unspecified'],
    ['http://224.0.0.1/v.mp4', 'multicast'],
    ['http://255.255.255.255/v.mp4', 'reserved'],
    ['http://[2001:db8::1]/v.mp4', 'reserved'],
    ['ftp://example.com/v.mp4', 'scheme'],
    ['javascript:alert(1)', 'scheme'],
    ['file:///etc/passwd', 'scheme'],
    ['data:video/mp4;base64,AAAA', 'scheme'],
    ['gopher://example.com/', 'scheme'],
    ['http://user:pass@example.com/v.mp4', 'credentials'],
    ['http://user@example.com/v.mp4', 'credentials'],
    ['https://:secret@example.com/v.mp4', 'credentials'],
    ['not a url', 'invalid_url'],
    ['/relative/v.mp4', 'invalid_url'],
    ['http://[::1/v.mp4', 'invalid_url'],
  ];
  it.each(blockedCases)('blocks %s (%s)', (url, rule) => {
    const verdict = checkUrlAtSubmit(url, none);
    expect(verdict).toMatchObject({ ok: false, rule });
    if (!verdict.ok) expect(verdict.message.length).toBeGreaterThan(10);
  });

  it.each([
    'https://example.com/v.mp4',
    'http://8.8.8.8:8080/v.mp4',
    'http://172.32.0.1/v.mp4',
    'https://[2606:4700::1]/v.mp4',
    'https://cdn.example.com:4443/a/b.mov?sig=x#frag',
    'http://localhost.example.com/v.mp4',
  ])('accepts %s', (url) => {
    const verdict = checkUrlAtSubmit(url, none);
    expect(verdict.ok).toBe(true);
    if (verdict.ok) expect(verdict.url.href).toBe(new URL(url).href);
  });

  it('names the host and the kind of address in the message', () => {
    expect(checkUrlAtSubmit('http://0x7f000001/', none)).toEqual({
      ok: false,
      rule: 'loopback',
      message: 'URL host 127.0.0.1 is a loopback address, which is not allowed',
    });
    expect(checkUrlAtSubmit('ftp://x.example/', none)).toMatchObject({
      message: expect.stringContaining('ftp'),
    });
  });

  it('lets allowlisted hosts and addresses through, and only those', () => {
    const dev = parseAllowlist(['127.0.0.1', 'localhost', '::1']);
    expect(checkUrlAtSubmit('http://localhost:9000/v.mp4', dev).ok).toBe(true);
    expect(checkUrlAtSubmit('http://127.0.0.1:9000/v.mp4', dev).ok).toBe(true);
    expect(checkUrlAtSubmit('http://127.1:9000/v.mp4', dev).ok).toBe(true);
    expect(checkUrlAtSubmit('http://[::1]:9000/v.mp4', dev).ok).toBe(true);
    expect(checkUrlAtSubmit('http://127.0.0.2:9000/v.mp4', dev)).toMatchObject({
      ok: false,
      rule: 'loopback',
    });
    expect(checkUrlAtSubmit('http://10.0.0.1/v.mp4', dev)).toMatchObject({ ok: false, rule: 'private' });
    // the allowlist never relaxes scheme or credential rules
    expect(checkUrlAtSubmit('ftp://localhost/v.mp4', dev)).toMatchObject({ ok: false, rule: 'scheme' });
    expect(checkUrlAtSubmit('http://a:b@localhost/v.mp4', dev)).toMatchObject({
      ok: false,
      rule: 'credentials',
    });
  });
});

describe('checkResolvedAddress', () => {
  it('blocks non-public addresses a public-looking name resolves to', () => {
    expect(checkResolvedAddress('evil.test', '127.0.0.1', EMPTY_ALLOWLIST)).toEqual({
      ok: false,
      rule: 'loopback',
      message: 'URL host evil.test (127.0.0.1) is a loopback address, which is not allowed',
    });
    expect(checkResolvedAddress('evil.test', '::ffff:10.0.0.1', EMPTY_ALLOWLIST)).toMatchObject({
      ok: false,
      rule: 'private',
    });
    expect(checkResolvedAddress('evil.test', 'garbage', EMPTY_ALLOWLIST)).toMatchObject({
      ok: false,
      rule: 'invalid',
    });
  });

  it('allows public addresses and allowlisted hosts or addresses', () => {
    expect(checkResolvedAddress('example.com', '93.184.215.14', EMPTY_ALLOWLIST)).toEqual({ ok: true });
    const list = parseAllowlist(['minio.internal', '10.0.0.0/8']);
    expect(checkResolvedAddress('minio.internal', '172.20.0.5', list)).toEqual({ ok: true });
    expect(checkResolvedAddress('other.example', '10.9.8.7', list)).toEqual({ ok: true });
    expect(checkResolvedAddress('other.example', '172.20.0.5', list)).toMatchObject({ ok: false });
  });
});
