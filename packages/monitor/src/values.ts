/**
 * Recipient-like and target-like values: the argument values that say where data goes or what an
 * action hits. A hijacked agent has to name the attacker's destination somewhere in its arguments,
 * so these are the values whose origin the detector checks.
 */

/** The kinds of value the detector recognises. */
export const VALUE_KINDS = Object.freeze(['email', 'iban', 'host', 'phone'] as const);

/** One of {@link VALUE_KINDS}. */
export type ValueKind = (typeof VALUE_KINDS)[number];

/** A recognised value: its kind and normalised form (`kind:value`, the key used in sets). */
export interface FoundValue {
  readonly kind: ValueKind;
  /** `kind:normalised`, e.g. `email:a@b.example`, `host:example.com`. */
  readonly key: string;
  /** True when the string leaf it came from is the value alone (a structured field), not prose around it. */
  readonly whole: boolean;
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

// One pass, one alternation per kind (named groups keep the dispatch cheap). Every quantifier is
// bounded (RFC 5321 §4.5.3.1: local part <= 64, label <= 63) and every branch can start only at the
// start of a run (the lookbehind, `\b`, `+`), so a match attempt costs bounded steps and a scan is
// linear in the string: an unbounded `[…]+@` tried at every position costs quadratic time on a long
// run of letters without an `@` (measured: 2.5 s for 20,000 characters).
// host: a scheme or `www.` prefix, or a common top-level domain, so that `report.docx` is not a host.
const TLDS = 'com|org|net|io|ai|dev|app|co|info|biz|edu|gov|me|xyz|site|online|ch|de|uk|fr|us';
const LABEL = '[A-Za-z0-9-]{1,63}';
const PATTERN = new RegExp(
  [
    `(?<email>(?<![A-Za-z0-9._%+-])[A-Za-z0-9._%+-]{1,64}@${LABEL}(?:\\.${LABEL}){0,8}\\.[A-Za-z]{2,24})`,
    '(?<iban>\\b[A-Z]{2}\\d{2}(?: ?[A-Z0-9]){10,30}\\b)',
    `(?<host>\\b(?:https?://)?(?:www(?:\\.${LABEL}){1,8}|(?:${LABEL}\\.){1,8}(?:${TLDS}))\\b)`,
    '(?<phone>\\+\\d[\\d ()-]{6,18}\\d)',
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
  }
}

function kindOf(g: Record<string, string | undefined>): ValueKind | undefined {
  if (g.email !== undefined) return 'email';
  if (g.iban !== undefined) return 'iban';
  if (g.host !== undefined) return 'host';
  if (g.phone !== undefined) return 'phone';
  return undefined;
}

/**
 * Calls `visit` for each recognised value in one string, scanning at most
 * `SCAN_LIMITS.stringChars` characters.
 *
 * @param text - the string to scan.
 * @param visit - receives each value found.
 * @returns false when the string was longer than the scan bound (the rest was not scanned).
 */
export function scanString(text: string, visit: (value: FoundValue) => void): boolean {
  if (text.length < 6) return true;
  const complete = text.length <= SCAN_LIMITS.stringChars;
  const scanned = complete ? text : text.slice(0, SCAN_LIMITS.stringChars);
  PATTERN.lastIndex = 0;
  const trimmed = scanned.trim();
  for (let m = PATTERN.exec(scanned); m !== null; m = PATTERN.exec(scanned)) {
    const g = m.groups ?? {};
    const kind = kindOf(g);
    const raw = kind === undefined ? undefined : g[kind];
    if (kind === undefined || raw === undefined) continue;
    visit({ kind, key: `${kind}:${normalise(kind, raw)}`, whole: complete && raw.length === trimmed.length });
  }
  return complete;
}

interface Budget {
  nodes: number;
  chars: number;
  complete: boolean;
}

function walk(value: unknown, visit: (value: FoundValue) => void, depth: number, budget: Budget): void {
  if (budget.nodes <= 0 || budget.chars <= 0) {
    budget.complete = false;
    return;
  }
  budget.nodes--;
  if (typeof value === 'string') {
    const text = value.length > budget.chars ? value.slice(0, budget.chars) : value;
    if (text.length < value.length) budget.complete = false;
    budget.chars -= text.length;
    if (!scanString(text, visit)) budget.complete = false;
    return;
  }
  if (value === null || typeof value !== 'object') return;
  if (depth <= 0) {
    budget.complete = false;
    return;
  }
  if (Array.isArray(value)) {
    for (const item of value) walk(item, visit, depth - 1, budget);
    return;
  }
  for (const key in value) {
    if (Object.hasOwn(value, key)) walk((value as Record<string, unknown>)[key], visit, depth - 1, budget);
  }
}

/**
 * Walks a JSON value and calls `visit` for every recognised value in its string leaves
 * (object keys excluded), depth-first, within {@link SCAN_LIMITS}.
 *
 * @param value - any JSON value (tool arguments or a tool result).
 * @param visit - receives each value found.
 * @returns false when a bound was hit and part of the value was not scanned.
 */
export function scanJson(value: unknown, visit: (value: FoundValue) => void): boolean {
  const budget: Budget = { nodes: SCAN_LIMITS.nodes, chars: SCAN_LIMITS.totalChars, complete: true };
  walk(value, visit, SCAN_LIMITS.depth, budget);
  return budget.complete;
}
