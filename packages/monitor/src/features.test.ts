import { describe, expect, it } from 'vitest';
import type { MonitorSession } from './call.js';
import { createDetector } from './detector.js';
import { learnProfile } from './learn.js';

const HOUR = 3_600_000;
const day = Date.UTC(2025, 0, 6, 9); // a Monday, 09:00 UTC

// 60 sessions at 09:00-10:59 UTC: look up a contact, then mail them; 2 mails a minute at most.
const timed: MonitorSession[] = Array.from({ length: 60 }, (_, i) => ({
  id: `s${i}`,
  agent: 'mail',
  calls: [
    {
      tool: 'search_contacts',
      args: { name: 'Ann' },
      sideEffect: false,
      result: [{ email: 'ann@corp.example.com' }],
      at: day + (i % 2) * HOUR + i * 60_000,
    },
    {
      tool: 'send_email',
      args: { to: 'ann@corp.example.com' },
      sideEffect: true,
      result: null,
      at: day + (i % 2) * HOUR + i * 60_000 + 1_000,
    },
  ],
}));
const profile = learnProfile([
  ...timed,
  { id: 'r', agent: 'mail', calls: [{ tool: 'read_inbox', args: {}, sideEffect: false, result: [] }] },
]);
const mail = (at?: number, extra: Record<string, unknown> = {}) => ({
  agent: 'mail',
  session: 'x',
  tool: 'send_email',
  args: { to: 'ann@corp.example.com', ...extra },
  sideEffect: true,
  ...(at === undefined ? {} : { at }),
});
const features = (v: { alerts: readonly { feature: string }[] }) => v.alerts.map((a) => a.feature);

describe('learned timing, flows and bounds', () => {
  it('learns hours, windows and flows', () => {
    const t = profile.agents.mail?.timing;
    expect(t?.calls).toBe(120);
    expect(t?.hours[9]).toBe(60);
    expect(t?.hours[10]).toBe(60);
    expect(t?.perWindow.send_email).toBe(1);
    expect(profile.agents.mail?.flows).toEqual({ send_email: ['search_contacts'] });
  });

  it('time.unusual: a call at an hour never seen raises an alert below the threshold', () => {
    const d = createDetector(profile);
    const v = d.score(mail(day + 12 * HOUR));
    expect(v.alerts).toContainEqual({
      feature: 'time.unusual',
      expected: 'calls in UTC hours 9, 10',
      seen: 'a call at 21:00 UTC',
    });
    expect(v.flagged).toBe(false);
    expect(features(d.score(mail(day + 30 * 60_000)))).not.toContain('time.unusual');
  });

  it('rate.window: more calls of a tool in a window than burstFactor x the most seen', () => {
    const d = createDetector(profile, { weights: { 'transition.unknown': 0 } });
    expect(features(d.score(mail(day)))).toEqual([]);
    expect(features(d.score({ ...mail(day + 1_000), session: 'y' }))).toEqual([]);
    const v = d.score({ ...mail(day + 2_000), session: 'z' });
    expect(v.alerts).toEqual([
      { feature: 'rate.window', expected: 'at most 2 calls of send_email in 60 s', seen: '3 calls' },
    ]);
    expect(features(d.score({ ...mail(day + 120_000), session: 'w' }))).toEqual([]);
  });

  it('time features stay silent without call times or with too few timed calls', () => {
    expect(features(createDetector(profile).score(mail()))).toEqual(['transition.unknown']);
    const few = createDetector(profile, { minTimedCalls: 1000 });
    expect(features(few.score(mail(day + 12 * HOUR)))).toEqual(['transition.unknown']);
  });

  it('flow.unknown: a read never seen before this egress tool, named in the evidence', () => {
    const d = createDetector(profile);
    d.begin('x', { agent: 'mail' });
    d.score({ ...mail(), tool: 'read_inbox', args: {}, sideEffect: false });
    const v = d.score(mail());
    expect(v.alerts).toContainEqual({
      feature: 'flow.unknown',
      expected: 'reads seen before send_email: search_contacts',
      seen: 'read_inbox -> send_email',
    });
    expect(v.flagged).toBe(false);
  });

  it('args.unscanned: a side-effect call too large to check is flagged (fail closed)', () => {
    const d = createDetector(profile);
    const v = d.score(mail(undefined, { body: Array.from({ length: 20_000 }, () => 'x') }));
    expect(features(v)).toContain('args.unscanned');
    expect(v.flagged).toBe(true);
    const deep: Record<string, unknown> = {};
    let at = deep;
    for (let i = 0; i < 100; i++) at = at.n = {} as Record<string, unknown>;
    expect(features(d.score(mail(undefined, { deep })))).toContain('args.unscanned');
  });

  it('a weight of 0 turns a feature off', () => {
    const d = createDetector(profile, { weights: { 'time.unusual': 0 } });
    expect(features(d.score(mail(day + 12 * HOUR)))).toEqual(['transition.unknown']);
  });
});
