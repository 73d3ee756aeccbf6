import { canonicalize, type JsonValue, randomBytes, toHex, utf8 } from '@agentguard/statement';
import { isSealedValue } from '../seal/sealed.js';
import { BUILTIN_DETECTORS, DETECTOR_KINDS, type Detector, type DetectorKind } from './detectors.js';
import { hmacSha256 } from './hmac.js';
import { type Cursor, escapeToken, parseFieldPath, step } from './paths.js';
import { createTextRedactor, REDACTION_MARKER, type TextHit, wellFormed } from './text.js';

/** Object keys whose values are always redacted, compared without case, `-`, `_` and `.`. */
export const SECRET_KEYS: readonly string[] = Object.freeze([
  'password',
  'passwd',
  'passphrase',
  'secret',
  'clientSecret',
  'apiKey',
  'apiSecret',
  'xApiKey',
  'accessToken',
  'refreshToken',
  'idToken',
  'authToken',
  'sessionToken',
  'bearerToken',
  'token',
  'authorization',
  'proxyAuthorization',
  'cookie',
  'setCookie',
  'privateKey',
  'secretKey',
  'secretAccessKey',
  'awsSecretAccessKey',
  'ssn',
  'cvv',
  'cvc',
]);

/** Options of {@link createRedactor}. */
export interface RedactorOptions {
  /**
   * HMAC-SHA256 key of the markers, log-local and kept as secret as the data: with it anyone can test guesses.
   * Keep it with the log to correlate markers across restarts. At least 16 bytes.
   * @default 32 random bytes (markers correlate within this redactor only)
   */
  readonly key?: Uint8Array;
  /**
   * Fields whose whole value is redacted, on every call: RFC 6901 pointers (`/card/number`) or dotted paths
   * (`to.*.email`, `*` any one key or index), from the root of the value passed to `redact`.
   * @default []
   */
  readonly fields?: readonly string[];
  /**
   * Object keys whose values (other than null and booleans) are always redacted, anywhere.
   * @default SECRET_KEYS
   */
  readonly keys?: readonly string[];
  /**
   * Detectors run on every string (and on integers of 13 or more digits): built-in names or your own.
   * @default every built-in detector (DETECTOR_KINDS)
   */
  readonly detectors?: readonly (DetectorKind | Detector)[];
  /**
   * Longest string scanned, in UTF-16 code units. A longer string is replaced whole by an `oversize` marker.
   * @default 65_536
   */
  readonly maxStringLength?: number;
  /**
   * Deepest nesting kept; a deeper array or object is replaced by a `too-deep` marker.
   * @default 64
   */
  readonly maxDepth?: number;
  /**
   * Detector kinds whose finds are sealed (kept, encrypted for their data subject) rather than marked, in calls
   * that ask for sealing ({@link RedactOptions.seal}). Other kinds (secrets) are always marked one way.
   * @default SEALED_KINDS
   */
  readonly sealKinds?: readonly string[];
}

/** Personal-data detector kinds sealed by default: their values are kept until the subject is erased. */
export const SEALED_KINDS: readonly string[] = Object.freeze(['email', 'phone', 'iban', 'us-ssn']);

/** Options of one {@link Redactor.redact} call. */
export interface RedactOptions {
  /** More fields to redact in this value only, e.g. a policy decision's `obligations.redact`. @default [] */
  readonly fields?: readonly string[];
  /**
   * Seal rather than mark: strings where a `sealKinds` detector finds something, and the values of `fields`
   * whole, are listed in {@link Redaction.toSeal} (their markers stay in `value` until they are sealed).
   * Secret keys and the redaction `fields` still win: what they name is marked one way.
   * @default no sealing
   */
  readonly seal?: { readonly fields?: readonly string[] };
}

/**
 * A value to seal: where its placeholder marker sits (an RFC 6901 pointer into the redacted value), what it
 * is (`field` or a detector kind), and its plaintext: canonical JSON of the value, secrets in it already marked.
 */
export interface SealRequest {
  readonly path: string;
  readonly kind: string;
  readonly text: string;
}

/** One thing redacted: what it was, where (an RFC 6901 pointer into the redacted value), and its marker. */
export interface Finding {
  readonly kind: string;
  readonly path: string;
  readonly marker: string;
}

