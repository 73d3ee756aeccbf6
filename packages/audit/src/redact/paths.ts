/** Matches any one key or array index in a dotted field path. */
export const ANY: unique symbol = Symbol('any');

/** A compiled field path: the keys from the root, `ANY` for a `*` of a dotted path. */
export type FieldPath = readonly (string | typeof ANY)[];

/**
 * Parses a field path. A string starting with `/`, or the empty string, is an
 * RFC 6901 JSON pointer (`/to/0/email`, `~1` for `/`, `~0` for `~`), matched
 * exactly, as policies name fields; anything else is a dotted path
 * (`to.*.email`) whose `*` matches any one key or index.
 *
 * @throws RangeError on a bad `~` escape or an empty dotted segment.
 */
export function parseFieldPath(path: string): FieldPath {
  if (typeof path !== 'string') throw new TypeError(`"fields" expected strings, got ${typeof path}`);
  if (path === '') return [];
  if (path.startsWith('/')) {
    return path
      .slice(1)
      .split('/')
      .map((token) => {
        // RFC 6901 §4: `~1` is `/`, `~0` is `~`; any other `~` is an error.
        if (/~(?![01])/.test(token)) throw new RangeError(`"fields" has a bad "~" escape: ${JSON.stringify(path)}`);
        return token.replaceAll('~1', '/').replaceAll('~0', '~');
      });
  }
  const segments = path.split('.');
  if (segments.some((s) => s === '')) {
    throw new RangeError(`"fields" expected a JSON pointer or a dotted path, got ${JSON.stringify(path)}`);
  }
  return segments.map((s) => (s === '*' ? ANY : s));
}

/** The RFC 6901 form of one key. */
export function escapeToken(key: string): string {
  if (!key.includes('~') && !key.includes('/')) return key;
  return key.replaceAll('~', '~0').replaceAll('/', '~1');
}

/** A field path and how far into it the walk has come. */
export type Cursor = readonly [path: FieldPath, position: number];

/**
 * The cursors that go on into the child `key`; `hit` when one of them names the child itself.
 * An empty list in gives an empty list out without allocating.
 */
export function step(cursors: readonly Cursor[], key: string): { next: readonly Cursor[]; hit: boolean } {
  if (cursors.length === 0) return NONE;
  let hit = false;
  const next: Cursor[] = [];
  for (const [path, position] of cursors) {
    const token = path[position];
    if (token !== ANY && token !== key) continue;
    if (position + 1 === path.length) hit = true;
    else next.push([path, position + 1]);
  }
  return { next, hit };
}

const NONE = Object.freeze({ next: Object.freeze([]) as readonly Cursor[], hit: false });
