import { describe, expect, it } from 'vitest';
import { denial, TEXT_MAX_CHARS } from './index.js';

describe('denial()', () => {
  it('makes the one frozen Denial shape, defaults filled', () => {
    const made = denial({
      code: 'ERR_GUARD_POLICY_DENIED',
      reason: 'no guarded tool named "x"',
      tool: 'x',
      callId: 'c1',
    });
    expect(made).toEqual({
      agentguard: 'refused',
      outcome: 'denied',
      code: 'ERR_GUARD_POLICY_DENIED',
      reason: 'no guarded tool named "x"',
      tool: 'x',
      callId: 'c1',
      ruleId: null,
    });
    expect(Object.isFrozen(made)).toBe(true);
  });

  it('redacts secrets in the reason and bounds it with the visible marker', () => {
    const key = 'sk-proj-abcdefghijklmnopqrstuvwxyz0123456789ABCD';
    const made = denial({ code: 'ERR_GUARD_ENVELOPE_REJECTED', reason: `bad key ${key}`, tool: 't', callId: 'c' });
    expect(made.reason).not.toContain(key);
    const long = denial({ code: 'ERR_GUARD_POLICY_DENIED', reason: 'x '.repeat(5_000), tool: 't', callId: 'c' });
    expect(long.reason.length).toBeLessThanOrEqual(TEXT_MAX_CHARS);
    expect(long.reason).toMatch(/…\[truncated: \d+ chars in all\]$/);
    const short = denial(
      { code: 'ERR_GUARD_POLICY_DENIED', reason: 'x '.repeat(500), tool: 't', callId: 'c' },
      { maxReasonChars: 100 },
    );
    expect(short.reason.length).toBeLessThanOrEqual(100);
  });

  it('reads tool and call id without running their code, and bounds them', () => {
    const hostile = {
      toString() {
        throw new Error('ran');
      },
    };
    const made = denial({ code: 'ERR_GUARD_POLICY_DENIED', reason: 'r', tool: hostile, callId: 'c'.repeat(1_000) });
    expect(made.tool).toBe('[object]');
    expect(made.callId.length).toBeLessThanOrEqual(256);
  });

  it.each([0, 63, 1.5, TEXT_MAX_CHARS + 1])('refuses maxReasonChars %s with RangeError', (max) => {
    expect(() =>
      denial({ code: 'ERR_GUARD_POLICY_DENIED', reason: 'r', tool: 't', callId: 'c' }, { maxReasonChars: max }),
    ).toThrow(RangeError);
  });
});