/** A redacted value: plain JSON, safe to write, and what was taken out. */
export interface Redaction {
  readonly value: JsonValue;
  readonly findings: readonly Finding[];
  /** What to seal, when the call asked for sealing (see `createSealer`); in memory only, never written. */
  readonly toSeal?: readonly SealRequest[];
}

/** Redacts values before they are written (see {@link createRedactor}). */
export interface Redactor {
  /**
   * A redacted, plain-JSON copy of `value`; never throws on odd input (cycles, class instances,
   * functions, lone surrogates, getters that throw become markers).
   */
  redact(value: unknown, options?: RedactOptions): Redaction;
}

const normalise = (key: string) => key.toLowerCase().replace(/[-_. ]/g, '');

/**
 * Creates a redactor: secrets and personal data found by detectors inside strings are replaced span by span, and
 * the values of named fields and secret-looking keys whole, by typed markers
 * `[REDACTED:<kind>:hmac-sha256:<first 16 hex of HMAC-SHA256(key, text)>]`, so equal values still correlate.
 *
 * @param options - see {@link RedactorOptions}.
 * @returns a frozen {@link Redactor}.
 * @throws TypeError or RangeError on bad options.
 * @example
 * ```ts
 * const redactor = createRedactor({ key: logLocalKey });
 * const { value } = redactor.redact({ to: 'ada@example.com', note: 'key sk-proj-…' }, { fields: ['/note'] });
 * // { to: '[REDACTED:email:hmac-sha256:3c1f…]', note: '[REDACTED:field:hmac-sha256:9a0e…]' }
 * ```
 */
