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

// One pass, one alternation per kind (named groups keep the dispatch cheap).
// host: a scheme or `www.` prefix, or a common top-level domain, so that `report.docx` is not a host.
const TLDS = 'com|org|net|io|ai|dev|app|co|info|biz|edu|gov|me|xyz|site|online|ch|de|uk|fr|us';
const PATTERN = new RegExp(
  [
    '(?<email>[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\\.[A-Za-z0-9-]+)*\\.[A-Za-z]{2,})',
    '(?<iban>\\b[A-Z]{2}\\d{2}(?: ?[A-Z0-9]){10,30}\\b)',
    `(?<host>\\b(?:https?://)?(?:www\\.[A-Za-z0-9-]+(?:\\.[A-Za-z0-9-]+)+|(?:[A-Za-z0-9-]+\\.)+(?:${TLDS}))\\b)`,
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

/**
 * Calls `visit` for each recognised value in one string.
 *
 * @param text - the string to scan.
 * @param visit - receives each value found.
 */
export function scanString(text: string, visit: (value: FoundValue) => void): void {
  if (text.length < 6) return;
  PATTERN.lastIndex = 0;
  const trimmed = text.trim();
  for (let m = PATTERN.exec(text); m !== null; m = PATTERN.exec(text)) {
    const g = m.groups ?? {};
    const kind: ValueKind | undefined =
      g.email !== undefined
        ? 'email'
        : g.iban !== undefined
          ? 'iban'
          : g.host !== undefined
            ? 'host'
            : g.phone !== undefined
              ? 'phone'
              : undefined;
    const raw = kind === undefined ? undefined : g[kind];
    if (kind === undefined || raw === undefined) continue;
    visit({ kind, key: `${kind}:${normalise(kind, raw)}`, whole: raw.length === trimmed.length });
  }
}

/**
 * Walks a JSON value and calls `visit` for every recognised value in its string leaves
 * (object keys excluded), depth-first, up to `maxDepth` levels.
 *
 * @param value - any JSON value (tool arguments or a tool result).
 * @param visit - receives each value found.
 * @param maxDepth - deepest level walked. @default 32
 */
export function scanJson(value: unknown, visit: (value: FoundValue) => void, maxDepth = 32): void {
  if (typeof value === 'string') {
    scanString(value, visit);
    return;
  }
  if (maxDepth <= 0 || value === null || typeof value !== 'object') return;
  if (Array.isArray(value)) {
    for (const item of value) scanJson(item, visit, maxDepth - 1);
    return;
  }
  for (const key in value) {
    if (Object.hasOwn(value, key)) scanJson((value as Record<string, unknown>)[key], visit, maxDepth - 1);
  }
}
