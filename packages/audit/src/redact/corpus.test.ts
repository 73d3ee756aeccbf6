import { describe, expect, it } from 'vitest';
import { NEGATIVES, POSITIVES } from '../../test/fixtures/redact-corpus.js';
import { DETECTOR_KINDS } from './detectors.js';
import { createRedactor } from './redact.js';

const redactor = createRedactor({ key: new Uint8Array(32).fill(1) });

describe('redaction corpus', () => {
  it('has positives for every built-in detector', () => {
    expect(new Set(POSITIVES.map((p) => p.kind))).toEqual(new Set(DETECTOR_KINDS));
  });

  it.each(POSITIVES.map((p) => [p.kind, p.text, p] as const))('catches %s in %j', (_, __, { kind, text, secret }) => {
    const { value, findings } = redactor.redact(text);
    expect(typeof value).toBe('string');
    expect(value).not.toContain(secret);
    expect(findings.map((f) => f.kind)).toContain(kind);
    // Only the matched span is replaced: the text around a secret stays readable.
    for (const f of findings) expect(value).toContain(f.marker);
  });

  it.each(NEGATIVES.map((n) => [n.why, n.text] as const))('leaves a near-miss alone: %s', (_, text) => {
    expect(redactor.redact(text)).toEqual({ value: text, findings: [] });
  });

  it('catches each positive inside args and results alike, at its path', () => {
    for (const { kind, text, secret } of POSITIVES) {
      const { value, findings } = redactor.redact({ args: { q: [text] }, result: { body: text } });
      expect(JSON.stringify(value)).not.toContain(secret);
      expect(findings.filter((f) => f.kind === kind).map((f) => f.path)).toEqual(['/args/q/0', '/result/body']);
    }
  });
});
