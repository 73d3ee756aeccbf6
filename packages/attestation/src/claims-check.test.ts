import fc from 'fast-check';
import { describe, expect, expectTypeOf, it } from 'vitest';
import type { z } from 'zod';
import {
  type CallClaims,
  CallClaimsSchema,
  type CallStatement,
  type CallStatementSchema,
  plainlyValidClaims,
} from './schema.js';

const valid = {
  callId: 'call-1',
  agent: 'did:key:z6MkhaXgBZDvotDkL5257faiztiGiC2QtKLGpbnnEGta2doK',
  tool: 'get_weather',
  argsDigest: `sha256:${'a'.repeat(64)}`,
  policyHash: `sha256:${'b'.repeat(64)}`,
  issuedAt: '2026-01-01T00:00:00.000Z',
  expiresAt: '2026-01-01T00:01:00.000Z',
  nonce: 'AAAAAAAAAAAAAAAAAAAAAA',
};

// Values each member may take: the valid one, near misses, and values of other types.
const candidates: Record<keyof typeof valid, unknown[]> = {
  callId: ['call-1', '', 'a b', 'x'.repeat(256), 'x'.repeat(257), 'é', 7, undefined],
  agent: [valid.agent, 'did:key:zshort', `${valid.agent}\n`, 'did:web:example.com', null],
  tool: ['get_weather', '', 'pay?', 'a\u0007b', 'a\u0085b', 't'.repeat(257), ['x']],
  argsDigest: [valid.argsDigest, `sha256:${'A'.repeat(64)}`, `sha256:${'a'.repeat(63)}`, 'a'.repeat(64), 1],
  policyHash: [valid.policyHash, '', 'has space', 'p'.repeat(257), {}],
  issuedAt: [valid.issuedAt, '2026-02-30T00:00:00.000Z', '2026-01-01T00:00:00Z', '+012026-01-01T00:00:00.000Z', 0],
  expiresAt: [valid.expiresAt, '2026-13-01T00:00:00.000Z', '2026-01-01 00:00:00.000Z', '9999-12-31T23:59:59.999Z'],
  nonce: [valid.nonce, 'AAAAAAAAAAAAAAAAAAAAAB', 'AAAAAAAAAAAAAAAAAAAAA', 'AAAAAAAAAAAAAAAAAAAA+Q', 16],
};

describe('plainlyValidClaims', () => {
  it('accepts the claims a signer builds', () => {
    expect(plainlyValidClaims(valid)).toBe(true);
  });

  it('accepts nothing the schema refuses, and everything it accepts', () => {
    const member = <K extends keyof typeof valid>(key: K) => fc.constantFrom(...candidates[key]);
    const claims = fc.record(
      Object.fromEntries(Object.keys(valid).map((k) => [k, member(k as keyof typeof valid)])) as {
        [K in keyof typeof valid]: fc.Arbitrary<unknown>;
      },
    );
    fc.assert(
      fc.property(claims, fc.boolean(), (c, extra) => {
        const input: Record<string, unknown> = extra ? { ...c, extra: 1 } : c;
        expect(plainlyValidClaims(input)).toBe(CallClaimsSchema.safeParse(input).success);
      }),
      { numRuns: 2000 },
    );
  });
});

describe('the exported types', () => {
  it('are what the schemas accept, field for field', () => {
    expectTypeOf<z.infer<typeof CallClaimsSchema>>().toEqualTypeOf<{
      -readonly [K in keyof CallClaims]: CallClaims[K];
    }>();
    expectTypeOf<z.infer<typeof CallStatementSchema>['predicate']>().toMatchTypeOf<CallClaims>();
    expectTypeOf<z.infer<typeof CallStatementSchema>>().toMatchTypeOf<CallStatement>();
  });
});
