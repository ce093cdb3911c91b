import { describe, expect, it } from 'vitest';
import { pythonJson } from './python-json';

describe('pythonJson', () => {
  it('writes what json.dumps(sort_keys=True) writes', () => {
    // Expected bytes from Python 3: json.dumps({"b": [1, "é"], "a": None, "c": {"z": True, "y": 1.5}}, sort_keys=True)
    expect(pythonJson({ b: [1, 'é'], a: null, c: { z: true, y: 1.5 } })).toBe(
      '{"a": null, "b": [1, "\\u00e9"], "c": {"y": 1.5, "z": true}}',
    );
  });

  it('differs from JSON.stringify, so re-serialized bodies do not verify', () => {
    const body = { status: 'OK', error: null, request_id: 'r' };
    expect(pythonJson(body)).not.toBe(JSON.stringify(body));
    expect(JSON.parse(pythonJson(body))).toEqual(body);
  });
});
