/**
 * File paths for `pathPrefix` conditions, read the way the operating system
 * will read them, and refused ("undecided") wherever the text alone cannot say
 * what the OS will open.
 *
 * - POSIX (the default `pathStyle`): `/` is the only separator. `\` is an
 *   ordinary character on Linux and macOS but a separator on Windows, so a
 *   path containing one is refused rather than guessed at.
 * - `..` is refused: the kernel resolves it after following symbolic links
 *   (`/data/link/..` is the parent of the link's target, not `/data`), so no
 *   string rule can place it. With a `resolvePath` hook the raw path goes to the
 *   hook (e.g. `fs.realpath`) and the real path it returns is compared.
 * - Also refused: relative paths (relative to an unknown working directory), NUL,
 *   percent-encoded `.` `/` `\` `%` NUL (a tool that decodes would see another
 *   path), paths over {@link MAX_PATH_LENGTH} characters.
 * - Empty and `.` segments and a trailing `/` are dropped (the OS ignores them).
 * - Matching is exact (case-sensitive, no Unicode normalisation) on POSIX and
 *   case-insensitive on Windows; a path that lies inside a prefix under one
 *   reading and outside under a looser one (case folded, NFKC, ignorable code
 *   points removed, as case-insensitive or normalising file systems such as
 *   APFS, HFS+ and NTFS may read it) is undecided.
 */

/** How path text is read: `posix` (Linux, macOS; the default) or `windows` (`C:\dir\file`). */
export type PathStyle = 'posix' | 'windows';

/** Longest path examined, in UTF-16 code units; a longer one is undecided (Linux PATH_MAX is 4096). */
export const MAX_PATH_LENGTH = 4096;

/** A path split into segments (the drive, upper-cased, is the first segment of a Windows path). */
export type PathParse =
  | { readonly ok: true; readonly segments: readonly string[] }
  | { readonly ok: false; readonly reason: string };

// Percent-encodings of `.`, `/`, `\`, `%` and NUL: a tool that URL-decodes its argument reads another path.
const ENCODED = /%(?:2e|2f|5c|25|00)/i;
const WINDOWS_DEVICE = /^(?:CON|PRN|AUX|NUL|CONIN\$|CONOUT\$|COM[0-9¹²³]|LPT[0-9¹²³])(?:\..*)?$/i;
// Characters the Win32 layer treats specially (wildcards, streams) or refuses.
const WINDOWS_SPECIAL = /[<>:"|?*]/;
/** Whether `text` holds a C0 control character (code point below U+0020) or DEL. */
export function hasControl(text: string): boolean {
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < 0x20 || c === 0x7f) return true;
  }
  return false;
}
// 8.3 short names (`PROGRA~1`) are a second spelling of a long name.
const WINDOWS_SHORT_NAME = /~[0-9]/;

const fail = (reason: string): PathParse => ({ ok: false, reason });

/** Common refusals for both styles; `undefined` when none applies. */
function refuse(path: string): string | undefined {
  if (path.length > MAX_PATH_LENGTH) return `path longer than ${MAX_PATH_LENGTH} characters`;
  if (path.includes('\0')) return 'path contains NUL';
  if (ENCODED.test(path)) return 'path contains a percent-encoded ".", "/", "\\", "%" or NUL';
  return undefined;
}

/**
 * Splits `path` into segments the way the OS reads it, or says why it cannot be decided from text alone.
 *
 * @param path - the path as the tool receives it.
 * @param style - `posix` or `windows`.
 * @param allowDotDot - keep `..` (only for text the caller will not compare, e.g. to hand to a resolver).
 */
export function parsePath(path: string, style: PathStyle, allowDotDot = false): PathParse {
  if (typeof path !== 'string') return fail('not a string');
  const refused = refuse(path);
  if (refused !== undefined) return fail(refused);
  let rest: string[];
  const segments: string[] = [];
  if (style === 'posix') {
    if (!path.startsWith('/')) return fail('not an absolute path');
    if (path.includes('\\')) return fail('path contains "\\" (a separator on Windows, a character on POSIX)');
    rest = path.split('/');
  } else {
    const drive = /^([A-Za-z]):[\\/]/.exec(path);
    if (drive === null) return fail('not an absolute Windows path (expected a drive, e.g. C:\\)');
    segments.push(`${(drive[1] as string).toUpperCase()}:`);
    rest = path.slice(3).split(/[\\/]/);
  }
  for (const segment of rest) {
    if (segment === '' || segment === '.') continue;
    if (segment === '..') {
      if (!allowDotDot) return fail('path contains ".." (resolved by the OS after symbolic links)');
      segments.push(segment);
      continue;
    }
    if (style === 'windows') {
      if (WINDOWS_SPECIAL.test(segment) || hasControl(segment))
        return fail('path segment contains a character special to Windows');
      if (/[. ]$/.test(segment)) return fail('path segment ends in "." or " " (Windows drops them)');
      if (WINDOWS_DEVICE.test(segment)) return fail('path segment is a Windows device name');
      if (WINDOWS_SHORT_NAME.test(segment)) return fail('path segment may be a Windows 8.3 short name');
    }
    segments.push(segment);
  }
  return { ok: true, segments };
}

