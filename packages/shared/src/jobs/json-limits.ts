/** Shape rules for client JSON that schemas cannot see or that would break code reading it later. */

export interface JsonProblem {
  /** Where the problem is, from the checked value (for `too_deep`, its first-level key). */
  path: Array<string | number>;
  rule: 'too_deep' | 'reserved_key' | 'not_finite';
  message: string;
}

/**
 * The first problem in a parsed JSON value: nesting deeper than `maxDepth` levels (JSON.stringify and
 * every recursive reader overflow the stack long before any size limit is reached), a `__proto__` key
 * (zod drops it without a word, and a consumer merging the object would have its prototype replaced),
 * or a number too large to store. The walk itself never recurses deeper than `maxDepth`.
 */
export function findJsonProblem(value: unknown, maxDepth: number): JsonProblem | undefined {
  const walk = (node: unknown, path: Array<string | number>, depthLeft: number): JsonProblem | undefined => {
    if (typeof node === 'number' && !Number.isFinite(node)) {
      // JSON.parse reads 1e400 as Infinity, which JSON.stringify would store as null.
      return { path, rule: 'not_finite', message: 'must be a finite number' };
    }
    if (node === null || typeof node !== 'object') return undefined;
    if (depthLeft <= 0) {
      return {
        path: path.slice(0, 1),
        rule: 'too_deep',
        message: `must not nest deeper than ${maxDepth} levels`,
      };
    }
    const entries: Array<[string | number, unknown]> = Array.isArray(node)
      ? [...node.entries()]
      : Object.entries(node);
    for (const [key, child] of entries) {
      if (key === '__proto__') {
        return { path: [...path, key], rule: 'reserved_key', message: '"__proto__" is not allowed as a key' };
      }
      const found = walk(child, [...path, key], depthLeft - 1);
      if (found) return found;
    }
    return undefined;
  };
  return walk(value, [], maxDepth);
}
