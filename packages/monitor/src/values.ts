/**
 * Recipient-like and target-like values: the argument values that say where data goes or what an
 * action hits. A hijacked agent has to name the attacker's destination somewhere in its arguments,
 * so these are the values whose origin the detector checks.
 */

/** The kinds of value the detector recognises. */
export const VALUE_KINDS = Object.freeze(['email', 'iban', 'host', 'phone', 'path', 'sql'] as const);

/** One of {@link VALUE_KINDS}. */
export type ValueKind = (typeof VALUE_KINDS)[number];

/** A recognised value: its kind and normalised form (`kind:value`, the key used in sets). */
export interface FoundValue {
  readonly kind: ValueKind;
  /** `kind:normalised`, e.g. `email:a@b.example`, `host:example.com`. */
  readonly key: string;
  /** True when the string leaf it came from is the value alone (a structured field), not prose around it. */
  readonly whole: boolean;
  /**
   * The JSON pointer of the string leaf it came from, array indices written as `*` (so `/to/0` and `/to/1` are
   * one field, `/to/*`); only for a `whole` value found by a scan that tracks pointers (`scanJson(…, { pointers: true })`).
   */
  readonly pointer?: string;
}

/**
 * Bounds on the work of one scan (one call's arguments, one result, one prompt), so that a call of
 * any size costs bounded time. A scan that hits a bound reports itself incomplete; the detector
 * then fails closed (`args.unscanned`).
 */
export const SCAN_LIMITS = Object.freeze({
  /** Characters of one string leaf that are scanned. */
  stringChars: 65_536,
  /** Characters scanned in all, over every leaf of one value. */
  totalChars: 262_144,
  /** Nodes (objects, arrays, leaves) visited in one value. */
  nodes: 10_000,
  /** Deepest nesting walked. */
  depth: 32,
});

// One pass, one alternation per kind; capture group i is VALUE_KINDS[i - 1] (numbered, not named: a named
// group makes the engine build a `groups` object for every match, and this runs on every call). Every quantifier is
// bounded (RFC 5321 §4.5.3.1: local part <= 64, label <= 63) and every branch can start only at the
// start of a run (the lookbehind, `\b`, `+`), so a match attempt costs bounded steps and a scan is
// linear in the string: an unbounded `[…]+@` tried at every position costs quadratic time on a long
// run of letters without an `@` (measured: 2.5 s for 20,000 characters).
// host: a scheme or `www.` prefix, or a common top-level domain, so that `report.docx` is not a host.
// path: an absolute (or `~`, `./`, `../`) POSIX path of at least two segments, or a drive-letter Windows path,
// not preceded by a letter, digit, `:` or `/` (so a URL's path or a date `2024/05/12` is not one).
// sql: a statement's verb, where the words after it make it a statement (`DELETE FROM`, `UPDATE t SET`,
// `DROP TABLE`, `SELECT … FROM`), any letter case, so prose that says "update the file" is not SQL.
const TLDS = 'com|org|net|io|ai|dev|app|co|info|biz|edu|gov|me|xyz|site|online|ch|de|uk|fr|us';
const LABEL = '[A-Za-z0-9-]{1,63}';
/** A case-insensitive word without the `i` flag (the other kinds are case-sensitive): `[Ss][Ee]…`. */
const ci = (word: string): string =>
  [...word].map((c) => (/[a-z]/i.test(c) ? `[${c.toUpperCase()}${c.toLowerCase()}]` : c)).join('');
const SEG = '[A-Za-z0-9._~$@+=-]{1,255}';
const SQL_TARGET = `(?:${['table', 'database', 'schema', 'index', 'view', 'user', 'role', 'trigger', 'function'].map(ci).join('|')})`;
const SQL = [
  `${ci('select')}\\s[^;]{1,256}?\\s${ci('from')}`,
  `${ci('insert')}\\s{1,8}${ci('into')}`,
  `${ci('delete')}\\s{1,8}${ci('from')}`,
  `${ci('update')}\\s{1,8}[\\w."\x60\\[\\]]{1,128}\\s{1,8}${ci('set')}`,
  `(?:${['drop', 'create', 'alter', 'truncate'].map(ci).join('|')})\\s{1,8}(?:${ci('or')}\\s{1,8}${ci('replace')}\\s{1,8})?${SQL_TARGET}`,
  `(?:${['grant', 'revoke'].map(ci).join('|')})\\s[^;]{1,128}?\\s(?:${ci('on')}|${ci('to')}|${ci('from')})`,
].join('|');
const PATTERN = new RegExp(
  [
    `((?<![A-Za-z0-9._%+-])[A-Za-z0-9._%+-]{1,64}@${LABEL}(?:\\.${LABEL}){0,8}\\.[A-Za-z]{2,24})`,
    '(\\b[A-Z]{2}\\d{2}(?: ?[A-Z0-9]){10,30}\\b)',
    `(\\b(?:https?://)?(?:www(?:\\.${LABEL}){1,8}|(?:${LABEL}\\.){1,8}(?:${TLDS}))\\b)`,
    '(\\+\\d[\\d ()-]{6,18}\\d)',
    `((?<![A-Za-z0-9._%+:/\\\\-])(?:(?:~|\\.{1,2})?(?:/${SEG}){2,32}|[A-Za-z]:(?:\\\\${SEG}){1,32})/?)`,
    `(\\b(?:${SQL})\\b)`,
  ].join('|'),
  'g',
);

