import { describe, expect, it } from 'vitest';
import { checkRecordData } from './data-check.js';

describe('assessment records and call tiers', () => {
  const digest = `sha256:${'a'.repeat(64)}`;
  it.each<[string, unknown, boolean]>([
    [
      'a full assessment',
      { reportDigest: digest, worst: 'high', counts: { high: 1, low: 2 }, findingIds: ['AG-POL-001'] },
      true,
    ],
    ['no findings', { reportDigest: digest, worst: 'none', counts: {}, findingIds: [] }, true],
    ['a digest without prefix', { reportDigest: 'a'.repeat(64) }, false],
    ['an unknown severity', { worst: 'severe' }, false],
    ['a negative count', { counts: { high: -1 } }, false],
    ['ids that are not strings', { findingIds: [1] }, false],
  ])('assessment: %s', (_name, data, ok) => {
    expect(checkRecordData('assessment', data) === undefined).toBe(ok);
  });
  it.each<[unknown, boolean]>([
    ['critical', true],
    ['low', true],
    ['extreme', false],
    [3, false],
  ])('call.requested tier %s', (tier, ok) => {
    expect(checkRecordData('call.requested', { tier }) === undefined).toBe(ok);
  });
});
