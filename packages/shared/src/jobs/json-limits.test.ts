import { describe, expect, it } from 'vitest';
import { metadataSchema } from './contract';
import { findJsonProblem } from './json-limits';

const nested = (depth: number): unknown => JSON.parse(`${'['.repeat(depth)}${']'.repeat(depth)}`);

describe('findJsonProblem', () => {
  it('accepts flat and moderately nested values', () => {
    expect(findJsonProblem({ a: 1, b: [1, { c: 'x' }], d: null }, 4)).toBeUndefined();
    expect(findJsonProblem({ a: nested(3) }, 4)).toBeUndefined();
  });

  it('names the first-level key under which nesting goes too deep, without overflowing itself', () => {
    expect(findJsonProblem({ ok: 1, a: nested(4) }, 4)).toEqual({
      path: ['a'],
      rule: 'too_deep',
      message: 'must not nest deeper than 4 levels',
    });
    expect(findJsonProblem({ a: nested(200_000) }, 32)).toMatchObject({ path: ['a'], rule: 'too_deep' });
  });

  it('finds an own __proto__ key at any level, as JSON.parse creates it', () => {
    expect(findJsonProblem(JSON.parse('{"__proto__":{"x":1}}'), 8)).toMatchObject({
      path: ['__proto__'],
      rule: 'reserved_key',
    });
    expect(findJsonProblem(JSON.parse('{"a":[{"__proto__":1}]}'), 8)).toMatchObject({
      path: ['a', 0, '__proto__'],
    });
  });
  it('refuses numbers JSON.parse could only read as Infinity (they would be stored as null)', () => {
    expect(findJsonProblem(JSON.parse('{"n":[1,1e400]}'), 8)).toMatchObject({
      path: ['n', 1],
      rule: 'not_finite',
    });
  });
});

describe('metadataSchema', () => {
  it('keeps a valid object as sent', () => {
    const value = { order: 42, tags: ['a'], nested: { ok: true } };
    expect(metadataSchema.parse(value)).toEqual(value);
  });

  it('reports the rule of each refusal', () => {
    const codes = (value: unknown) =>
      metadataSchema.safeParse(value).error?.issues.map((i) => [i.code, i.path.join('.')]);
    expect(codes([1])).toEqual([['invalid_type', '']]);
    expect(codes(null)).toEqual([['invalid_type', '']]);
    expect(codes({ a: nested(40) })).toEqual([['custom', 'a']]);
    expect(codes(JSON.parse('{"__proto__":{"admin":true}}'))).toEqual([['custom', '__proto__']]);
    expect(codes({ blob: 'x'.repeat(5000) })).toEqual([['custom', '']]);
  });
});
