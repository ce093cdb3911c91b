import { describe, expect, it } from 'vitest';
import { findTenant, parseApiKeys } from './auth';

const message = (fn: () => unknown) => {
  try {
    fn();
  } catch (error) {
    return (error as Error).message;
  }
  return 'no error';
};

describe('parseApiKeys', () => {
  it('reads name:key pairs, and names a bare key by its hash, never by the key', () => {
    const keys = parseApiKeys(['acme:acme_key_0001', 'bare_key_00000002']);
    expect(keys.map((k) => k.tenant)).toEqual(['acme', expect.stringMatching(/^key-[0-9a-f]{12}$/)]);
    expect(keys[1]?.tenant).not.toContain('bare_key');
  });

  it('refuses short keys and bad tenant names without printing a key', () => {
    expect(message(() => parseApiKeys(['acme:short']))).toMatch(/"acme" must be at least 8/);
    expect(message(() => parseApiKeys(['acme:short']))).not.toContain('short"');
    expect(message(() => parseApiKeys(['a b:long_enough_key']))).toMatch(/tenant name "a b"/);
  });

  it('refuses one key listed under two tenants, naming the tenants only', () => {
    const text = message(() => parseApiKeys(['a:shared_key_0001', 'b:shared_key_0001']));
    expect(text).toBe('API_KEYS: tenants "a" and "b" list the same key');
    // The same key twice for one tenant is harmless.
    expect(parseApiKeys(['a:shared_key_0001', 'a:shared_key_0001'])).toHaveLength(2);
  });
});

describe('findTenant', () => {
  const keys = parseApiKeys(['a:key_for_tenant_a', 'b:key_for_tenant_b', 'a:rotated_key_for_a']);

  it('finds the tenant of any of its keys', () => {
    expect(findTenant(keys, 'key_for_tenant_b')).toBe('b');
    expect(findTenant(keys, 'rotated_key_for_a')).toBe('a');
  });

  it('matches nothing for a wrong key, a prefix of a key or an empty one', () => {
    for (const presented of ['key_for_tenant_c', 'key_for_tenant', '', 'key_for_tenant_a ']) {
      expect(findTenant(keys, presented), presented).toBeUndefined();
    }
  });
});
