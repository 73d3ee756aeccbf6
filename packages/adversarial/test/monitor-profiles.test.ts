/**
 * Invariant: a monitor profile is used only as exactly the content a trusted operator key signed: a signed profile
 * that is malformed, changed, unsigned, signed by another key, or carries content the signature does not cover is
 * refused with a typed `ERR_MONITOR_*` result (never thrown, never hung on); an update is accepted only when it
 * verifies, names the profile in force as `previous` and drifts no further than the bound, and what is accepted is
 * the verified document itself, never the caller's object.
 */
import { createIdentity } from '@agentguard/identity';
import {
  acceptProfileUpdate,
  learnProfile,
  MONITOR_ERROR_CODES,
  type MonitorSession,
  type ProfileCheck,
  profileDrift,
  type SignedProfile,
  signProfile,
  verifySignedProfile,
} from '@agentguard/monitor';
import { canonicalize, sha256Hex, utf8 } from '@agentguard/statement';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { fuzzParams } from './fuzz.js';

const operator = createIdentity({ name: 'operator' });
const stranger = createIdentity({ name: 'stranger' });
const trust = [operator.id];
const codes = new Set<string>(MONITOR_ERROR_CODES);
const session = (id: string, tools: string[]): MonitorSession => ({
  id,
  agent: 'a',
  calls: tools.map((tool) => ({
    tool,
    args: { to: `${tool}@x.example.com` },
    sideEffect: tool === 'send',
    result: null,
  })),
});
const base = learnProfile([session('1', ['read', 'send']), session('2', ['read']), session('3', ['read', 'list'])]);
const signed = await signProfile(base, operator);
const text = JSON.stringify(signed);
const hashOf = (value: unknown) => `sha256:${sha256Hex(utf8(canonicalize(value)))}`;

function check(value: unknown): ProfileCheck {
  let result: ProfileCheck | undefined;
  expect(() => {
    result = verifySignedProfile(value, trust);
  }).not.toThrow();
  return result as ProfileCheck;
}
function refused(result: ProfileCheck, code?: string): void {
  expect(result.ok).toBe(false);
  if (result.ok) return;
  expect(codes.has(result.code)).toBe(true);
  if (code !== undefined) expect(result.code).toBe(code);
}
/** A used profile is exactly what was signed: it hashes to the signed hash. */
function usedAsSigned(result: ProfileCheck): void {
  if (!result.ok) return;
  expect(hashOf(result.profile)).toBe(result.hash);
}

describe('signed profiles: what is refused', () => {
  it('the untouched profile verifies as signed', () => {
    const result = check(JSON.parse(text));
    expect(result).toMatchObject({ ok: true, hash: signed.hash, signer: operator.id });
    usedAsSigned(result);
  });

  it.each<[string, unknown]>([
    ['null', null],
    ['a string', text],
    ['a number', 1],
    ['an array', [JSON.parse(text)]],
    ['a BigInt', 1n],
    ['a function', () => signed],
    [
      'a cycle',
      (() => {
        const o: Record<string, unknown> = JSON.parse(text);
        o.profile = o;
        return o;
      })(),
    ],
    ['a deep value', JSON.parse(`${'{"a":'.repeat(5_000)}1${'}'.repeat(5_000)}`)],
    ['a __proto__ member', JSON.parse(text.replace('{', '{"__proto__":{"ok":true},'))],
    ['a constructor member', JSON.parse(text.replace('{', '{"constructor":{},'))],
    ['no sig', { ...JSON.parse(text), sig: undefined }],
    ['a sig that is not base64', { ...JSON.parse(text), sig: '%%%' }],
    ['a non-canonical sig', { ...JSON.parse(text), sig: `${signed.sig.slice(0, -3)}B==` }],
    ['a huge sig', { ...JSON.parse(text), sig: 'A'.repeat(1_000_000) }],
    ['a signer that is not a did:key', { ...JSON.parse(text), signer: 'did:web:example.com' }],
    ['another version', { ...JSON.parse(text), version: 2 }],
    ['a negative count', JSON.parse(text.replace('"sessions":3', '"sessions":-3'))],
    ['a fractional count', JSON.parse(text.replace('"sessions":3', '"sessions":3.5'))],
    ['an unsafe count', JSON.parse(text.replace('"sessions":3', '"sessions":9007199254740993'))],
    ['a string count', JSON.parse(text.replace('"sessions":3', '"sessions":"3"'))],
  ])('refuses %s with a code', (_label, value) => {
    refused(check(value));
  });

  it('refuses a changed profile, hash, previous or signer, and a key it does not trust', async () => {
    const changed = JSON.parse(text) as SignedProfile;
    (changed.profile.agents.a as { calls: number }).calls += 1;
    refused(check(changed), 'ERR_MONITOR_PROFILE_HASH_MISMATCH');
    const rehashed = { ...changed, hash: hashOf(changed.profile) };
    refused(check(rehashed), 'ERR_MONITOR_PROFILE_SIGNATURE_INVALID');
    refused(
      check({ ...JSON.parse(text), previous: `sha256:${'1'.repeat(64)}` }),
      'ERR_MONITOR_PROFILE_SIGNATURE_INVALID',
    );
    refused(check({ ...JSON.parse(text), signer: stranger.id }), 'ERR_MONITOR_PROFILE_SIGNATURE_INVALID');
    const theirs = await signProfile(base, stranger);
    refused(check(theirs), 'ERR_MONITOR_PROFILE_SIGNATURE_INVALID');
    // A signature from the attestation domain is not a profile signature.
    refused(check({ ...theirs, signer: operator.id }), 'ERR_MONITOR_PROFILE_SIGNATURE_INVALID');
  });

  it('the profile used never carries a member the signature does not cover (__proto__ in a record)', () => {
    for (const at of ['"tools":{', '"agents":{', '"transitions":{', '"argLength":{', '"flows":{']) {
      const hostile = JSON.parse(text.replace(at, `${at}"__proto__":{"count":1},`));
      const result = check(hostile);
      if (!result.ok) {
        refused(result);
        continue;
      }
      usedAsSigned(result);
      expect(Object.getPrototypeOf(result.profile.agents)).toBe(Object.prototype);
    }
  });
});

