/**
 * RFC 6901 JSON Pointer, read-only, own properties only (so `/__proto__` or
 * `/constructor` never reach the prototype chain).
 */

/** Sentinel for "no value at this pointer". */
export const MISSING: unique symbol = Symbol('missing');

const INDEX = /^(0|[1-9][0-9]*)$/;

/**
 * Splits a pointer into its reference tokens.
 *
 * @throws RangeError when the pointer is not valid RFC 6901 (no leading `/`, bad `~` escape).
 */
export function parsePointer(pointer: string): readonly string[] {
  if (typeof pointer !== 'string') throw new TypeError(`"pointer" expected string, got ${typeof pointer}`);
  if (pointer === '') return [];
  if (!pointer.startsWith('/'))
    throw new RangeError(`JSON pointer must start with "/", got ${JSON.stringify(pointer)}`);
  return pointer
    .slice(1)
    .split('/')
    .map((token) => {
      // RFC 6901 §4: `~1` is `/`, `~0` is `~`; any other `~` is an error.
      if (/~(?![01])/.test(token))
        throw new RangeError(`JSON pointer has a bad "~" escape: ${JSON.stringify(pointer)}`);
      return token.replaceAll('~1', '/').replaceAll('~0', '~');
    });
}

/** The value at `tokens` inside `document`, or {@link MISSING}. */
export function resolvePointer(document: unknown, tokens: readonly string[]): unknown {
  let current: unknown = document;
  for (const token of tokens) {
    if (Array.isArray(current)) {
      if (!INDEX.test(token)) return MISSING;
      const index = Number(token);
      if (index >= current.length) return MISSING;
      current = current[index];
    } else if (typeof current === 'object' && current !== null) {
      if (!Object.hasOwn(current, token)) return MISSING;
      current = (current as Record<string, unknown>)[token];
    } else {
      return MISSING;
    }
    if (current === undefined) return MISSING;
  }
  return current;
}
