import { describe, expect, it } from 'vitest';
import { type AdminAccount, matchAccount, parseBasicAuth } from './dashboard-auth';

const basic = (s: string) => `Basic ${Buffer.from(s).toString('base64')}`;

describe('parseBasicAuth', () => {
  it('splits at the first colon (passwords may contain colons)', () => {
    expect(parseBasicAuth(basic('ops:pa:ss'))).toEqual({ user: 'ops', password: 'pa:ss' });
    expect(parseBasicAuth(`basic ${Buffer.from('u:').toString('base64')}`)).toEqual({
      user: 'u',
      password: '',
    });
  });

  it('rejects missing, non-Basic and colon-less credentials', () => {
    expect(parseBasicAuth(undefined)).toBeUndefined();
    expect(parseBasicAuth('Bearer abc')).toBeUndefined();
    expect(parseBasicAuth(basic('nocolon'))).toBeUndefined();
    expect(parseBasicAuth('Basic !!!')).toBeUndefined();
  });
});

describe('matchAccount', () => {
  const accounts: AdminAccount[] = [
    { user: 'ops', password: 'secret-1', role: 'admin' },
    { user: 'viewer', password: 'secret-2', role: 'readonly' },
  ];

  it('returns the role of the matching account', () => {
    expect(matchAccount(accounts, { user: 'ops', password: 'secret-1' })).toBe('admin');
    expect(matchAccount(accounts, { user: 'viewer', password: 'secret-2' })).toBe('readonly');
  });

  it('needs user and password of the same account', () => {
    expect(matchAccount(accounts, { user: 'ops', password: 'secret-2' })).toBeUndefined();
    expect(matchAccount(accounts, { user: 'viewer', password: 'secret-1' })).toBeUndefined();
    expect(matchAccount(accounts, { user: 'ops', password: 'secret-1x' })).toBeUndefined();
    expect(matchAccount(accounts, { user: '', password: '' })).toBeUndefined();
    expect(matchAccount([], { user: 'ops', password: 'secret-1' })).toBeUndefined();
  });
});
