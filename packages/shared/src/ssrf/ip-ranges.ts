import ipaddr from 'ipaddr.js';

/** What kind of network an IP address belongs to. Only `public` may be reached without an allowlist. */
export type AddressClass =
  | 'public'
  | 'loopback'
  | 'private'
  | 'link_local'
  | 'multicast'
  | 'reserved'
  | 'unspecified'
  | 'invalid';

type BlockedClass = Exclude<AddressClass, 'public' | 'invalid'>;
export type IpAddress = ipaddr.IPv4 | ipaddr.IPv6;
export type IpRange = [IpAddress, number];

// Our own table rather than ipaddr.js's `range()` names: those lump some ranges together and leave
// others as "unicast", and a guard must say exactly which rule matched.
const V4_RANGES: ReadonlyArray<readonly [string, BlockedClass]> = [
  ['0.0.0.0/8', 'unspecified'], // "this network": 0.0.0.0 reaches the local host on Linux
  ['127.0.0.0/8', 'loopback'],
  ['10.0.0.0/8', 'private'],
  ['172.16.0.0/12', 'private'],
  ['192.168.0.0/16', 'private'],
  ['100.64.0.0/10', 'private'], // carrier-grade NAT: the provider's internal network
  ['169.254.0.0/16', 'link_local'], // cloud metadata services live here
  ['224.0.0.0/4', 'multicast'],
  ['192.0.0.0/24', 'reserved'], // IETF protocol assignments
  ['192.0.2.0/24', 'reserved'], // documentation
  ['198.51.100.0/24', 'reserved'], // documentation
  ['203.0.113.0/24', 'reserved'], // documentation
  ['198.18.0.0/15', 'reserved'], // benchmarking
  ['192.88.99.0/24', 'reserved'], // deprecated 6to4 relay anycast
  ['240.0.0.0/4', 'reserved'], // future use, includes 255.255.255.255 broadcast
];

const V6_RANGES: ReadonlyArray<readonly [string, BlockedClass]> = [
  ['::/128', 'unspecified'],
  ['::1/128', 'loopback'],
  ['64:ff9b:1::/48', 'private'], // local-use NAT64 (RFC 8215): translates into the site's own network
  ['fc00::/7', 'private'], // unique local
  ['fec0::/10', 'private'], // deprecated site-local
  ['fe80::/10', 'link_local'],
  ['ff00::/8', 'multicast'],
  ['100::/64', 'reserved'], // discard
  ['2001::/23', 'reserved'], // IETF protocol assignments: Teredo, benchmarking, ORCHID…
  ['2001:db8::/32', 'reserved'], // documentation
  ['3fff::/20', 'reserved'], // documentation
];

const parseRanges = (table: ReadonlyArray<readonly [string, BlockedClass]>) =>
  table.map(([cidr, cls]) => [ipaddr.parseCIDR(cidr), cls] as const);

const V4 = parseRanges(V4_RANGES);
const V6 = parseRanges(V6_RANGES);
const GLOBAL_UNICAST_V6 = ipaddr.parseCIDR('2000::/3');
const MAPPED_V4 = ipaddr.parseCIDR('::ffff:0:0/96');
const NAT64 = ipaddr.parseCIDR('64:ff9b::/96');
const SIX_TO_FOUR = ipaddr.parseCIDR('2002::/16');

const DOTTED_QUAD = /^\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3}$/;

/**
 * Parses an IP address as it appears in DNS answers and URL hosts: dotted-quad IPv4 (only the
 * canonical four-part decimal form; legacy spellings like `127.1` are the URL parser's job) or IPv6,
 * optionally in brackets. Returns undefined for anything else.
 */
export function parseIp(value: string): IpAddress | undefined {
  const text = value.startsWith('[') && value.endsWith(']') ? value.slice(1, -1) : value;
  // Shape first: ipaddr.js validates by parsing and catching its own throw, which is costly for the
  // common case of a host name (every submitted URL).
  if (DOTTED_QUAD.test(text)) {
    return ipaddr.IPv4.isValidFourPartDecimal(text) ? ipaddr.IPv4.parse(text) : undefined;
  }
  if (text.includes(':') && ipaddr.IPv6.isValid(text)) return ipaddr.IPv6.parse(text);
  return undefined;
}

/** The IPv4 address an IPv6 address carries (mapped, NAT64 or 6to4), which is where traffic ends up. */
export function embeddedIpv4(addr: ipaddr.IPv6): ipaddr.IPv4 | undefined {
  const p = addr.parts;
  if (addr.match(MAPPED_V4) || addr.match(NAT64)) return word(p[6], p[7]);
  if (addr.match(SIX_TO_FOUR)) return word(p[1], p[2]);
  return undefined;
}

const word = (hi = 0, lo = 0) => new ipaddr.IPv4([hi >> 8, hi & 0xff, lo >> 8, lo & 0xff]);

export function classifyIp(addr: IpAddress): Exclude<AddressClass, 'invalid'> {
  if (addr.kind() === 'ipv4') return V4.find(([range]) => addr.match(range))?.[1] ?? 'public';
  const v6 = addr as ipaddr.IPv6;
  const v4 = embeddedIpv4(v6);
  if (v4) return classifyIp(v4);
  const hit = V6.find(([range]) => v6.match(range));
  if (hit) return hit[1];
  // Outside 2000::/3 nothing is allocated for global unicast.
  return v6.match(GLOBAL_UNICAST_V6) ? 'public' : 'reserved';
}

/** Classifies an IP address string (IPv4 dotted quad or IPv6, brackets allowed). */
export function classifyAddress(ip: string): AddressClass {
  const addr = parseIp(ip);
  return addr ? classifyIp(addr) : 'invalid';
}

/** True when `addr` lies in `range`; IPv4-mapped IPv6 addresses match IPv4 ranges. */
export function inRange(addr: IpAddress, range: IpRange): boolean {
  const target =
    addr.kind() === 'ipv6' && (addr as ipaddr.IPv6).isIPv4MappedAddress()
      ? (addr as ipaddr.IPv6).toIPv4Address()
      : addr;
  return target.kind() === range[0].kind() && target.match(range);
}
