import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { MonitorSession } from './call.js';
import { sessionsArb, toSessions } from '../test/arbitraries.js';
import { createDetector, type Verdict } from './detector.js';
import { replaySession } from './evaluate.js';
import { learnProfile } from './learn.js';
import { SCAN_LIMITS, scanJson, scanString } from './values.js';

const profile = learnProfile([
  {
    id: 't',
    agent: 'mail',
    calls: [
      { tool: 'search', args: { q: 'ann' }, sideEffect: false, result: [{ email: 'ann@corp.example.com' }] },
      { tool: 'send_email', args: { to: 'ann@corp.example.com', body: 'hi' }, sideEffect: true, result: null },
    ],
  },
]);

/** Replays sessions call by call in the given order of (session, call) steps; verdicts per session. */
function interleaved(sessions: readonly MonitorSession[], order: readonly number[]): Map<string, Verdict[]> {
  const d = createDetector(profile);
  const next = sessions.map(() => 0);
  const out = new Map<string, Verdict[]>(sessions.map((s) => [s.id, []]));
  for (const s of sessions) d.begin(s.id, { agent: s.agent });
  for (const pick of order) {
    const i = pick % sessions.length;
    const s = sessions[i] as MonitorSession;
    const k = next[i] as number;
    const call = s.calls[k];
    if (call === undefined) continue;
    next[i] = k + 1;
    const dc = { agent: s.agent, session: s.id, tool: call.tool, args: call.args, sideEffect: call.sideEffect };
    out.get(s.id)?.push(d.score(dc));
    d.observe(dc, call.result);
  }
  return out;
}

/** JSON that stresses a scanner: odd Unicode, `__proto__` keys (as JSON.parse makes them), depth, size. */
const nasty = fc.oneof(
  fc.jsonValue(),
  fc.string({ unit: 'binary', maxLength: 200 }),
  fc.string({ unit: 'grapheme', maxLength: 200 }),
  fc.jsonValue().map((v) => JSON.parse(`{"__proto__": ${JSON.stringify(v) ?? 'null'}, "to": "x@evil.example.net"}`)),
  fc.integer({ min: 1, max: 3000 }).map((n) => JSON.parse(`${'['.repeat(n)}"a@b.example.com"${']'.repeat(n)}`)),
  fc.integer({ min: 1, max: 200_000 }).map((n) => ({ body: `${'a'.repeat(n)}@evil.example.net` })),
  fc.integer({ min: 1, max: 20_000 }).map((n) => Object.fromEntries(Array.from({ length: n }, (_, i) => [`k${i}`, i]))),
);

describe('detector properties', () => {
  it('is deterministic: two detectors give the same verdicts for the same sessions', () => {
    fc.assert(
      fc.property(sessionsArb, (raw) => {
        const sessions = toSessions(raw).map((s) => ({ ...s, agent: 'mail' }));
        const a = sessions.map((s) => replaySession(createDetector(profile), s));
        const b = sessions.map((s) => replaySession(createDetector(profile), s));
        expect(b).toEqual(a);
      }),
      { numRuns: 50 },
    );
  });

  it('is order-independent across sessions: interleaving them changes no verdict', () => {
    fc.assert(
      fc.property(sessionsArb, fc.array(fc.nat(), { maxLength: 80 }), (raw, order) => {
        const sessions = toSessions(raw).map((s) => ({ ...s, agent: 'mail' }));
        const total = sessions.reduce((n, s) => n + s.calls.length, 0);
        const sequential = sessions.flatMap((s, i) => s.calls.map(() => i));
        const shuffled = [...order, ...sequential].slice(0, order.length + total);
        const a = interleaved(sessions, [...sequential]);
        const b = interleaved(sessions, [...shuffled, ...sequential]);
        expect(b).toEqual(a);
      }),
      { numRuns: 50 },
    );
  });

  it('score and observe never throw on arbitrary JSON, tool names and agents', () => {
    const d = createDetector(profile);
    fc.assert(
      fc.property(
        nasty,
        nasty,
        fc.string({ unit: 'binary' }),
        fc.constantFrom('mail', 'other'),
        fc.boolean(),
        (args, result, tool, agent, sideEffect) => {
          const call = { agent, session: 'p', tool, args: args as Record<string, unknown>, sideEffect };
          const v = d.score(call);
          expect(typeof v.score).toBe('number');
          for (const a of v.alerts) expect(a.seen.length).toBeLessThan(1000);
          d.observe(call, result);
        },
      ),
      { numRuns: 100 },
    );
  });

  it('long strings are capped: a value past the scan bound is not read, and the call fails closed', () => {
    const tail = 'x@evil.example.net';
    expect(scanString(`${'a '.repeat(SCAN_LIMITS.stringChars)}${tail}`, () => expect.unreachable(), null)).toBe(false);
    expect(scanJson({ a: 'b'.repeat(SCAN_LIMITS.totalChars), to: tail }, () => expect.unreachable(), null)).toBe(false);
    const found: string[] = [];
    expect(scanString(`${'a '.repeat(100)}${tail}`, (v) => found.push(v.key), null)).toBe(true);
    expect(found).toEqual(['email:x@evil.example.net']);
    const v = createDetector(profile).score({
      agent: 'mail',
      tool: 'send_email',
      args: { to: 'ann@corp.example.com', body: `${' '.repeat(SCAN_LIMITS.stringChars)}${tail}` },
      sideEffect: true,
    });
    expect(v.flagged).toBe(true);
    expect(v.alerts.map((a) => a.feature)).toContain('args.unscanned');
  });
});