/**
 * Normalises an absolute path for comparison, or returns `undefined` when its
 * text alone cannot say what the OS opens (see the module comment): relative,
 * NUL, `..`, `\` on POSIX, percent-encoded dots or separators, too long.
 *
 * @param path - the path.
 * @param style - `posix` (default) or `windows`.
 * @returns the path with empty and `.` segments and any trailing separator removed
 *   (`/` joined; a Windows path keeps its drive, e.g. `C:/dir`), or `undefined`.
 * @example
 * ```ts
 * normalizePath('/srv//data/./a.txt'); // '/srv/data/a.txt'
 * normalizePath('/srv/data/../etc');   // undefined: `..` is resolved by the OS after symbolic links
 * ```
 */
export function normalizePath(path: string, style: PathStyle = 'posix'): string | undefined {
  const parsed = parsePath(path, style);
  if (!parsed.ok) return undefined;
  return style === 'posix'
    ? `/${parsed.segments.join('/')}`
    : `${parsed.segments.join('/')}${parsed.segments.length === 1 ? '/' : ''}`;
}

/**
 * The looser reading of a segment that some file systems apply: NFKC, case
 * folded both ways, default-ignorable code points removed (HFS+ ignores some).
 */
export function looseSegment(segment: string): string {
  // Printable ASCII has no ignorable code points and no NFKC variants: case folding is all there is.
  if (/^[\u0020-\u007e]*$/.test(segment)) return segment.toLowerCase();
  return segment
    .replace(/\p{Default_Ignorable_Code_Point}/gu, '')
    .normalize('NFKC')
    .toUpperCase()
    .toLowerCase()
    .normalize('NFKC');
}

/** A compiled directory a path must lie inside. */
export interface PathPrefix {
  readonly exact: readonly string[];
  readonly loose: readonly string[];
}

/** Keys compared under the style's own rule: exact on POSIX, case-insensitive on Windows. */
function exactKeys(segments: readonly string[], style: PathStyle): string[] {
  return style === 'posix' ? [...segments] : segments.map((s) => s.toUpperCase());
}

/**
 * Compiles a prefix of a policy.
 *
 * @throws RangeError when `prefix` is not a path that {@link parsePath} accepts.
 */
export function compilePathPrefix(prefix: string, style: PathStyle): PathPrefix {
  const parsed = parsePath(prefix, style);
  if (!parsed.ok) throw new RangeError(`"pathPrefix" ${JSON.stringify(prefix)}: ${parsed.reason}`);
  return { exact: exactKeys(parsed.segments, style), loose: parsed.segments.map(looseSegment) };
}

function under(path: readonly string[], prefix: readonly string[]): boolean {
  if (path.length < prefix.length) return false;
  for (let i = 0; i < prefix.length; i++) if (path[i] !== prefix[i]) return false;
  return true;
}

/**
 * Whether the path `segments` lie inside one of `prefixes`: `true`, `false`, or
 * `undefined` when the exact and the loose readings disagree.
 */
export function insideAny(
  segments: readonly string[],
  prefixes: readonly PathPrefix[],
  style: PathStyle,
): boolean | undefined {
  const exact = exactKeys(segments, style);
  const loose = segments.map(looseSegment);
  const a = prefixes.some((p) => under(exact, p.exact));
  const b = prefixes.some((p) => under(loose, p.loose));
  return a === b ? a : undefined;
}

/** Whether normalised POSIX `path` is `prefix` or lies inside it (segment boundary, not string prefix). */
export function isUnder(path: string, prefix: string): boolean {
  if (prefix === '/') return true;
  return path === prefix || path.startsWith(`${prefix}/`);
}
