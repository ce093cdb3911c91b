import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { EMPTY_ALLOWLIST, parseAllowlist } from '@foley/shared/ssrf/url-guard';
import { Agent, request } from 'undici';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  createGuardedConnector,
  createGuardedLookup,
  type ResolveHost,
  UrlBlockedError,
} from './connect-guard';
import { createGuardedFetch, TooManyRedirectsError } from './http-fetch';

// Loopback servers only: the origin on 127.0.0.1, a redirect target on 127.0.0.2. Every test that
// expects a block also asserts that the server it would have reached saw no request.
interface Seen {
  method: string;
  url: string;
  headers: IncomingMessage['headers'];
  body: string;
}

function startServer(host: string): Promise<{ server: Server; seen: Seen[]; base: string }> {
  const seen: Seen[] = [];
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (chunk: Buffer) => {
      body += chunk.toString();
    });
    req.on('end', () => {
      seen.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers, body });
      const url = new URL(req.url ?? '/', 'http://x');
      const to = url.searchParams.get('to');
      if (to) {
        res.writeHead(Number(url.searchParams.get('status') ?? 302), { location: to }).end();
        return;
      }
      if (url.pathname === '/loop') {
        res.writeHead(302, { location: '/loop' }).end();
        return;
      }
      res.writeHead(200, { 'content-type': 'text/plain' }).end(`hello from ${host}`);
    });
  });
  return new Promise((resolve) => {
    server.listen(0, host, () => {
      const { port } = server.address() as AddressInfo;
      resolve({ server, seen, base: `http://${host}:${port}` });
    });
  });
}

let origin: Awaited<ReturnType<typeof startServer>>;
let target: Awaited<ReturnType<typeof startServer>>;
const originPort = () => new URL(origin.base).port;
const redirect = (to: string, status = 302) => `/r?status=${status}&to=${encodeURIComponent(to)}`;

beforeAll(async () => {
  origin = await startServer('127.0.0.1');
  target = await startServer('127.0.0.2');
});
afterAll(async () => {
  await Promise.all([origin, target].map(({ server }) => new Promise((r) => server.close(r))));
});
beforeEach(() => {
  origin.seen.length = 0;
  target.seen.length = 0;
});

const fakeDns =
  (table: Record<string, string[]>): ResolveHost =>
  async (hostname) =>
    (table[hostname] ?? []).map((address) => ({ address, family: address.includes(':') ? 6 : 4 }));

async function expectBlocked(promise: Promise<unknown>, rule: string): Promise<UrlBlockedError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(UrlBlockedError);
  expect((error as UrlBlockedError).rule).toBe(rule);
  return error as UrlBlockedError;
}

