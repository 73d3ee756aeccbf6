import {
  e164Length,
  emailDomainLength,
  isBasicCredentials,
  isCardNumber,
  isIban,
  isJoseHeader,
  isNanp,
  isSsn,
} from './checks.js';

/** A half-open range `[start, end)` of UTF-16 code units in a string. */
export type Span = readonly [start: number, end: number];

/**
 * Finds sensitive spans in a string. `kind` names what it finds and appears in
 * markers (`[REDACTED:<kind>:…]`): lower-case letters, digits and `-`, at most 40.
 * `find` must run in time linear in the text (the built-in ones do); the
 * redactor calls it on at most `maxStringLength` characters.
 */
export interface Detector {
  readonly kind: string;
  find(text: string): Iterable<Span>;
  /** A cheap pre-test: when it returns false, `find` is not called. Optional. */
  quick?(text: string): boolean;
}

/**
 * Every built-in detector, in priority order: when spans of two detectors
 * overlap they are merged into one, named by the earlier detector here.
 */
export const DETECTOR_KINDS = Object.freeze([
  'private-key',
  'jwt',
  'bearer-token',
  'basic-auth',
  'url-password',
  'anthropic-key',
  'openai-key',
  'aws-access-key-id',
  'github-token',
  'slack-token',
  'stripe-key',
  'google-api-key',
  'secret-assignment',
  // An IBAN's digits can pass as a card (8% of printed IBANs did): where both are found, the span is the IBAN's,
  // which is sealed, not redacted one way.
  'iban',
  'payment-card',
  'us-ssn',
  'email',
  'phone',
] as const);

/** The name of a built-in detector. */
export type DetectorKind = (typeof DETECTOR_KINDS)[number];

type Check = (match: RegExpExecArray) => Span | undefined;

/**
 * The whole match, or only group 2 when the pattern has a kept prefix in group 1
 * (`Bearer `, `scheme://user:`, `password=`).
 */
const defaultSpan: Check = (m) => {
  if (m[2] !== undefined && m[1] !== undefined) {
    const start = m.index + m[1].length;
    return [start, start + m[2].length];
  }
  return [m.index, m.index + m[0].length];
};

/**
 * A detector from a global regex and a check. Every pattern here is linear in
 * practice on a backtracking engine: each quantifier is bounded, or followed by
 * a character its class cannot match, so a failed attempt at one position costs
 * at most a constant (the largest bound), never the rest of the text.
 */
function pattern(
  kind: DetectorKind,
  quick: (text: string) => boolean,
  regex: RegExp,
  check: Check = defaultSpan,
): Detector {
  return Object.freeze({
    kind,
    quick,
    find(text: string): Span[] {
      // One compiled regex, reset on entry: find runs to completion before anything else uses it.
      const spans: Span[] = [];
      regex.lastIndex = 0;
      for (let m = regex.exec(text); m !== null; m = regex.exec(text)) {
        const span = check(m);
        if (span !== undefined && span[1] > span[0]) spans.push(span);
        // On a rejected candidate, resume one past its start so a shorter, valid one inside is still seen; after
        // a span the check cut short (an IBAN whose greedy match ran into the next one), resume where it ends.
        if (span === undefined) regex.lastIndex = m.index + 1;
        else if (span[1] > m.index && span[1] < regex.lastIndex) regex.lastIndex = span[1];
      }
      regex.lastIndex = 0;
      return spans;
    },
  });
}

/**
 * Payment card numbers. A run of digits with single separators (space, dash, `+` of a form body) is found
 * whole, then every window of it that starts and ends on a group boundary and holds 13 to 19 digits is
 * checked ({@link isCardNumber}); the windows that pass are redacted, merged where they touch. So a number
 * before a card (`paid 2024 4111 1111 1111 1111`) or an expiry or CVV after it (`… 1111 12/25`, `… 1111 123`)
 * never moves the span off the card.
 *
 * Not inside a word or a hex string: a run may not follow a letter, digit or dot, except after an escape
 * (`\n4111…` in JSON text) or a percent-encoding (`%3A4111…`); a group right before a hex letter is part of a
 * hex string (a digest or UUID, whose digit runs pass Luhn 1 time in 500), so it ends no window. Linear: each run
 * is read once, and its windows are bounded (19 digits).
 */