describe('profile updates', () => {
  const next = learnProfile([
    session('1', ['read', 'send']),
    session('2', ['read']),
    session('3', ['read', 'list']),
    session('4', ['read', 'read']),
  ]);

  it('accepts a linked update and returns the verified document, not the caller’s object', async () => {
    const update = await signProfile(next, operator, { previous: signed });
    const raw = JSON.parse(JSON.stringify(update));
    const accepted = acceptProfileUpdate(signed, raw, trust);
    expect(accepted).toEqual(update);
    expect(accepted).not.toBe(raw);
    // Changing the caller's object afterwards changes nothing accepted.
    raw.profile.agents.a.calls = 1e6;
    expect(accepted.profile.agents.a?.calls).toBe(next.agents.a?.calls);
  });

  it('an accepted update carries no unsigned member: a __proto__ key in it is dropped or refused, never passed on', async () => {
    const update = await signProfile(next, operator, { previous: signed });
    const hostile = JSON.parse(
      JSON.stringify(update).replace('"tools":{', '"tools":{"__proto__":{"count":1,"unsigned":true},'),
    );
    let accepted: SignedProfile | undefined;
    try {
      accepted = acceptProfileUpdate(signed, hostile, trust);
    } catch (error) {
      expect(codes.has((error as { code: string }).code)).toBe(true);
      return;
    }
    expect(hashOf(accepted.profile)).toBe(accepted.hash);
    expect(JSON.stringify(accepted)).not.toContain('unsigned');
  });

  it('checks the update once: an object whose members change between reads cannot swap in an unsigned profile', async () => {
    const update = await signProfile(next, operator, { previous: signed });
    const poisoned = learnProfile([session('9', ['send', 'wire', 'export', 'delete'])]);
    let reads = 0;
    const shifty = {
      ...update,
      get profile() {
        reads++;
        return reads === 1 ? update.profile : poisoned;
      },
    };
    let accepted: SignedProfile | undefined;
    try {
      accepted = acceptProfileUpdate(signed, shifty, trust, 100);
    } catch (error) {
      expect(codes.has((error as { code: string }).code)).toBe(true);
      return;
    }
    expect(accepted.profile).toEqual(next);
    expect(hashOf(accepted.profile)).toBe(accepted.hash);
  });

  it('refuses an unlinked update, a replayed one (the profile in force again, or an older one) and a fork', async () => {
    const update = await signProfile(next, operator, { previous: signed });
    const unlinked = await signProfile(next, operator);
    expect(() => acceptProfileUpdate(signed, unlinked, trust)).toThrow(
      expect.objectContaining({ code: 'ERR_MONITOR_UPDATE_UNLINKED' }),
    );
    expect(() => acceptProfileUpdate(update, signed, trust)).toThrow(
      expect.objectContaining({ code: 'ERR_MONITOR_UPDATE_UNLINKED' }),
    );
    expect(() => acceptProfileUpdate(update, update, trust)).toThrow(
      expect.objectContaining({ code: 'ERR_MONITOR_UPDATE_UNLINKED' }),
    );
  });

  it('refuses an update beyond the drift bound even when its signer allowed it, and a bound that is not a number', async () => {
    const far = learnProfile([session('1', ['send', 'wire', 'export', 'delete', 'share'])]);
    const update = await signProfile(far, operator, { previous: signed, maxDrift: 1_000 });
    expect(() => acceptProfileUpdate(signed, update, trust)).toThrow(
      expect.objectContaining({ code: 'ERR_MONITOR_DRIFT_EXCEEDED' }),
    );
    for (const bad of [Number.NaN, -1, Number.POSITIVE_INFINITY, '0.5' as unknown as number]) {
      expect(() => acceptProfileUpdate(signed, update, trust, bad)).toThrow(RangeError);
    }
  });
});