describe('createGuardedFetch', () => {
  it('blocks a loopback IP with an empty allowlist, and the server receives nothing', async () => {
    const fetch = createGuardedFetch({ allowlist: EMPTY_ALLOWLIST });
    const error = await expectBlocked(fetch(`${origin.base}/ok`), 'loopback');
    expect(error.url).toBe(`${origin.base}/ok`);
    expect(origin.seen).toHaveLength(0);
    await fetch.close();
  });

  it('passes when 127.0.0.1 is allowlisted', async () => {
    const fetch = createGuardedFetch({ allowlist: parseAllowlist(['127.0.0.1']) });
    const response = await fetch(`${origin.base}/ok`);
    expect(response.status).toBe(200);
    expect(await response.text()).toBe('hello from 127.0.0.1');
    expect(origin.seen).toHaveLength(1);
    await fetch.close();
  });

  it('blocks localhost (real DNS) with an empty allowlist', async () => {
    const fetch = createGuardedFetch({ allowlist: EMPTY_ALLOWLIST });
    await expectBlocked(fetch(`http://localhost:${originPort()}/ok`), 'loopback');
    expect(origin.seen).toHaveLength(0);
    await fetch.close();
  });

  it('blocks a public-looking name that resolves to loopback, checked at connect', async () => {
    const fetch = createGuardedFetch({
      allowlist: EMPTY_ALLOWLIST,
      resolve: fakeDns({ 'evil.test': ['127.0.0.1'] }),
    });
    const error = await expectBlocked(fetch(`http://evil.test:${originPort()}/ok`), 'loopback');
    expect(error.address).toBe('127.0.0.1');
    expect(error.url).toBe(`http://evil.test:${originPort()}/ok`);
    expect(origin.seen).toHaveLength(0);
    await fetch.close();
  });

  it('connects when the fake name resolves to an allowlisted address', async () => {
    const fetch = createGuardedFetch({
      allowlist: parseAllowlist(['127.0.0.1']),
      resolve: fakeDns({ 'media.test': ['127.0.0.1'] }),
    });
    const response = await fetch(`http://media.test:${originPort()}/ok`);
    expect(response.status).toBe(200);
    expect(origin.seen[0]?.headers.host).toBe(`media.test:${originPort()}`);
    await fetch.close();
  });

  it('re-checks redirects: allowlisted localhost → 127.0.0.2 is blocked before any request reaches it', async () => {
    const fetch = createGuardedFetch({ allowlist: parseAllowlist(['localhost']) });
    const error = await expectBlocked(
      fetch(`http://localhost:${originPort()}${redirect(`${target.base}/ok`)}`),
      'loopback',
    );
    expect(error.url).toBe(`${target.base}/ok`);
    expect(origin.seen).toHaveLength(1);
    expect(target.seen).toHaveLength(0);
    await fetch.close();
  });

  it('follows a redirect to an allowed target (control for the test above)', async () => {
    const fetch = createGuardedFetch({ allowlist: parseAllowlist(['localhost', '127.0.0.2']) });
    const response = await fetch(`http://localhost:${originPort()}${redirect(`${target.base}/ok`)}`);
    expect(await response.text()).toBe('hello from 127.0.0.2');
    expect(target.seen).toHaveLength(1);
    await fetch.close();
  });

  it('blocks a redirect to a name that resolves to a blocked address', async () => {
    const fetch = createGuardedFetch({
      allowlist: parseAllowlist(['127.0.0.1']),
      resolve: fakeDns({ 'evil.test': ['127.0.0.2'] }),
    });
    const port = new URL(target.base).port;
    await expectBlocked(fetch(`${origin.base}${redirect(`http://evil.test:${port}/ok`)}`), 'loopback');
    expect(target.seen).toHaveLength(0);
    await fetch.close();
  });

  it('blocks a redirect to a non-http scheme', async () => {
    const fetch = createGuardedFetch({ allowlist: parseAllowlist(['127.0.0.1']) });
    await expectBlocked(fetch(`${origin.base}${redirect('file:///etc/passwd')}`), 'scheme');
    await fetch.close();
  });

  it("redirect: 'manual' returns the 3xx without following it", async () => {
    const fetch = createGuardedFetch({ allowlist: parseAllowlist(['127.0.0.1', '127.0.0.2']) });
    const response = await fetch(`${origin.base}${redirect(`${target.base}/ok`, 307)}`, {
      redirect: 'manual',
    });
    expect(response.status).toBe(307);
    expect(response.headers.get('location')).toBe(`${target.base}/ok`);
    expect(target.seen).toHaveLength(0);
    await fetch.close();
  });

  it('stops after maxRedirects hops', async () => {
    const fetch = createGuardedFetch({ allowlist: parseAllowlist(['127.0.0.1']), maxRedirects: 3 });
    await expect(fetch(`${origin.base}/loop`)).rejects.toBeInstanceOf(TooManyRedirectsError);
    expect(origin.seen).toHaveLength(4);
    await fetch.close();
  });

  it('turns POST into GET on 303 and drops credentials on a cross-origin hop', async () => {
    const fetch = createGuardedFetch({ allowlist: parseAllowlist(['127.0.0.1', '127.0.0.2']) });
    const response = await fetch(`${origin.base}${redirect(`${target.base}/ok`, 303)}`, {
      method: 'POST',
      body: '{"a":1}',
      headers: { 'content-type': 'application/json', authorization: 'Bearer secret', 'x-keep': '1' },
    });
    expect(response.status).toBe(200);
    expect(origin.seen[0]).toMatchObject({ method: 'POST', body: '{"a":1}' });
    const hop = target.seen[0];
    expect(hop).toMatchObject({ method: 'GET', body: '' });
    expect(hop?.headers.authorization).toBeUndefined();
    expect(hop?.headers['content-type']).toBeUndefined();
    expect(hop?.headers['x-keep']).toBe('1');
    await fetch.close();
  });

  it('replays the body on a 307', async () => {
    const fetch = createGuardedFetch({ allowlist: parseAllowlist(['127.0.0.1']) });
    await fetch(`${origin.base}${redirect('/ok', 307)}`, { method: 'PUT', body: 'payload' });
    expect(origin.seen.map((s) => [s.method, s.body])).toEqual([
      ['PUT', 'payload'],
      ['PUT', 'payload'],
    ]);
    await fetch.close();
  });
});

describe('createGuardedConnector', () => {
  it('checks literal IP hosts itself, since Node skips the lookup for them', async () => {
    const agent = new Agent({ connect: createGuardedConnector({ allowlist: EMPTY_ALLOWLIST }) });
    const error = await request(`${origin.base}/ok`, { dispatcher: agent }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(UrlBlockedError);
    expect(origin.seen).toHaveLength(0);
    await agent.close();
  });
});

// Called directly, without sockets: a regression here must never send traffic to a public address.
describe('createGuardedLookup', () => {
  const lookupOnce = (
    lookup: ReturnType<typeof createGuardedLookup>,
    options: { all?: boolean; family?: number },
  ) =>
    new Promise<{ error: Error | null; address: unknown; family?: number }>((resolve) => {
      lookup('multi.test', options, (error, address, family) => resolve({ error, address, family }));
    });
  const dns = fakeDns({
    'multi.test': ['93.184.215.14', '2606:2800:21f:cb07:6820:80da:af6b:8b2c', '10.0.0.7'],
  });

  it('rejects the whole answer when any address is blocked, even after public ones', async () => {
    const { error } = await lookupOnce(createGuardedLookup(EMPTY_ALLOWLIST, dns), { all: true });
    expect(error).toBeInstanceOf(UrlBlockedError);
    expect(error).toMatchObject({ rule: 'private', address: '10.0.0.7' });
  });

  it('hands out every address, or the first of the wanted family, when all are allowed', async () => {
    const allowed = createGuardedLookup(parseAllowlist(['10.0.0.0/8']), dns);
    const all = await lookupOnce(allowed, { all: true });
    expect(all.error).toBeNull();
    expect((all.address as Array<{ address: string }>).map((a) => a.address)).toHaveLength(3);
    expect(await lookupOnce(allowed, { family: 6 })).toEqual({
      error: null,
      address: '2606:2800:21f:cb07:6820:80da:af6b:8b2c',
      family: 6,
    });
  });

  it('reports a name without addresses as not found', async () => {
    const { error } = await lookupOnce(createGuardedLookup(EMPTY_ALLOWLIST, fakeDns({})), {});
    expect(error).toMatchObject({ code: 'ENOTFOUND' });
  });
});
