import { APPROVAL_RECORD_CODES, CREDENTIAL_RECORD_CODES, ENVELOPE_RECORD_CODES } from '@agentguard/audit';
import { describe, expect, it } from 'vitest';
import { GUARD_ERROR_CODES, GUARD_RECORD_CODES } from './index.js';

describe("the record contract's sub-code lists", () => {
  it("name exactly core's record codes, bar the one written only to spans", () => {
    const lists = [...APPROVAL_RECORD_CODES, ...CREDENTIAL_RECORD_CODES, ...ENVELOPE_RECORD_CODES];
    const guards = lists.filter((code) => code.startsWith('ERR_GUARD_'));
    expect(new Set(guards)).toEqual(
      new Set(GUARD_RECORD_CODES.filter((code) => code !== 'ERR_GUARD_INSTRUMENTATION_STOPPED')),
    );
    // A sub-code is never a Denial's code: the two lists do not meet.
    expect(lists.filter((code) => (GUARD_ERROR_CODES as readonly string[]).includes(code))).toEqual([]);
  });
});
