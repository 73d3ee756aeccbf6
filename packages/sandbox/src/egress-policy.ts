import { classifyIpAddress, formatIpAddress, type IpAddress, type IpClass, parseIpAddress } from '@agentguard/policy';
import { endsInNumber } from '@agentguard/policy/internal';

/** One allowed destination of a tool's egress. */
export interface EgressRule {
  /** A host name (`api.example.com`) or a one-level-or-deeper wildcard (`*.example.com`); lower-cased. */
  readonly host: string;
  /**
   * Ports the host may be reached on.
   * @default [443]
   */
  readonly ports?: readonly number[];
  /**
   * Headers the broker adds to every request to this host (credential injection), so tool code never
   * holds the secret. For HTTPS the broker terminates TLS to this host (with a certificate from its own
   * in-memory CA, which the sandboxed process trusts) and opens its own TLS connection to the server,
   * verified for the host name. Hosts without `inject` keep end-to-end TLS.
   * @default none
   */
  readonly inject?: Readonly<Record<string, string>>;
}

/** A tool's egress policy: deny by default, allow only these destinations. */
export interface EgressPolicy {
  /** @default [] (no egress at all) */
  readonly allow?: readonly EgressRule[];
  /**
   * RELAXED, for tests and local development only: exact addresses allowed although their range is
   * refused (e.g. `127.0.0.1` for a test server). Host rules still apply.
   * @default []
   */
  readonly unsafeAllowAddresses?: readonly string[];
}

/** Why a destination was refused; closed union written into audit records. */
export type EgressRefusal =
  | 'host-not-allowed'
  | 'port-not-allowed'
  | 'bad-host'
  | 'address-refused'
  | 'resolve-failed'
  | 'no-address';

/** The outcome of checking a host and port (before DNS). */
export type HostDecision =
  | { readonly allowed: true; readonly rule: NormalRule; readonly literal: string | undefined }
  | { readonly allowed: false; readonly reason: EgressRefusal; readonly detail: string };

/** The outcome of checking resolved addresses. */
export type AddressDecision =
  | { readonly allowed: true; readonly address: string }
  | { readonly allowed: false; readonly reason: EgressRefusal; readonly detail: string };

/** A rule after normalisation. */
export interface NormalRule {
  readonly host: string;
  readonly wildcard: boolean;
  /** For a wildcard: `.suffix`, precompiled for the hot path. */
  readonly suffix: string;
  readonly ports: ReadonlySet<number>;
  readonly inject: Readonly<Record<string, string>>;
}

/** A compiled, frozen egress policy with synchronous checks. */
export interface EgressChecker {
  /** Checks host (name or address literal, any notation) and port against the allowlist. */
  checkHost(host: string, port: number): HostDecision;
  /** Checks every resolved address; all must be reachable, the first is pinned. */
  checkAddresses(addresses: readonly string[]): AddressDecision;
}

const LABEL = /^(?!-)[a-z0-9-]{1,63}(?<!-)$/;

/** A DNS name: labels only, and not ending in a number (resolvers read such text as an IPv4 address). */
function isHostName(host: string): boolean {
  return host.length <= 253 && host.split('.').every((l) => LABEL.test(l)) && !endsInNumber(host);
}

/** An address literal in any notation, judged by the one shared classifier (`@agentguard/policy`). */
interface Literal {
  readonly ip: IpAddress;
  readonly range: IpClass;
}

function literal(text: string): Literal | undefined {
  const ip = parseIpAddress(text);
  return ip === undefined ? undefined : { ip, range: classifyIpAddress(ip) };
}

function isPort(p: unknown): p is number {
  return typeof p === 'number' && Number.isInteger(p) && p >= 1 && p <= 65535;
}

function normaliseRule(rule: EgressRule, i: number): NormalRule {
  if (typeof rule !== 'object' || rule === null || typeof rule.host !== 'string') {
    throw new TypeError(`"allow[${i}].host" expected a host name, got ${String(rule?.host)}`);
  }
  const raw = rule.host.toLowerCase();
  const wildcard = raw.startsWith('*.');
  const host = wildcard ? raw.slice(2) : raw;
  if (!isHostName(host) && literal(host) === undefined) {
    throw new TypeError(`"allow[${i}].host" expected a host name or *.suffix, got ${rule.host}`);
  }
  const ports = rule.ports ?? [443];
  if (!Array.isArray(ports) || ports.length === 0 || !ports.every(isPort)) {
    throw new RangeError(`"allow[${i}].ports" expected ports 1..65535, got ${String(ports)}`);
  }
  const inject: Record<string, string> = {};
  for (const [k, v] of Object.entries(rule.inject ?? {})) {
    if (!/^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/.test(k) || typeof v !== 'string' || /[\r\n\0]/.test(v)) {
      throw new TypeError(`"allow[${i}].inject" expected header names and single-line string values`);
    }
    inject[k.toLowerCase()] = v;
  }
  return Object.freeze({ host, wildcard, suffix: `.${host}`, ports: new Set(ports), inject: Object.freeze(inject) });
}

