import { createRedactor } from '@agentguard/audit';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { checkDecision } from './decision.js';
import {
  ARGS_RECORD_MAX_BYTES,
  boundText,
  createTextCleaner,
  envelopeForRecord,
  recordableArgs,
  TEXT_MAX_CHARS,
  textOf,
} from './text.js';

describe('boundText', () => {
  it('keeps short text and cuts long text with a visible marker, never past the bound', () => {
    expect(boundText('short')).toBe('short');
    const cut = boundText('x'.repeat(10_000));
    expect(cut.length).toBeLessThanOrEqual(TEXT_MAX_CHARS);
    expect(cut).toMatch(/…\[truncated: 10000 chars in all\]$/);
  });

  it('never splits a surrogate pair', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme', maxLength: 300 }), fc.integer({ min: 40, max: 200 }), (s, max) => {
        const out = boundText(s, max);
        expect(out.length).toBeLessThanOrEqual(max);
        const wellFormed = (t: string) => (t as unknown as { isWellFormed(): boolean }).isWellFormed();
        expect(wellFormed(out)).toBe(wellFormed(s));
      }),
    );
  });
});

describe('createTextCleaner', () => {
  const text = createTextCleaner(createRedactor());
  it('redacts, then bounds', () => {
    const out = text.clean(`key sk-proj-Q7xVb9KdL2mNp4RsT6uWy8Za1Bc3De5Fg7Hi9Jk ${'y '.repeat(5_000)}`);
    expect(out).not.toContain('sk-proj-');
    expect(out.length).toBeLessThanOrEqual(TEXT_MAX_CHARS);
  });

  it('drops the token a pre-scan cut goes through, so half a secret is never kept', () => {
    const secret = 'sk-proj-Q7xVb9KdL2mNp4RsT6uWy8Za1Bc3De5Fg7Hi9Jk';
    for (let at = 16_384 - secret.length; at <= 16_384; at++) {
      const out = text.clean(
        `${'[REDACTED:x] '.repeat(Math.floor(at / 13))}${' '.repeat(at % 13)}${secret} tail`,
        100_000,
      );
      expect(out).not.toContain('Q7xVb9');
    }
  });

  it('turns any thrown value into text without throwing', () => {
    const hostile = {
      toString() {
        throw new Error('no');
      },
    };
    expect(textOf(hostile)).toBe('[unprintable value]');
    expect(text.clean(hostile)).toBe('[unprintable value]');
    expect(text.ids(['a', 42, 'b'.repeat(1_000)]).map((s) => s.length <= 256)).toEqual([true, true, true]);
  });
});

describe('recordableArgs', () => {
  it('keeps args within the budget and replaces larger ones by a marker', () => {
    expect(recordableArgs({ a: 1 })).toEqual({ args: { a: 1 } });
    const big = { s: 'é'.repeat(ARGS_RECORD_MAX_BYTES / 2) };
    expect(recordableArgs(big)).toEqual({ argsOmitted: { reason: 'too-large', bytes: ARGS_RECORD_MAX_BYTES + 8 } });
    expect(recordableArgs(undefined)).toEqual({ argsOmitted: { reason: 'not-json' } });
  });
});

describe('checkDecision', () => {
  const valid = { effect: 'allow', ruleId: null, reason: 'r', matched: [], policyHash: 'h', mode: 'enforce' };
  it('accepts a well-formed decision and copies it frozen', () => {
    const result = checkDecision({ ...valid, extra: 1, obligations: { timeoutMs: 5, redact: ['/a'] } });
    expect(result.ok).toBe(true);
    expect(result.ok && Object.isFrozen(result.decision)).toBe(true);
    expect(result.ok && 'extra' in result.decision).toBe(false);
  });

  it.each([
    ['unknown effect', { ...valid, effect: 'Allow' }],
    ['missing reason', { ...valid, reason: undefined }],
    ['bad ruleId', { ...valid, ruleId: 1 }],
    ['bad matched', { ...valid, matched: [1] }],
    ['bad mode', { ...valid, mode: 'x' }],
    ['bad wouldDeny', { ...valid, wouldDeny: 'yes' }],
    ['unknown obligation', { ...valid, obligations: { x: 1 } }],
    ['bad maxResultBytes', { ...valid, obligations: { maxResultBytes: 1.5 } }],
    ['bad leases', { ...valid, leases: 'l' }],
    ['not an object', 'allow'],
  ])('refuses %s', (_name, decision) => {
    expect(checkDecision(decision).ok).toBe(false);
  });
});

describe('envelopeForRecord', () => {
  it('keeps an envelope that fits, and says why one is left out: too deep, not JSON, too large', () => {
    const envelope = { payload: 'e30', payloadType: 't', signatures: [{ keyid: 'k', sig: 's' }] };
    expect(envelopeForRecord(envelope)).toEqual({ envelope });
    let deep: unknown = 'x';
    for (let i = 0; i < 20; i++) deep = { deep };
    expect(envelopeForRecord(deep)).toEqual({ envelopeOmitted: { reason: 'too-deep' } });
    expect(envelopeForRecord({ payload: () => 1 })).toEqual({ envelopeOmitted: { reason: 'not-json' } });
    expect(envelopeForRecord(undefined)).toEqual({ envelopeOmitted: { reason: 'not-json' } });
    const big = envelopeForRecord({ payload: 'a'.repeat(2_000_000) });
    expect(big).toMatchObject({ envelopeOmitted: { reason: 'too-large' } });
  });
});
