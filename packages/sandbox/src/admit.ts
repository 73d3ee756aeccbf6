import { lookup } from 'node:dns/promises';
import type { EgressChecker, EgressRefusal } from './egress-policy.js';

/** The outcome of admitting one connection: the address to pin it to, or why it is refused. */
export type Admission =
  | { readonly ok: true; readonly address: string; readonly inject: Readonly<Record<string, string>> }
  | { readonly ok: false; readonly reason: EgressRefusal; readonly detail: string };

/** Resolves a host name to addresses (all of them; every one is checked). */
export type Resolve = (host: string) => Promise<readonly string[]>;

/** `dns.promises.lookup(host, { all: true, verbatim: true })`, as addresses. */
export const defaultResolve: Resolve = async (host) =>
  (await lookup(host, { all: true, verbatim: true })).map((a) => a.address);

/**
 * The one admission path of the broker and the in-process guard: host and port against the allowlist,
 * then one resolution whose every answer is classified; the first answer is the address to pin to, so
 * there is no second lookup for DNS rebinding to slip into.
 */
export function createAdmit(checker: EgressChecker, resolve: Resolve) {
  return async (host: string, port: number): Promise<Admission> => {
    const d = checker.checkHost(host, port);
    if (!d.allowed) return { ok: false, reason: d.reason, detail: d.detail };
    let addresses: readonly string[];
    if (d.literal !== undefined) addresses = [d.literal];
    else {
      try {
        addresses = await resolve(host);
      } catch {
        return { ok: false, reason: 'resolve-failed', detail: host };
      }
    }
    const a = checker.checkAddresses(addresses);
    return a.allowed
      ? { ok: true, address: a.address, inject: d.rule.inject }
      : { ok: false, reason: a.reason, detail: a.detail };
  };
}