function paymentCards(): Detector {
  // Where a run may start: not after a letter, digit, dot or `%` (the digits of `%20` are no card's), but after
  // an escape or a whole percent-encoding. The run itself is read by a loop, not a regex: a regex over a run of
  // millions of digits keeps one backtrack entry per digit.
  const start = /(?:(?<![0-9A-Za-z.%])|(?<=\\[bfnrt])|(?<=%[0-9A-Fa-f]{2}))\d/g;
  return Object.freeze({
    kind: 'payment-card',
    quick: TWO_DIGITS,
    find(text: string): Span[] {
      const spans: Span[] = [];
      start.lastIndex = 0;
      for (let m = start.exec(text); m !== null; m = start.exec(text)) {
        // Digits, with one separator (space, dash, `+` of a form body) at most between two of them.
        let end = m.index + 1;
        for (;;) {
          if (isDigit(text.charCodeAt(end))) end++;
          else if (isSeparator(text.charCodeAt(end)) && isDigit(text.charCodeAt(end + 1))) end += 2;
          else break;
        }
        start.lastIndex = end;
        const digits = text.slice(m.index, end);
        // Group boundaries: where each group starts, and its digit count.
        const starts: number[] = [];
        const counts: number[] = [];
        let at = 0;
        for (let i = 0; i <= digits.length; i++) {
          if (i === digits.length || !isDigit(digits.charCodeAt(i))) {
            starts.push(at);
            counts.push(i - at);
            at = i + 1;
          }
        }
        // A last group that runs on into a hex letter is part of a hex string (a digest, a UUID's last group):
        // no window may end with it. (A card right before a hex letter, `…1111EUR`, is missed for that.)
        const next = text.charCodeAt(end) | 0x20;
        const groups = next >= 97 && next <= 102 ? starts.length - 1 : starts.length;
        let from = -1;
        let to = -1;
        for (let i = 0; i < groups; i++) {
          const first = digits.charCodeAt(starts[i] as number);
          // Printed layouts all start with a group of four; an unbroken number is one group.
          if (first < 50 || first > 54) continue;
          let total = 0;
          for (let j = i; j < groups && total <= 19; j++) {
            total += counts[j] as number;
            if (total < 13 || total > 19) continue;
            if (j > i && counts[i] !== 4) break;
            const windowEnd = (starts[j] as number) + (counts[j] as number);
            if (!isCardNumber(digits.slice(starts[i], windowEnd))) continue;
            if (from !== -1 && (starts[i] as number) > to) {
              spans.push([m.index + from, m.index + to]);
              from = -1;
            }
            if (from === -1) from = starts[i] as number;
            to = Math.max(to, windowEnd);
          }
        }
        if (from !== -1) spans.push([m.index + from, m.index + to]);
      }
      start.lastIndex = 0;
      return spans;
    },
  });
}

const isDigit = (c: number) => c >= 48 && c <= 57;
const isSeparator = (c: number) => c === 32 || c === 45 || c === 43;

/** Quick pre-tests: a literal every match contains. */
const includes =
  (...needles: string[]) =>
  (text: string) =>
    needles.some((n) => text.includes(n));
const test = (re: RegExp) => (text: string) => re.test(text);
const TWO_DIGITS = test(/\d\d/);
const LOCAL_PART = /[A-Za-z0-9._%+-]/;

const has = {
  digit: (s: string) => /\d/.test(s),
  mixed: (s: string) => /\d/.test(s) && /[a-z]/.test(s) && /[A-Z]/.test(s),
};

const PEM_BEGIN = /-----BEGIN [A-Z0-9 ]{0,40}PRIVATE KEY(?: BLOCK)?-----/g;
const PEM_END = /-----END [A-Z0-9 ]{0,40}PRIVATE KEY(?: BLOCK)?-----/g;

