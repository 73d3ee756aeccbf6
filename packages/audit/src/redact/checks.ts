/**
 * Checks that turn a pattern's candidate into a finding: checksums (Luhn,
 * ISO 13616 mod 97), number-range rules (SSA), structural rules (JWT header,
 * DNS labels). They keep near-misses out: a random 16-digit number, an email
 * without a TLD, a base64 blob that is not a JWT. Internal to the redactor.
 */

/** Luhn (ISO/IEC 7812-1 Annex B) over a string of ASCII digits. */
export function luhn(digits: string): boolean {
  let sum = 0;
  let double = false;
  for (let i = digits.length - 1; i >= 0; i--) {
    let d = digits.charCodeAt(i) - 48;
    if (double) {
      d *= 2;
      if (d > 9) d -= 9;
    }
    sum += d;
    double = !double;
  }
  return sum % 10 === 0;
}

/**
 * A payment card number: 13–19 digits, an issuer prefix and length of the major networks (see `issued`:
 * Mir, Mastercard, Amex, Diners, JCB, Visa, Maestro, Discover, UnionPay), the Luhn check digit, and, when it
 * has separators (one kind), a layout cards are printed in: groups of four with a shorter last one (4-4-4-4, 4-4-4-4-3, 4-4-4-1),
 * 4-6-5 (Amex), 4-6-4 (Diners) or 4-3-3-3 (13-digit Visa). Digits grouped any other way are an identifier
 * (`…-4626-8870-2268…` of a UUID), not a card.
 */
export function isCardNumber(text: string): boolean {
  // One pass, no allocation: this runs on every digit group of a long run of numbers.
  let separator = -1;
  let count = 0;
  let sum = 0;
  let same = true;
  // Group lengths, read from the right and packed 5 bits each: the first (leftmost) group ends in the lowest bits.
  let groups = 0;
  let groupCount = 0;
  let run = 0;
  const first = text.charCodeAt(0);
  for (let i = text.length - 1; i >= 0; i--) {
    const c = text.charCodeAt(i);
    if (c < 48 || c > 57) {
      if (separator !== -1 && c !== separator) return false;
      separator = c;
      if (groupCount === 6) return false;
      groups = groups * 32 + run;
      groupCount++;
      run = 0;
      continue;
    }
    let d = c - 48;
    // Luhn: every second digit from the right is doubled.
    if (count % 2 === 1) {
      d *= 2;
      if (d > 9) d -= 9;
    }
    sum += d;
    count++;
    run++;
    if (c !== first) same = false;
  }
  // All one digit passes Luhn for some lengths and is a placeholder, not a card.
  if (count < 13 || count > 19 || first < 50 || first > 54 || same || sum % 10 !== 0) return false;
  if (!issued(text, count)) return false;
  return separator === -1 || printedLayout(groups * 32 + run, groupCount + 1);
}

/**
 * Whether a number of `count` digits starting as `text` does (its first four characters are digits: every
 * printed layout starts with a group of four) is in a range the networks issue at that length. Tight where a
 * range is narrow: 2 is only Mir (2200-2204) and Mastercard (2221-2720, 16 digits); 3 only Amex (34, 37: 15),
 * Diners (30, 36, 38, 39: 14-19) and JCB (3528-3589: 16-19). 4, 5 and 6 (Visa, Mastercard, Maestro, Discover,
 * UnionPay, RuPay) take 13-19. A timestamp such as 20261019222524 or an IBAN's digits are thus no card.
 */
function issued(text: string, count: number): boolean {
  const iin = Number(text.slice(0, 4));
  switch (text.charCodeAt(0)) {
    case 50:
      return (iin >= 2200 && iin <= 2204 && count >= 16) || (iin >= 2221 && iin <= 2720 && count === 16);
    case 51: {
      const two = Math.floor(iin / 100);
      if (two === 34 || two === 37) return count === 15;
      if (two === 30 || two === 36 || two === 38 || two === 39) return count >= 14;
      return iin >= 3528 && iin <= 3589 && count >= 16;
    }
    default:
      return true;
  }
}

/** Whether group lengths (packed by isCardNumber, first group in the lowest bits) are a printed card layout. */
function printedLayout(packed: number, count: number): boolean {
  const lengths: number[] = [];
  for (let i = 0, p = packed; i < count; i++, p = Math.floor(p / 32)) lengths.push(p % 32);
  const layout = lengths.join('-');
  if (layout === '4-6-5' || layout === '4-6-4' || layout === '4-3-3-3') return true;
  // Fours, then a last group of one to four.
  const last = lengths[lengths.length - 1] as number;
  return count >= 2 && last >= 1 && last <= 4 && lengths.slice(0, -1).every((n) => n === 4);
}

/** IBAN length per country (ISO 13616 registry, SWIFT release of 2024). */
const IBAN_LENGTHS: Readonly<Record<string, number>> = {
  AD: 24,
  AE: 23,
  AL: 28,
  AT: 20,
  AZ: 28,
  BA: 20,
  BE: 16,
  BG: 22,
  BH: 22,
  BI: 27,
  BR: 29,
  BY: 28,
  CH: 21,
  CR: 22,
  CY: 28,
  CZ: 24,
  DE: 22,
  DJ: 27,
  DK: 18,
  DO: 28,
  EE: 20,
  EG: 29,
  ES: 24,
  FI: 18,
  FK: 18,
  FO: 18,
  FR: 27,
  GB: 22,
  GE: 22,
  GI: 23,
  GL: 18,
  GR: 27,
  GT: 28,
  HR: 21,
  HU: 28,
  IE: 22,
  IL: 23,
  IQ: 23,
  IS: 26,
  IT: 27,
  JO: 30,
  KW: 30,
  KZ: 20,
  LB: 28,
  LC: 32,
  LI: 21,
  LT: 20,
  LU: 20,
  LV: 21,
  LY: 25,
  MC: 27,
  MD: 24,
  ME: 22,
  MK: 19,
  MN: 20,
  MR: 27,
  MT: 31,
  MU: 30,
  NI: 28,
  NL: 18,
  NO: 15,
  OM: 23,
  PK: 24,
  PL: 28,
  PS: 29,
  PT: 25,
  QA: 29,
  RO: 24,
  RS: 22,
  RU: 33,
  SA: 24,
  SC: 31,
  SD: 18,
  SE: 24,
  SI: 19,
  SK: 24,
  SM: 27,
  SO: 23,
  ST: 25,
  SV: 28,
  TL: 23,
  TN: 24,
  TR: 26,
  UA: 29,
  VA: 22,
  VG: 24,
  XK: 20,
  YE: 30,
};