function normalise(kind: ValueKind, raw: string): string {
  switch (kind) {
    case 'email':
      return raw.toLowerCase();
    case 'iban':
      return raw.replaceAll(' ', '').toUpperCase();
    case 'host':
      return raw
        .toLowerCase()
        .replace(/^https?:\/\//, '')
        .replace(/^www\./, '');
    case 'phone':
      return raw.replace(/[^\d+]/g, '');
    case 'path':
      return raw.length > 1 && (raw.endsWith('/') || raw.endsWith('\\')) ? raw.slice(0, -1) : raw;
    case 'sql':
      return (/^[A-Za-z]+/.exec(raw)?.[0] ?? raw).toLowerCase();
  }
}

/** Receives each value a scan finds, with the context the scan was given (so no closure is made per scan). */
export type Visit<C> = (value: FoundValue, context: C) => void;

/**
 * Calls `visit` for each recognised value in one string, scanning at most
 * `SCAN_LIMITS.stringChars` characters.
 *
 * @param text - the string to scan.
 * @param visit - receives each value found, and `context`.
 * @param context - handed to `visit` as it is.
 * @returns false when the string was longer than the scan bound (the rest was not scanned).
 */
export function scanString<C>(text: string, visit: Visit<C>, context: C): boolean {
  if (text.length < 6) return true;
  const complete = text.length <= SCAN_LIMITS.stringChars;
  const scanned = complete ? text : text.slice(0, SCAN_LIMITS.stringChars);
  PATTERN.lastIndex = 0;
  let trimmed = -1; // the trimmed length, computed at the first match only
  for (let m = PATTERN.exec(scanned); m !== null; m = PATTERN.exec(scanned)) {
    for (let i = 0; i < VALUE_KINDS.length; i++) {
      const raw = m[i + 1];
      if (raw === undefined) continue;
      const kind = VALUE_KINDS[i] as ValueKind;
      if (trimmed < 0) trimmed = scanned.trim().length;
      visit({ kind, key: `${kind}:${normalise(kind, raw)}`, whole: complete && raw.length === trimmed }, context);
      break;
    }
  }
  return complete;
}

interface Budget<C> {
  nodes: number;
  chars: number;
  complete: boolean;
  readonly visit: Visit<C>;
  readonly context: C;
  /** The pointer tokens down to the current node, when pointers are tracked. */
  readonly path: string[] | undefined;
}

/** A JSON pointer token (RFC 6901 escapes). */
const token = (key: string): string =>
  key.includes('~') || key.includes('/') ? key.replaceAll('~', '~0').replaceAll('/', '~1') : key;

/** Scans one leaf and hands every whole value on with the leaf's pointer. */
function scanTracked<C>(text: string, budget: Budget<C>, path: readonly string[]): boolean {
  let pointer: string | undefined;
  return scanString(
    text,
    (v, ctx) => {
      if (!v.whole) return budget.visit(v, ctx);
      pointer ??= path.length === 0 ? '' : `/${path.join('/')}`;
      budget.visit({ ...v, pointer }, ctx);
    },
    budget.context,
  );
}

function walk<C>(value: unknown, depth: number, budget: Budget<C>): void {
  if (budget.nodes <= 0 || budget.chars <= 0) {
    budget.complete = false;
    return;
  }
  budget.nodes--;
  if (typeof value === 'string') {
    const text = value.length > budget.chars ? value.slice(0, budget.chars) : value;
    if (text.length < value.length) budget.complete = false;
    budget.chars -= text.length;
    const path = budget.path;
    const ok = path === undefined ? scanString(text, budget.visit, budget.context) : scanTracked(text, budget, path);
    if (!ok) budget.complete = false;
    return;
  }
  if (value === null || typeof value !== 'object') return;
  if (depth <= 0) {
    budget.complete = false;
    return;
  }
  const path = budget.path;
  if (Array.isArray(value)) {
    path?.push('*');
    for (const item of value) walk(item, depth - 1, budget);
    path?.pop();
    return;
  }
  for (const key in value) {
    if (!Object.hasOwn(value, key)) continue;
    path?.push(token(key));
    walk((value as Record<string, unknown>)[key], depth - 1, budget);
    path?.pop();
  }
}

/** Options of {@link scanJson}. */
export interface ScanOptions {
  /** Give each `whole` value the JSON pointer of its leaf ({@link FoundValue.pointer}). @default false */
  readonly pointers?: boolean;
}

/**
 * Walks a JSON value and calls `visit` for every recognised value in its string leaves
 * (object keys excluded), depth-first, within {@link SCAN_LIMITS}.
 *
 * @param value - any JSON value (tool arguments or a tool result).
 * @param visit - receives each value found, and `context`.
 * @param context - handed to `visit` as it is.
 * @param options - see {@link ScanOptions}.
 * @returns false when a bound was hit and part of the value was not scanned.
 */
export function scanJson<C>(value: unknown, visit: Visit<C>, context: C, options?: ScanOptions): boolean {
  const budget: Budget<C> = {
    nodes: SCAN_LIMITS.nodes,
    chars: SCAN_LIMITS.totalChars,
    complete: true,
    visit,
    context,
    path: options?.pointers === true ? [] : undefined,
  };
  walk(value, SCAN_LIMITS.depth, budget);
  return budget.complete;
}