/** PEM (RFC 7468) and OpenSSH/PGP private keys, header to footer; without a footer, to the end of the text. */
const privateKey: Detector = Object.freeze({
  kind: 'private-key',
  quick: includes('PRIVATE KEY'),
  *find(text: string): Iterable<Span> {
    const begin = new RegExp(PEM_BEGIN);
    const end = new RegExp(PEM_END);
    for (let m = begin.exec(text); m !== null; m = begin.exec(text)) {
      end.lastIndex = begin.lastIndex;
      const footer = end.exec(text);
      const stop = footer === null ? text.length : footer.index + footer[0].length;
      yield [m.index, stop];
      begin.lastIndex = stop;
    }
  },
});

/**
 * JWS/JWT compact serialisations (RFC 7515 §7.1, RFC 7519 §3): three base64url
 * segments whose first decodes to a JOSE header naming `alg`. Found by splitting
 * runs of base64url-and-dot characters (one linear pass) rather than by one
 * pattern, so that a long run that is not a JWT is read once, not once per position.
 */
const jwt: Detector = Object.freeze({
  kind: 'jwt',
  quick: includes('eyJ'),
  *find(text: string): Iterable<Span> {
    const runs = /[A-Za-z0-9_.-]{9,}/g;
    for (let run = runs.exec(text); run !== null; run = runs.exec(text)) {
      if (!run[0].includes('eyJ')) continue;
      const segments = run[0].split('.');
      let offset = run.index;
      for (let i = 0; i + 2 < segments.length; i++) {
        const segment = segments[i] as string;
        const header = headerStart(segment);
        const payload = segments[i + 1] as string;
        if (header >= 0 && payload.length >= 2) {
          const signature = segments[i + 2] as string;
          const end = offset + segment.length + 1 + payload.length + 1 + signature.length;
          yield [offset + header, end];
          offset = end + 1;
          i += 2;
        } else offset += segment.length + 1;
      }
    }
  },
});

/** Where a JOSE header starts in a segment (at 0 or after a `-`), or -1. Headers over 1 KiB are not looked at. */
function headerStart(segment: string): number {
  for (let at = segment.indexOf('eyJ'); at >= 0; at = segment.indexOf('eyJ', at + 1)) {
    if ((at === 0 || segment[at - 1] === '-') && segment.length - at <= 1024 && isJoseHeader(segment.slice(at))) {
      return at;
    }
  }
  return -1;
}

const SECRET_NAMES =
  'secret[_-]?access[_-]?key|client[_-]?secret|private[_-]?key|secret[_-]?key|api[_-]?key|x-api-key|' +
  'access[_-]?token|refresh[_-]?token|auth[_-]?token|password|passwd|passphrase|secret|token';

