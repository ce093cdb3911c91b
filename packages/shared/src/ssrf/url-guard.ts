import ipaddr from 'ipaddr.js';
import { type AddressClass, classifyIp, type IpRange, inRange, parseIp } from './ip-ranges';

export { type AddressClass, classifyAddress } from './ip-ranges';

/**
 * SSRF rules for user-supplied URLs (README.md, How a job runs). Pure: the API applies `checkUrlAtSubmit` without
 * DNS, the worker's guarded fetch applies it to every hop and `checkResolvedAddress` to every address
 * it is about to connect to.
 */

export interface Allowlist {
  /** Normalized host names, matched exactly. */
  readonly hosts: ReadonlySet<string>;
  readonly ranges: readonly IpRange[];
}

export type UrlRule = 'invalid_url' | 'scheme' | 'credentials' | Exclude<AddressClass, 'public'>;
export type GuardVerdict = { ok: true } | { ok: false; rule: UrlRule; message: string };
export type SubmitVerdict = { ok: true; url: URL } | { ok: false; rule: UrlRule; message: string };

export const EMPTY_ALLOWLIST: Allowlist = { hosts: new Set(), ranges: [] };

const HOSTNAME =
  /^(?=.{1,253}$)[a-z0-9_]([a-z0-9_-]{0,61}[a-z0-9_])?(\.[a-z0-9_]([a-z0-9_-]{0,61}[a-z0-9_])?)*$/;

/**
 * Host names, IP addresses and CIDR ranges (`URL_ALLOWLIST`, comma-split by the caller). Blank entries
 * are skipped; anything else that is not one of the three throws an Error naming the entry.
 */
export function parseAllowlist(entries: readonly string[]): Allowlist {
  const hosts = new Set<string>();
  const ranges: IpRange[] = [];
  for (const raw of entries) {
    const entry = raw.trim();
    if (entry === '') continue;
    if (entry.includes('/')) {
      if (!ipaddr.isValidCIDR(entry) || !parseIp(entry.slice(0, entry.indexOf('/')))) {
        throw new Error(`invalid allowlist entry "${raw}": not a valid CIDR range`);
      }
      ranges.push(ipaddr.parseCIDR(entry));
      continue;
    }
    const ip = parseIp(entry);
    if (ip) {
      ranges.push([ip, ip.kind() === 'ipv4' ? 32 : 128]);
      continue;
    }
    const host = normalizeHost(entry);
    if (!host || !HOSTNAME.test(host)) {
      throw new Error(`invalid allowlist entry "${raw}": expected a host name, IP address or CIDR range`);
    }
    if (parseIp(host)) ranges.push(ipRangeOf(host));
    else hosts.add(host);
  }
  return { hosts, ranges };
}

const ipRangeOf = (ip: string): IpRange => {
  const addr = parseIp(ip)!;
  return [addr, addr.kind() === 'ipv4' ? 32 : 128];
};

/** True when the host name is listed, or the IP (or a literal-IP host) lies in a listed range. */
export function isAllowed(allowlist: Allowlist, target: { host?: string; ip?: string }): boolean {
  const host = target.host === undefined ? undefined : normalizeHost(target.host);
  if (host && allowlist.hosts.has(host)) return true;
  for (const candidate of [host, target.ip]) {
    const addr = candidate === undefined ? undefined : parseIp(candidate);
    if (addr && allowlist.ranges.some((range) => inRange(addr, range))) return true;
  }
  return false;
}

/**
 * The canonical form of a URL host: lower case, IDNA, no trailing dot, IPv6 without brackets, and
 * every legacy IPv4 spelling (`127.1`, `0x7f000001`, `2130706433`, `0177.0.0.1`) as a dotted quad —
 * the WHATWG URL parser does that, exactly as the HTTP client will see it. Undefined when invalid.
 */
export function normalizeHost(hostname: string): string | undefined {
  let host = hostname.trim();
  if (host === '' || /[/?#@\\\s%]/.test(host)) return undefined;
  if (!host.startsWith('[') && host.includes(':')) host = `[${host}]`;
  let parsed: string;
  try {
    parsed = new URL(`http://${host}/`).hostname;
  } catch {
    return undefined;
  }
  if (parsed.startsWith('[')) return parsed.slice(1, -1);
  const name = parsed.replace(/\.+$/, '');
  return name === '' ? undefined : name;
}

/**
 * `normalizeHost` for a host the WHATWG URL parser has already canonicalized (case, IDNA, legacy IPv4
 * spellings): only the IPv6 brackets and trailing dots are left to remove, so no second parse.
 */
function hostOfUrl(url: URL): string | undefined {
  const hostname = url.hostname;
  if (hostname.startsWith('[')) return hostname.slice(1, -1);
  const name = hostname.endsWith('.') ? hostname.replace(/\.+$/, '') : hostname;
  return name === '' ? undefined : name;
}

// Names that can only resolve inside the machine or the local network (RFC 6761, 6762, 8375; ICANN's
// `.internal`). DNS is checked again at connect; rejecting them here gives the client an early answer.
const LOOPBACK_NAMES = /(^|\.)localhost$/;
const LOCAL_NAMES = /(^|\.)(internal|local|localdomain|home\.arpa)$/;

/** Checks a user URL before it is accepted: scheme, credentials, literal IPs and local-only names. */
export function checkUrlAtSubmit(raw: string, allowlist: Allowlist): SubmitVerdict {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return blocked('invalid_url', 'URL is not a valid absolute URL');
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    return blocked('scheme', `URL must use http or https, not ${url.protocol.replace(/:$/, '')}`);
  }
  if (url.username !== '' || url.password !== '') {
    return blocked('credentials', 'URL must not contain a user name or password');
  }
  const host = hostOfUrl(url);
  if (!host) return blocked('invalid_url', 'URL has no valid host');
  // One parse of the host, shared by the allowlist and the classifier (isAllowed would parse it again).
  const addr = parseIp(host);
  if (allowlist.hosts.has(host) || (addr && allowlist.ranges.some((range) => inRange(addr, range)))) {
    return { ok: true, url };
  }
  if (addr) {
    const cls = classifyIp(addr);
    if (cls !== 'public') return blocked(cls, `URL host ${host} is ${describe(cls)}, which is not allowed`);
  } else if (LOOPBACK_NAMES.test(host)) {
    return blocked('loopback', `URL host ${host} refers to this machine, which is not allowed`);
  } else if (LOCAL_NAMES.test(host)) {
    return blocked('private', `URL host ${host} is a local network name, which is not allowed`);
  }
  return { ok: true, url };
}

/** Checks one address a host name resolved to, just before connecting to it. */
export function checkResolvedAddress(host: string, ip: string, allowlist: Allowlist): GuardVerdict {
  if (isAllowed(allowlist, { host, ip })) return { ok: true };
  const addr = parseIp(ip);
  const cls = addr ? classifyIp(addr) : 'invalid';
  if (cls === 'public') return { ok: true };
  const where = host === ip ? host : `${host} (${ip})`;
  return blocked(cls, `URL host ${where} is ${describe(cls)}, which is not allowed`);
}

const blocked = (rule: UrlRule, message: string) => ({ ok: false, rule, message }) as const;

const DESCRIPTIONS: Record<Exclude<AddressClass, 'public'>, string> = {
  loopback: 'a loopback address',
  private: 'a private network address',
  link_local: 'a link-local address',
  multicast: 'a multicast address',
  reserved: 'a reserved address',
  unspecified: 'an unspecified address',
  invalid: 'not a valid IP address',
};
const describe = (cls: Exclude<AddressClass, 'public'>) => DESCRIPTIONS[cls];