export function createRedactor(options: RedactorOptions = {}): Redactor {
  if (typeof options !== 'object' || options === null) throw new TypeError('"options" expected an object');
  const key = options.key ?? randomBytes(32);
  if (!(key instanceof Uint8Array)) throw new TypeError('"key" expected a Uint8Array');
  if (key.length < 16) throw new RangeError(`"key" expected at least 16 bytes, got ${key.length}`);
  const tag = hmacSha256(key.slice());
  const maxStringLength = bounded(options.maxStringLength, 'maxStringLength', 65_536, 1, 2 ** 30);
  const maxDepth = bounded(options.maxDepth, 'maxDepth', 64, 1, 1000);
  const detectors = (options.detectors ?? DETECTOR_KINDS).map(toDetector);
  const keys = new Set((options.keys ?? SECRET_KEYS).map((k) => normalise(checkString(k, 'keys'))));
  const always: Cursor[] = (options.fields ?? []).map((f) => [parseFieldPath(f), 0] as const);
  const perCall = new WeakMap<readonly string[], readonly Cursor[]>();

  const mark = (kind: string, text?: string) =>
    text === undefined ? `[REDACTED:${kind}]` : `[REDACTED:${kind}:hmac-sha256:${toHex(tag(utf8(text))).slice(0, 16)}]`;
  const redactText = createTextRedactor(detectors, mark);
  const sealKinds = new Set((options.sealKinds ?? SEALED_KINDS).map((k) => checkString(k, 'sealKinds')));
  // The plaintext of a sealed value has its secrets marked all the same: only personal data is kept.
  const redactSecrets = createTextRedactor(
    detectors.filter((d) => !sealKinds.has(d.kind)),
    mark,
  );
  // A value sealed whole keeps its personal data for the authorised reader, never its secrets: inside an object,
  // a field whose name is a secret key (`cvv`, `cookie`, `authorization`, …) is marked one way as the walk marks it,
  // and every string and key goes through the secret detectors.
  const scrub = (node: unknown, depth: number): JsonValue => {
    if (depth > maxDepth) throw new RangeError('too deep');
    if (typeof node === 'string') return redactSecrets(wellFormed(node)).text;
    if (typeof node !== 'object' || node === null) return node as JsonValue;
    if (Array.isArray(node)) return node.map((v) => scrub(v, depth + 1));
    const out: Record<string, JsonValue> = {};
    for (const name of Object.keys(node)) {
      const item = (node as Record<string, unknown>)[name];
      if (item === undefined) continue;
      const key = redactSecrets(wellFormed(name)).text;
      const value =
        item !== null && typeof item !== 'boolean' && isSecretKey(name)
          ? mark('secret-field', typeof item === 'string' ? wellFormed(item) : canonicalize(item, { maxDepth }))
          : scrub(item, depth + 1);
      Object.defineProperty(out, key, { value, enumerable: true, writable: true, configurable: true });
    }
    return out;
  };
  const sealText = (node: unknown): string | undefined => {
    try {
      if (typeof node === 'string') return canonicalize(redactSecrets(wellFormed(node)).text);
      return canonicalize(scrub(node, 0), { maxDepth });
    } catch {
      return undefined;
    }
  };

  // The same object keys come back call after call (one tool, one schema): remember the keys that held nothing
  // to redact and whether each names a secret. Only clean keys are kept, and at most 4096 of them.
  const cleanKeys = new Map<string, boolean>();
  function redactKey(name: string): { text: string; hits: readonly TextHit[] } {
    if (cleanKeys.has(name)) return { text: name, hits: [] };
    const out = redactText(wellFormed(name));
    if (out.hits.length === 0 && out.text === name && cleanKeys.size < 4096) {
      cleanKeys.set(name, keys.has(normalise(name)));
    }
    return out;
  }
  const isSecretKey = (name: string) => cleanKeys.get(name) ?? keys.has(normalise(name));

  function cursorsFor(fields: readonly string[] | undefined, base: readonly Cursor[] = always): readonly Cursor[] {
    if (fields === undefined || fields.length === 0) return base;
    if (!Array.isArray(fields)) throw new TypeError('"fields" expected an array of strings');
    let compiled = (base === always ? perCall : perSeal).get(fields);
    if (compiled === undefined) {
      compiled = [...base, ...fields.map((f) => [parseFieldPath(f), 0] as const)];
      (base === always ? perCall : perSeal).set(fields, compiled);
    }
    return compiled;
  }
  const perSeal = new WeakMap<readonly string[], readonly Cursor[]>();

  function redact(input: unknown, callOptions: RedactOptions = {}): Redaction {
    const cursors = cursorsFor(callOptions?.fields);
    const sealing = callOptions?.seal !== undefined && callOptions.seal !== null;
    const sealCursors = sealing ? cursorsFor(callOptions.seal?.fields, []) : [];
    const toSeal: SealRequest[] = [];
    const findings: Finding[] = [];
    const ancestors = new Set<object>();
    const note = (kind: string, path: string, text?: string): string => {
      const marker = mark(kind, text);
      findings.push({ kind, path, marker });
      return marker;
    };

    /** The whole value, as a field: strings by their text (to match detector markers), the rest by canonical JSON. */
    function whole(kind: string, node: unknown, path: string): string {
      // Already a marker (a value redacted before): kept, so that redacting twice changes nothing.
      if (typeof node === 'string' && REDACTION_MARKER.test(node)) return node;
      if (typeof node === 'string') return note(kind, path, wellFormed(node));
      try {
        return note(kind, path, canonicalize(node, { maxDepth }));
      } catch {
        return note(kind, path);
      }
    }

    function text(input: string, path: string): string {
      if (input.length > maxStringLength) return note('oversize', path, wellFormed(input));
      const out = redactText(wellFormed(input));
      for (const hit of out.hits) findings.push({ kind: hit.kind, path, marker: hit.marker });
      if (sealing) {
        const personal = out.hits.find((h) => sealKinds.has(h.kind));
        const plain = personal === undefined ? undefined : sealText(input);
        if (personal !== undefined && plain !== undefined) toSeal.push({ path, kind: personal.kind, text: plain });
      }
      return out.text;
    }

    /** A field named for sealing: marked one way here, and listed to be sealed in place of its marker. */
    function sealed(node: unknown, path: string): string {
      const marker = whole('field', node, path);
      const plain = sealText(node);
      if (plain !== undefined) toSeal.push({ path, kind: 'field', text: plain });
      return marker;
    }

    function walk(
      node: unknown,
      path: string,
      depth: number,
      active: readonly Cursor[],
      sealActive: readonly Cursor[],
    ): JsonValue {
      switch (typeof node) {
        case 'string':
          return text(node, path);
        case 'boolean':
          return node;
        case 'number': {
          if (!Number.isFinite(node)) return note('unsupported', path);
          // Card numbers passed as numbers: 13+ digit integers are scanned as text.
          if (!Number.isInteger(node) || Math.abs(node) < 1e12) return node;
          const digits = String(node);
          const hits = redactText(digits).hits;
          return hits.length === 0 ? node : note((hits[0] as { kind: string }).kind, path, digits);
        }
        case 'object':
          if (node === null) return null;
          break;
        default:
          return note('unsupported', path);
      }
      if (ancestors.has(node)) return note('cycle', path);
      if (depth >= maxDepth) return note('too-deep', path);
      ancestors.add(node);
      try {
        if (Array.isArray(node)) {
          const out: JsonValue[] = [];
          for (let i = 0; i < node.length; i++) {
            const child = `${path}/${i}`;
            const { next, hit } = step(active, String(i));
            const seal = step(sealActive, String(i));
            if (!(i in node)) out.push(note('unsupported', child));
            else if (hit) out.push(whole('field', node[i], child));
            else if (seal.hit) out.push(sealed(node[i], child));
            else out.push(walk(node[i], child, depth + 1, next, seal.next));
          }
          return out;
        }
        // Args shaped like a sealed value were not sealed by this guard: recorded as they are, a reader of the
        // log could take them for a subject's data (or a copy of another record's). Marked, on every path.
        if (isSealedValue(node)) return note('unsupported', path);
        const proto = Object.getPrototypeOf(node) as unknown;
        if ((proto !== Object.prototype && proto !== null) || Object.getOwnPropertySymbols(node).length > 0) {
          return note('unsupported', path);
        }
        const out: Record<string, JsonValue> = {};
        for (const name of Object.keys(node)) {
          const item = (node as Record<string, unknown>)[name];
          if (item === undefined) continue; // as JSON: an undefined property is absent
          const label = name === '__proto__' ? mark('unsupported') : redactKey(name);
          const outName = typeof label === 'string' ? label : label.text;
          const child = `${path}/${escapeToken(outName)}`;
          if (typeof label === 'string') findings.push({ kind: 'unsupported', path: child, marker: label });
          else for (const h of label.hits) findings.push({ kind: h.kind, path: child, marker: h.marker });
          const { next, hit } = step(active, name);
          const seal = step(sealActive, name);
          const secret = item !== null && typeof item !== 'boolean' && isSecretKey(name);
          out[outName] = hit
            ? whole('field', item, child)
            : secret
              ? whole('secret-field', item, child)
              : seal.hit
                ? sealed(item, child)
                : walk(item, child, depth + 1, next, seal.next);
        }
        return out;
      } catch {
        // A getter or proxy trap that throws: the node becomes a marker rather than an exception.
        return note('unsupported', path);
      } finally {
        ancestors.delete(node);
      }
    }

    try {
      // The empty pointer names the whole value.
      const value = cursors.some(([p]) => p.length === 0)
        ? whole('field', input, '')
        : sealCursors.some(([p]) => p.length === 0)
          ? sealed(input, '')
          : walk(input, '', 0, cursors, sealCursors);
      return Object.freeze({
        value,
        findings: Object.freeze(findings),
        ...(sealing ? { toSeal: Object.freeze(toSeal) } : {}),
      });
    } catch {
      // Not reached by design (walk catches per node); if it ever is, nothing of the input gets through.
      const marker = mark('error');
      return Object.freeze({ value: marker, findings: Object.freeze([{ kind: 'error', path: '', marker }]) });
    }
  }

  return Object.freeze({ redact });
}