/** The built-in detectors, in the priority order of {@link DETECTOR_KINDS}. */
export const BUILTIN_DETECTORS: readonly Detector[] = Object.freeze([
  privateKey,
  jwt,
  // RFC 6750 §2.1 b64token; a token has a digit (words after "bearer" do not).
  pattern('bearer-token', test(/bearer/i), /\b(Bearer[ \t]{1,4})([A-Za-z0-9._~+/-]{16,4096}=*)/gi, (m) =>
    has.digit(m[2] as string) ? defaultSpan(m) : undefined,
  ),
  pattern('basic-auth', test(/basic/i), /\b(Basic[ \t]{1,4})([A-Za-z0-9+/]{8,2048}={0,2})(?![A-Za-z0-9+/=])/gi, (m) =>
    isBasicCredentials(m[2] as string) ? defaultSpan(m) : undefined,
  ),
  // RFC 3986 §3.2.1 userinfo `user:password@`; the password runs to the last `@` of the authority.
  pattern(
    'url-password',
    includes('://'),
    // Anchored on the literal `://` (found fast); the scheme before it is checked, not matched.
    /:\/\/([^\s/?#@:]{0,256}:)([^\s/?#]{1,256})@/g,
    (m) => {
      if (m.index === 0 || !/[A-Za-z0-9+.-]/.test(m.input[m.index - 1] as string)) return undefined;
      const start = m.index + 3 + (m[1] as string).length;
      return [start, start + (m[2] as string).length];
    },
  ),
  pattern('anthropic-key', includes('sk-ant-'), /\bsk-ant-[a-z]{2,10}\d{2}-[A-Za-z0-9_-]{20,300}/g),
  pattern(
    'openai-key',
    includes('sk-'),
    /\bsk-(?:(?:proj|svcacct|admin|None)-[A-Za-z0-9_-]{20,400}|[A-Za-z0-9]{32,200})/g,
    (m) => (has.mixed(m[0]) ? defaultSpan(m) : undefined),
  ),
  pattern('aws-access-key-id', test(/A[BCKS][CI]A/), /\b(?:AKIA|ASIA|ABIA|ACCA)[A-Z0-9]{16}\b/g),
  pattern(
    'github-token',
    includes('gh', 'github_pat_'),
    /\b(?:gh[pousr]_[A-Za-z0-9]{36,251}|github_pat_[A-Za-z0-9_]{50,250})(?![A-Za-z0-9_])/g,
  ),
  pattern('slack-token', includes('xox', 'xapp-'), /\b(?:xox[abposr]|xapp)-[A-Za-z0-9-]{10,250}/g, (m) =>
    has.digit(m[0]) ? defaultSpan(m) : undefined,
  ),
  pattern('stripe-key', includes('_live_', '_test_'), /\b(?:sk|rk)_(?:live|test)_[A-Za-z0-9]{10,247}(?![A-Za-z0-9])/g),
  pattern('google-api-key', includes('AIza'), /\bAIza[0-9A-Za-z_-]{35}(?![0-9A-Za-z_-])/g),
  // `password=…`, `"api_key": "…"`, `token: …` in text: env dumps, query strings, serialised JSON.
  pattern(
    'secret-assignment',
    (text) => (text.includes('=') || text.includes(':')) && /pass|secret|key|token/i.test(text),
    new RegExp(`(?<![A-Za-z0-9])((?:${SECRET_NAMES})["']?[ \\t]{0,3}[:=][ \\t]{0,3}["']?)([^\\s"'&,;]{4,256})`, 'gi'),
  ),
  pattern('iban', TWO_DIGITS, /(?<![A-Za-z0-9])[A-Z]{2}\d{2}(?: ?[A-Z0-9]){11,30}(?![A-Za-z0-9])/g, (m) => {
    // A greedy match may run into the next word ("… 0130 00 EUR"): drop trailing groups until it checks.
    let text = m[0];
    while (text.length >= 15) {
      if (isIban(text)) return [m.index, m.index + text.length];
      const cut = text.lastIndexOf(' ');
      if (cut < 0) return undefined;
      text = text.slice(0, cut);
    }
    return undefined;
  }),
  paymentCards(),
  pattern('us-ssn', TWO_DIGITS, /(?<![\d-])(\d{3})-(\d{2})-(\d{4})(?![\d-])/g, (m) =>
    isSsn(m[1] as string, m[2] as string, m[3] as string) ? [m.index, m.index + m[0].length] : undefined,
  ),
  // Anchored on the `@` (found fast); the local part is read leftwards in code, each character once.
  pattern('email', includes('@'), /@([A-Za-z0-9-]{1,63}(?:\.[A-Za-z0-9-]{1,63}){1,8})/g, (m) => {
    const domain = emailDomainLength(m[1] as string);
    let start = m.index;
    while (start > 0 && LOCAL_PART.test(m.input[start - 1] as string)) start--;
    return domain === 0 || start === m.index ? undefined : [start, m.index + 1 + domain];
  }),
  // NANP numbers written with separators: (415) 555-2671, 415-555-2671, +1 415.555.2671.
  pattern(
    'phone',
    TWO_DIGITS,
    /(?<![\w+.-])(\+?1[ .-]?)?(?:\((\d{3})\) ?|(\d{3})[ .-])(\d{3})[ .-](\d{4})(?![\w-]|\.\d)/g,
    (m) => (isNanp(`${m[2] ?? m[3]}${m[4]}${m[5]}`) ? [m.index, m.index + m[0].length] : undefined),
  ),
  // International numbers written with a leading `+` (E.164).
  pattern('phone', includes('+'), /(?<![\w+])\+[1-9][\d ().-]{6,22}\d/g, (m) => {
    const length = e164Length(m[0]);
    return length === 0 ? undefined : [m.index, m.index + length];
  }),
]);
