/**
 * Strict reading of a URL's host for `urlHost` and `urlIp` conditions.
 *
 * URL parsers disagree about authorities: WHATWG reads
 * `http://api.example.com\@evil.com/` as host `api.example.com` while an
 * RFC 3986 parser reads `evil.com`; `http:/evil.com`, tabs inside the host,
 * percent-encoded hosts and IPv4 written as `0x7f.1` are all rewritten by one
 * parser and not by another. So a URL is only *decided* when its authority, as
 * written, is exactly what WHATWG reads (up to ASCII case and a default port):
 * an `http`, `https`, `ws`, `wss` or `ftp` URL written `scheme://host[:port]`
 * followed by `/`, `?`, `#` or the end, with no userinfo (`@`), no `\`, no `%`,
 * nothing outside printable ASCII, and no leading or trailing space. Every
 * other URL is undecided: an `allow` rule does not apply, a `deny` rule does.
 */

import { hasControl } from './path.js';

/** Longest URL examined; a longer one is undecided. */
export const MAX_URL_LENGTH = 8192;

const DEFAULT_PORTS: Readonly<Record<string, string>> = { http: '80', https: '443', ws: '80', wss: '443', ftp: '21' };
const PREFIX = /^([A-Za-z][A-Za-z0-9+.-]*):\/\/([^/?#]*)/;

/** A URL's host as written and as WHATWG reads it. */
export type UrlHost =
  | {
      readonly ok: true;
      /** The host as WHATWG serialises it (lower-case; IPv6 in brackets; IPv4 dotted-decimal). */
      readonly host: string;
    }
  | { readonly ok: false; readonly reason: string };

/**
 * Reads the host of `text`, or says why it is ambiguous (see the module comment).
 *
 * @param text - the URL as the tool receives it.
 */
export function readUrlHost(text: string): UrlHost {
  if (typeof text !== 'string') return { ok: false, reason: 'not a string' };
  if (text.length > MAX_URL_LENGTH) return { ok: false, reason: `URL longer than ${MAX_URL_LENGTH} characters` };
  // WHATWG strips leading/trailing C0 controls and spaces and removes tabs and newlines anywhere.
  if (hasControl(text) || text.includes(' ')) return { ok: false, reason: 'URL contains a space or control character' };
  const m = PREFIX.exec(text);
  if (m === null) return { ok: false, reason: 'not an absolute URL written scheme://host' };
  const scheme = (m[1] as string).toLowerCase();
  const authority = m[2] as string;
  const defaultPort = DEFAULT_PORTS[scheme];
  if (defaultPort === undefined) return { ok: false, reason: `scheme "${scheme}" is not http, https, ws, wss or ftp` };
  if (/[^\u0021-\u007e]/.test(authority)) return { ok: false, reason: 'URL host is not printable ASCII' };
  if (/[@\\%]/.test(authority)) return { ok: false, reason: 'URL authority holds "@", "\\" or "%"' };
  let parsed: URL;
  try {
    parsed = new URL(text);
  } catch {
    return { ok: false, reason: 'not a URL' };
  }
  if (parsed.protocol !== `${scheme}:` || parsed.username !== '' || parsed.password !== '') {
    return { ok: false, reason: 'URL authority is read differently by URL parsers' };
  }
  // Split the written authority into host and port ("[v6]:port" or "name:port").
  const portAt = authority.startsWith('[') ? authority.indexOf(']:') + 1 : authority.lastIndexOf(':');
  const hostText = portAt > 0 ? authority.slice(0, portAt) : authority;
  const portText = portAt > 0 ? authority.slice(portAt + 1) : undefined;
  if (hostText.toLowerCase() !== parsed.hostname.toLowerCase() || parsed.hostname === '') {
    return { ok: false, reason: 'URL host is not written the way URL parsers read it' };
  }
  const port = parsed.port === '' ? defaultPort : parsed.port;
  if (portText !== undefined && portText !== port) {
    return { ok: false, reason: 'URL port is not written the way URL parsers read it' };
  }
  return { ok: true, host: parsed.hostname.toLowerCase() };
}