/**
 * The hosts and ports an egress policy allows, as a runner's mark carries them for a policy's `grants`
 * obligation: a wildcard as `*.suffix`, ports defaulted as the broker defaults them.
 * @throws TypeError / RangeError on a malformed policy (as {@link createEgressChecker}).
 */
export function egressHostsOf(policy: EgressPolicy = {}): { host: string; ports: number[] }[] {
  return (policy.allow ?? []).map(normaliseRule).map((r) => ({
    host: r.wildcard ? `*.${r.host}` : r.host,
    ports: [...r.ports],
  }));
}

/** A host name as the broker compares it: lower case, no trailing dot, no brackets. */
export function normaliseHost(host: string): string {
  const h = host.toLowerCase();
  return h.endsWith('.') ? h.slice(0, -1) : h;
}

/**
 * Compiles an {@link EgressPolicy} once into synchronous checks (the broker's hot path).
 *
 * @throws TypeError / RangeError on a malformed policy.
 * @example
 * ```ts
 * const checker = createEgressChecker({ allow: [{ host: 'api.example.com' }] });
 * checker.checkHost('api.example.com', 443).allowed; // true
 * checker.checkAddresses(['169.254.169.254']);        // { allowed: false, reason: 'address-refused', … }
 * ```
 */
export function createEgressChecker(policy: EgressPolicy = {}): EgressChecker {
  if (typeof policy !== 'object' || policy === null) throw new TypeError('"policy" expected an object');
  const rules = (policy.allow ?? []).map(normaliseRule);
  const exact = new Map<string, NormalRule>();
  for (const r of rules) if (!r.wildcard) exact.set(r.host, r);
  const wild = rules.filter((r) => r.wildcard);
  const unsafe = new Set<string>();
  for (const a of policy.unsafeAllowAddresses ?? []) {
    const ip = typeof a === 'string' ? parseIpAddress(a) : undefined;
    if (ip === undefined) throw new TypeError(`"unsafeAllowAddresses" expected IP addresses, got ${String(a)}`);
    unsafe.add(formatIpAddress(ip));
  }

  // Addresses are written out (RFC 5952, dotted decimal) only when compared, pinned or named in a refusal.
  function refused(c: Literal): boolean {
    return c.range !== 'public' && (unsafe.size === 0 || !unsafe.has(formatIpAddress(c.ip)));
  }
  const refusal = (c: Literal): { allowed: false; reason: EgressRefusal; detail: string } => ({
    allowed: false,
    reason: 'address-refused',
    detail: `${formatIpAddress(c.ip)} is ${c.range}`,
  });

  return Object.freeze({
    checkHost(rawHost: string, port: number): HostDecision {
      if (typeof rawHost !== 'string' || rawHost.length === 0 || rawHost.length > 255 || !isPort(port)) {
        return { allowed: false, reason: 'bad-host', detail: 'malformed host or port' };
      }
      const host = normaliseHost(rawHost.startsWith('[') ? rawHost.slice(1, -1) : rawHost);
      // Any address notation (including 0x7f.1, 2130706433) is judged as an address, never as a name.
      const lit = literal(host);
      if (lit === undefined && !isHostName(host)) {
        return { allowed: false, reason: 'bad-host', detail: `not a host name: ${JSON.stringify(host.slice(0, 64))}` };
      }
      if (lit !== undefined && refused(lit)) return refusal(lit);
      const key = lit === undefined ? host : formatIpAddress(lit.ip);
      let rule = exact.get(key);
      if (rule === undefined && lit === undefined) {
        for (const r of wild) {
          if (key.endsWith(r.suffix)) {
            rule = r;
            break;
          }
        }
      }
      if (rule === undefined) return { allowed: false, reason: 'host-not-allowed', detail: key };
      if (!rule.ports.has(port)) return { allowed: false, reason: 'port-not-allowed', detail: `${key}:${port}` };
      return { allowed: true, rule, literal: lit === undefined ? undefined : key };
    },
    checkAddresses(addresses: readonly string[]): AddressDecision {
      if (addresses.length === 0) return { allowed: false, reason: 'no-address', detail: 'no address' };
      let first: IpAddress | undefined;
      for (const a of addresses) {
        const c = typeof a === 'string' ? literal(a) : undefined;
        // One bad answer refuses the name: a rebinding attacker mixes a public and a private record.
        if (c === undefined) {
          return { allowed: false, reason: 'address-refused', detail: `${String(a).slice(0, 64)} is not an address` };
        }
        if (refused(c)) return refusal(c);
        first ??= c.ip;
      }
      return { allowed: true, address: formatIpAddress(first as IpAddress) };
    },
  });
}