describe('signed profiles: fuzzers', () => {
  it('fuzz: any one character changed in the document is refused, or is the same profile as signed', () => {
    fc.assert(
      fc.property(fc.nat(text.length - 1), fc.integer({ min: 1, max: 0x7f }), (at, delta) => {
        const changed = String.fromCharCode((text.charCodeAt(at) + delta) % 0x80);
        let value: unknown;
        try {
          value = JSON.parse(text.slice(0, at) + changed + text.slice(at + 1));
        } catch {
          return;
        }
        const result = check(value);
        if (result.ok) {
          expect(result.hash).toBe(signed.hash);
          usedAsSigned(result);
        } else refused(result);
      }),
      fuzzParams(),
    );
  });

  it('fuzz: arbitrary values and hostile shapes are refused with a code, never thrown', () => {
    const hostile = fc.oneof(
      fc.anything({ withBigInt: true, withMap: true, withSet: true, withNullPrototype: true, maxDepth: 4 }),
      fc.record({
        format: fc.constant('agentguard.monitor.signed-profile'),
        version: fc.constant(1),
        profile: fc.oneof(fc.constant(base), fc.jsonValue({ maxDepth: 4 })),
        hash: fc.oneof(fc.constant(signed.hash), fc.string()),
        previous: fc.oneof(fc.constant(null), fc.string()),
        signer: fc.oneof(fc.constant(operator.id), fc.string()),
        sig: fc.oneof(fc.constant(signed.sig), fc.base64String({ maxLength: 120 })),
      }),
    );
    fc.assert(
      fc.property(hostile, (value) => {
        const result = check(value);
        if (result.ok) {
          expect(result.hash).toBe(signed.hash);
          usedAsSigned(result);
        } else refused(result);
      }),
      fuzzParams(),
    );
  });

  it('fuzz: drift is a bounded, symmetric-in-kind measure and an accepted update never exceeds the bound', async () => {
    const tools = fc.array(fc.constantFrom('read', 'send', 'list', 'wire', 'export'), { minLength: 1, maxLength: 4 });
    await fc.assert(
      fc.asyncProperty(
        fc.array(tools, { minLength: 1, maxLength: 4 }),
        fc.double({ min: 0, max: 2, noNaN: true }),
        async (sessions, bound) => {
          const after = learnProfile(sessions.map((t, i) => session(String(i), t)));
          const drift = profileDrift(base, after);
          expect(drift).toBeGreaterThanOrEqual(0);
          expect(Number.isFinite(drift)).toBe(true);
          expect(profileDrift(after, after)).toBe(0);
          const update = await signProfile(after, operator, { previous: signed, maxDrift: 1_000 });
          try {
            const accepted = acceptProfileUpdate(signed, JSON.parse(JSON.stringify(update)), trust, bound);
            expect(profileDrift(signed.profile, accepted.profile)).toBeLessThanOrEqual(bound);
          } catch (error) {
            expect((error as { code: string }).code).toBe('ERR_MONITOR_DRIFT_EXCEEDED');
            expect(drift).toBeGreaterThan(bound);
          }
        },
      ),
      fuzzParams(60),
    );
  });
});