function toDetector(entry: DetectorKind | Detector): Detector {
  if (typeof entry === 'string') {
    const found = BUILTIN_DETECTORS.filter((d) => d.kind === entry);
    if (found.length === 0)
      throw new RangeError(`"detectors" expected one of ${DETECTOR_KINDS.join(', ')}, got "${entry}"`);
    return found.length === 1
      ? (found[0] as Detector)
      : {
          kind: entry,
          *find(t) {
            for (const d of found) yield* d.find(t);
          },
        };
  }
  if (typeof entry?.find !== 'function' || typeof entry.kind !== 'string' || !/^[a-z0-9-]{1,40}$/.test(entry.kind)) {
    throw new TypeError('"detectors" expected built-in names or { kind: /[a-z0-9-]{1,40}/, find(text) }');
  }
  return entry;
}

function checkString(value: unknown, name: string): string {
  if (typeof value !== 'string') throw new TypeError(`"${name}" expected strings, got ${typeof value}`);
  return value;
}

function bounded(value: unknown, name: string, fallback: number, min: number, max: number): number {
  const n = value ?? fallback;
  if (typeof n !== 'number' || !Number.isInteger(n) || n < min || n > max) {
    throw new RangeError(`"${name}" expected an integer from ${min} to ${max}, got ${String(value)}`);
  }
  return n;
}