/**
 * An IBAN (ISO 13616): country code, two check digits, BBAN; the length the
 * registry gives for the country (any of 15–34 for a country not listed, so a
 * new one is still caught), and the mod-97 check (ISO 7064) equal to 1.
 */
export function isIban(text: string): boolean {
  const iban = text.replace(/ /g, '');
  if (!/^[A-Z]{2}\d{2}[A-Z0-9]{11,30}$/.test(iban)) return false;
  const expected = IBAN_LENGTHS[iban.slice(0, 2)];
  if (expected !== undefined ? iban.length !== expected : iban.length < 15 || iban.length > 34) return false;
  const moved = iban.slice(4) + iban.slice(0, 4);
  let rest = 0;
  for (let i = 0; i < moved.length; i++) {
    const c = moved.charCodeAt(i);
    // Letters count as two digits, A = 10 … Z = 35.
    const value = c >= 65 ? c - 55 : c - 48;
    rest = value >= 10 ? (rest * 100 + value) % 97 : (rest * 10 + value) % 97;
  }
  return rest === 1;
}

/**
 * A US Social Security number `AAA-GG-SSSS` that the SSA could issue: area not
 * 000, 666 or 900–999; group not 00; serial not 0000 (SSA, "Social Security
 * Number Randomization", 2011).
 */
export function isSsn(area: string, group: string, serial: string): boolean {
  const a = Number(area);
  return a !== 0 && a !== 666 && a < 900 && group !== '00' && serial !== '0000';
}

/** The first segment of a JWS/JWT decodes to a JSON object naming its `alg` (RFC 7515 §4.1.1). */
export function isJoseHeader(segment: string): boolean {
  try {
    const base64 = segment.replace(/-/g, '+').replace(/_/g, '/');
    const header = JSON.parse(atob(base64 + '='.repeat((4 - (base64.length % 4)) % 4))) as unknown;
    return typeof header === 'object' && header !== null && typeof (header as { alg?: unknown }).alg === 'string';
  } catch {
    return false;
  }
}

/** Base64 of `user:password` (RFC 7617 §2). */
export function isBasicCredentials(token: string): boolean {
  try {
    const text = atob(token);
    if (!text.includes(':')) return false;
    // Credentials are text: random base64 decodes to control bytes.
    for (let i = 0; i < text.length; i++) if (text.charCodeAt(i) < 0x20) return false;
    return true;
  } catch {
    return false;
  }
}

/** File extensions that look like a TLD after `name@2x.`: not delegated TLDs, so never an email. */
const FILE_EXTENSIONS = new Set(
  'png jpg jpeg gif svg webp ico bmp tif tiff avif heic js mjs cjs ts tsx jsx css scss json yaml yml txt html htm lock toml'.split(
    ' ',
  ),
);
const LABEL = /^[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?$/;
const TLD = /^(?:[A-Za-z]{2,24}|xn--[A-Za-z0-9-]{1,59})$/;

/**
 * The longest prefix of the dot-separated `domain` that is a DNS host name with
 * an alphabetic TLD (RFC 1035 §2.3.1 labels), as a length; 0 when none is.
 */
export function emailDomainLength(domain: string): number {
  const labels = domain.split('.');
  while (labels.length >= 2) {
    const tld = labels[labels.length - 1] as string;
    if (TLD.test(tld) && !FILE_EXTENSIONS.has(tld.toLowerCase()) && labels.every((l) => LABEL.test(l))) {
      return labels.join('.').length;
    }
    labels.pop();
  }
  return 0;
}

/**
 * A North American (NANP) number: area code and exchange start with 2–9
 * (ATIS-0300051 §2); `digits` holds the ten digits without the country code.
 */
export function isNanp(digits: string): boolean {
  return digits.length === 10 && /^[2-9]\d\d[2-9]\d{6}$/.test(digits);
}

/**
 * An international number written with `+` (ITU-T E.164: at most 15 digits):
 * 8–15 digits, single separators, at most one pair of parentheses. Returns the
 * length of the longest prefix of `text` that is one (cut at a separator), or 0.
 */
export function e164Length(text: string): number {
  let candidate = text;
  while (candidate.length > 0) {
    const digits = candidate.replace(/\D/g, '').length;
    if (digits <= 15) {
      const parens = candidate.replace(/[^()]/g, '');
      const ok =
        digits >= 8 &&
        (parens === '' || parens === '()') &&
        !/[ .-]{2}|\(\)|[ .-]\)|\([ .-]/.test(candidate) &&
        /\d$/.test(candidate);
      return ok ? candidate.length : 0;
    }
    // Too many digits: two numbers run together; keep the first (cut at the last separator).
    const cut = candidate.search(/[ .()-][^ .()-]*$/);
    if (cut <= 0) return 0;
    candidate = candidate.slice(0, cut).replace(/[ .(-]+$/, '');
  }
  return 0;
}
