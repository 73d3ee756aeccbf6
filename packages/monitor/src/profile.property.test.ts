import { createIdentity } from '@agentguard/identity';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createDetector } from './detector.js';
import { profileDrift } from './drift.js';
import { MONITOR_ERROR_CODES, MonitorError } from './errors.js';
import { sessionsArb, toSessions } from '../test/arbitraries.js';
import { learnProfile } from './learn.js';
import { parseProfile } from './profile.js';
import { contentHash } from './signature.js';
import { acceptProfileUpdate, signProfile, verifySignedProfile } from './signed-profile.js';

const operator = createIdentity({ secretKey: new Uint8Array(32).fill(7) });
const trust = [operator.id];

/** The same JSON value with every object's keys in a shuffled order. */
function shuffleKeys(value: unknown, rnd: () => number): unknown {
  if (Array.isArray(value)) return value.map((v) => shuffleKeys(v, rnd));
  if (value === null || typeof value !== 'object') return value;
  const keys = Object.keys(value).sort(() => rnd() - 0.5);
  return Object.fromEntries(keys.map((k) => [k, shuffleKeys((value as Record<string, unknown>)[k], rnd)]));
}

const refused = (text: string): boolean => {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return true;
  }
  return !verifySignedProfile(value, trust).ok;
};

describe('profile properties', () => {
  it('the content hash is stable under key order and re-serialisation', async () => {
    await fc.assert(
      fc.asyncProperty(sessionsArb, fc.integer(), async (raw, seed) => {
        const profile = learnProfile(toSessions(raw));
        let s = seed;
        const rnd = () => {
          s = (s * 1103515245 + 12345) | 0;
          return (s >>> 0) / 2 ** 32;
        };
        const shuffled = shuffleKeys(JSON.parse(JSON.stringify(profile)), rnd);
        expect(contentHash(shuffled)).toBe(contentHash(profile));
        const signed = await signProfile(profile, operator);
        const check = verifySignedProfile(shuffleKeys(JSON.parse(JSON.stringify(signed)), rnd), trust);
        expect(check.ok && check.hash).toBe(signed.hash);
      }),
      { numRuns: 40 },
    );
  });

  it('any changed byte of a signed profile is refused', async () => {
    const signed = JSON.stringify(
      await signProfile(learnProfile(toSessions(fc.sample(sessionsArb, 1)[0] ?? [])), operator),
    );
    expect(refused(signed)).toBe(false);
    fc.assert(
      fc.property(fc.nat({ max: signed.length - 1 }), fc.integer({ min: 0x20, max: 0x7e }), (i, code) => {
        const c = String.fromCharCode(code);
        fc.pre(signed[i] !== c);
        expect(refused(signed.slice(0, i) + c + signed.slice(i + 1))).toBe(true);
      }),
      { numRuns: 400 },
    );
  });

  it('drift is 0 against itself, and an update over the bound is always refused, at every bound', async () => {
    await fc.assert(
      fc.asyncProperty(sessionsArb, sessionsArb, fc.double({ min: 0, max: 2, noNaN: true }), async (a, b, bound) => {
        const before = learnProfile(toSessions(a));
        const after = learnProfile(toSessions(b));
        expect(profileDrift(before, before)).toBe(0);
        const drift = profileDrift(before, after);
        expect(drift).toBeGreaterThanOrEqual(0);
        const current = await signProfile(before, operator);
        const update = await signProfile(after, operator, { previous: current, maxDrift: Number.MAX_VALUE });
        const accepted = (() => {
          try {
            acceptProfileUpdate(current, JSON.parse(JSON.stringify(update)), trust, bound);
            return true;
          } catch (error) {
            expect((error as MonitorError).code).toBe('ERR_MONITOR_DRIFT_EXCEEDED');
            return false;
          }
        })();
        expect(accepted).toBe(drift <= bound);
        // Monotonic: a looser bound never refuses what a tighter one accepted.
        if (accepted) expect(() => acceptProfileUpdate(current, update, trust, bound * 2 + 0.01)).not.toThrow();
        const signing = signProfile(after, operator, { previous: current, maxDrift: bound });
        if (drift > bound) await expect(signing).rejects.toMatchObject({ code: 'ERR_MONITOR_DRIFT_EXCEEDED' });
        else await expect(signing).resolves.toMatchObject({ previous: current.hash });
      }),
      { numRuns: 30 },
    );
  });

  it('a bad profile is a typed error, never another exception', () => {
    const profile = learnProfile(
      toSessions([{ agent: 'mail', calls: [{ tool: 'send_email', to: 'a@b.co', result: null }] }]),
    );
    const json = JSON.parse(JSON.stringify(profile)) as Record<string, unknown>;
    const mutant = fc.oneof(
      fc.anything(),
      fc
        .record({ path: fc.constantFrom('format', 'version', 'agents', 'learned'), value: fc.anything() })
        .map(({ path, value }) => ({ ...json, [path]: value })),
      fc
        .anything()
        .map((value) => ({ ...json, agents: { mail: { ...(json.agents as { mail: object }).mail, timing: value } } })),
    );
    fc.assert(
      fc.property(mutant, (value) => {
        for (const attempt of [() => parseProfile(value), () => createDetector(value as never)]) {
          try {
            attempt();
          } catch (error) {
            expect(error).toBeInstanceOf(MonitorError);
            expect((error as MonitorError).code).toBe('ERR_MONITOR_PROFILE_INVALID');
          }
        }
        const check = verifySignedProfile(value, trust);
        if (!check.ok) expect(MONITOR_ERROR_CODES).toContain(check.code);
      }),
      { numRuns: 300 },
    );
  });
});

describe('names a profile is keyed by', () => {
  const session = (agent: string, tool: string, args: Record<string, unknown>) => ({
    id: 's1',
    agent,
    calls: [{ tool, args, sideEffect: false, result: null }],
  });

  it('refuses a tool that is no tool name, and an agent or argument named __proto__: the profile could not be read back', () => {
    for (const bad of [
      session('agent', '__proto__', {}),
      session('agent', 'two words', {}),
      session('__proto__', 'search', {}),
      session('agent', 'search', JSON.parse('{"__proto__": 1}') as Record<string, unknown>),
    ]) {
      expect(() => learnProfile([bad as never])).toThrow(
        expect.objectContaining({ code: 'ERR_MONITOR_INPUT_INVALID' }) as unknown as Error,
      );
    }
    // The same sessions with ordinary names learn a profile that parses back.
    const profile = learnProfile([session('agent', 'search', { constructor: 1 }) as never]);
    expect(parseProfile(JSON.parse(JSON.stringify(profile)))).toBeDefined();
  });
});
