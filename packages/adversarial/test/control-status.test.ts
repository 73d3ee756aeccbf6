/**
 * Invariant: a control status document (the signed kill-switch / suspend / quarantine status a guard polls) is
 * adopted only when it is exactly a DSSE envelope of a canonical control statement, signed by a trusted operator
 * key that is not excluded, for the guard's own channel, newer than the status in force, inside a validity window
 * no longer than the bound. Anything else, however malformed, is a refusal with a stable `ERR_INCIDENT_*` code,
 * returned (never thrown, never hung on); the status in force stays, and a guard that has no valid status fails
 * closed for high-risk tools. The Redis doorbell carries no authority: whatever is published on it can at most
 * make the source read the document again.
 */
import { execFileSync } from 'node:child_process';
import { closeSync, constants, mkdirSync, mkdtempSync, openSync, rmSync, writeFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createAuditLog, createMemorySink } from '@agentguard/audit';
import { createGuard } from '@agentguard/core';
import { createIdentity } from '@agentguard/identity';
import {
  createControlSource,
  INCIDENT_ERROR_CODES,
  signStatus,
  type StatusMeasure,
  type StatusVerification,
  verifyStatus,
} from '@agentguard/incident';
import {
  canonicalBytes,
  IN_TOTO_PAYLOAD_TYPE,
  sha256Hex,
  signEnvelope,
  STATEMENT_V1_TYPE,
  utf8,
} from '@agentguard/statement';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { fuzzParams } from './fuzz.js';

const operator = createIdentity({ name: 'operator' });
const agent = createIdentity({ name: 'agent' });
const stranger = createIdentity({ name: 'stranger' });
const T0 = Date.UTC(2026, 5, 1);
const NOW = T0 + 1_000;
const opts = { trust: [operator.id], channel: 'prod', excludedKeys: [agent.id], nowMs: NOW };
const codes = new Set<string>(INCIDENT_ERROR_CODES);
const dir = mkdtempSync(join(tmpdir(), 'agentguard-control-status-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function refused(result: StatusVerification, code?: string): void {
  expect(result.ok).toBe(false);
  if (result.ok) return;
  expect(codes.has(result.code)).toBe(true);
  expect(typeof result.reason).toBe('string');
  if (code !== undefined) expect(result.code).toBe(code);
}

/** Verifies without ever letting a throw pass as a refusal. */
function check(input: unknown, extra: Partial<Parameters<typeof verifyStatus>[1]> = {}): StatusVerification {
  let result: StatusVerification | undefined;
  expect(() => {
    result = verifyStatus(input, { ...opts, ...extra });
  }).not.toThrow();
  return result as StatusVerification;
}

/** A statement as the operator would sign it, for mutation before signing (so only the statement is on trial). */
function statement(over: { predicate?: Record<string, unknown>; measures?: unknown[] } = {}): Record<string, unknown> {
  const measures = over.measures ?? [];
  return {
    _type: STATEMENT_V1_TYPE,
    subject: [{ name: 'prod', digest: { sha256: sha256Hex(canonicalBytes(measures)) } }],
    predicateType: 'https://agentguard.dev/control/status/v1',
    predicate: {
      channel: 'prod',
      seq: 2,
      issuer: operator.id,
      issuedAt: new Date(T0).toISOString(),
      expiresAt: new Date(T0 + 3_600_000).toISOString(),
      measures,
      ...over.predicate,
    },
  };
}

/** Signs raw payload bytes with the operator key: a hostile payload the operator key signed all the same. */
const signRaw = (payload: Uint8Array, by = operator) =>
  signEnvelope(IN_TOTO_PAYLOAD_TYPE, payload, [{ keyid: by.keyId, sign: (m) => by.sign(m) }]);
const signStatement = (s: unknown, by = operator) => signRaw(canonicalBytes(s), by);

const good = await signStatus({ operator, channel: 'prod', seq: 2, measures: [], nowMs: T0 });
const goodText = JSON.stringify(good);

describe('control status documents: what is refused', () => {
  it('the untouched document verifies, as an object, as text and as bytes', () => {
    expect(check(good)).toMatchObject({ ok: true, status: { seq: 2 } });
    expect(check(goodText)).toMatchObject({ ok: true });
    expect(check(utf8(goodText))).toMatchObject({ ok: true });
  });

  it.each<[string, unknown]>([
    ['empty text', ''],
    ['whitespace', '   \n'],
    ['truncated JSON', goodText.slice(0, goodText.length - 3)],
    ['trailing garbage', `${goodText}x`],
    ['two documents', `${goodText}${goodText}`],
    ['a JSON number', '42'],
    ['null', 'null'],
    ['an array', `[${goodText}]`],
    ['duplicate member', goodText.replace('{', `{"payload":"${good.payload}",`)],
    ['a lone surrogate', goodText.replace('"payloadType"', '"payloadType\\ud800"')],
    ['not UTF-8', new Uint8Array([0x7b, 0xff, 0x7d])],
    ['deeply nested', `${'['.repeat(10_000)}${']'.repeat(10_000)}`],
    ['huge text', `{"payload":"${'A'.repeat(200_000)}"}`],
    ['__proto__ member', goodText.replace('{', '{"__proto__":{"ok":true},')],
    ['constructor member', goodText.replace('{', '{"constructor":{"prototype":{}},')],
    ['undefined', undefined],
    ['a number', 7],
    ['a function', () => good],
    ['a BigInt', 10n],
    ['a symbol', Symbol('status')],
    ['an empty object', {}],
  ])('refuses %s with a code', (_label, input) => {
    refused(check(input), 'ERR_INCIDENT_STATUS_MALFORMED');
  });

  it.each<[string, (e: typeof good) => unknown]>([
    ['payload not base64', (e) => ({ ...e, payload: `${e.payload.slice(0, -4)}!!!!` })],
    ['a base64url character in the payload', (e) => ({ ...e, payload: `-${e.payload.slice(1)}` })],
    ['payload without padding', (e) => ({ ...e, payload: e.payload.replace(/=+$/, '') })],
    ['sig not base64', (e) => ({ ...e, signatures: [{ ...e.signatures[0], sig: '%%%' }] })],
    ['two signatures', (e) => ({ ...e, signatures: [e.signatures[0], e.signatures[0]] })],
    ['no signature', (e) => ({ ...e, signatures: [] })],
    ['a number for payload', (e) => ({ ...e, payload: 5 })],
    ['another payload type', (e) => ({ ...e, payloadType: 'application/json' })],
    ['an extra member', (e) => ({ ...e, extra: 1 })],
  ])('refuses an envelope with %s', (_label, mutate) => {
    const result = check(mutate(good));
    refused(result);
    if (!result.ok) expect(['ERR_INCIDENT_STATUS_MALFORMED', 'ERR_INCIDENT_STATUS_FORGED']).toContain(result.code);
  });

  it('refuses non-canonical spellings of a statement, even signed by the operator key (one spelling per status)', async () => {
    const s = statement();
    const spaced = utf8(JSON.stringify(s, null, 1));
    const reordered = utf8(JSON.stringify({ predicate: s.predicate, ...s }));
    const escaped = utf8(new TextDecoder().decode(canonicalBytes(s)).replace('"prod"', '"pro\\u0064"'));
    const withBom = new Uint8Array([0xef, 0xbb, 0xbf, ...canonicalBytes(s)]);
    for (const payload of [spaced, reordered, escaped, withBom]) {
      refused(check(await signRaw(payload)), 'ERR_INCIDENT_STATUS_MALFORMED');
    }
    expect(check(await signStatement(s))).toMatchObject({ ok: true });
  });

  it('refuses __proto__, constructor and wrong-typed members inside a signed statement', async () => {
    const canonical = new TextDecoder().decode(canonicalBytes(statement()));
    const hostile = [
      canonical.replace('{"_type"', '{"__proto__":{"seq":99},"_type"'),
      canonical.replace('"channel"', '"__proto__":{},"channel"'),
      canonical.replace('"channel"', '"constructor":{},"channel"'),
      canonical.replace('"seq":2', '"seq":"2"'),
      canonical.replace('"seq":2', '"seq":2.5'),
      canonical.replace('"seq":2', '"seq":9007199254740993'),
      canonical.replace('"seq":2', '"seq":-1'),
      canonical.replace('"seq":2', '"seq":1e400'),
      canonical.replace('"measures":[]', '"measures":{}'),
      canonical.replace('"measures":[]', '"measures":null'),
    ];
    for (const text of hostile) refused(check(await signRaw(utf8(text))), 'ERR_INCIDENT_STATUS_MALFORMED');
  });

  it('refuses a document that is too large, and one with too many or too deep measures', async () => {
    const many = Array.from({ length: 257 }, () => ({ kind: 'suspend', scope: { kind: 'all' } }));
    refused(check(await signStatement(statement({ measures: many }))), 'ERR_INCIDENT_STATUS_MALFORMED');
    const deep = [
      { kind: 'suspend', scope: { kind: 'all', nested: JSON.parse(`${'['.repeat(50)}${']'.repeat(50)}`) } },
    ];
    refused(check(await signStatement(statement({ measures: deep }))), 'ERR_INCIDENT_STATUS_MALFORMED');
    const long = [{ kind: 'suspend', scope: { kind: 'all' }, reason: 'r'.repeat(70_000) }];
    refused(check(await signStatement(statement({ measures: long }))), 'ERR_INCIDENT_STATUS_MALFORMED');
  });

  it('refuses another key, an excluded key (by id or by key bytes), and a statement naming another issuer', async () => {
    refused(check(await signStatus({ operator: stranger, channel: 'prod', seq: 3, measures: [], nowMs: T0 })));
    const byAgent = await signStatus({ operator: agent, channel: 'prod', seq: 3, measures: [], nowMs: T0 });
    refused(check(byAgent, { trust: [operator.id, agent.id] }), 'ERR_INCIDENT_STATUS_UNTRUSTED');
    const aliased = {
      publicKeyFor: (keyid: string) => (keyid.startsWith(operator.id) ? operator.publicKey : agent.publicKey),
      has: () => true,
    };
    refused(check(byAgent, { trust: aliased as unknown as readonly string[] }), 'ERR_INCIDENT_STATUS_UNTRUSTED');
    const naming = await signStatement(statement({ predicate: { issuer: stranger.id } }));
    refused(check(naming, { trust: [operator.id, stranger.id] }), 'ERR_INCIDENT_STATUS_FORGED');
  });

  it('refuses expired, future, backwards and overlong windows, and instants that are not real', async () => {
    const at = (issuedAt: number, expiresAt: number) =>
      statement({
        predicate: { issuedAt: new Date(issuedAt).toISOString(), expiresAt: new Date(expiresAt).toISOString() },
      });
    refused(check(await signStatement(at(T0 - 7_200_000, T0 - 1))), 'ERR_INCIDENT_STATUS_EXPIRED');
    refused(check(await signStatement(at(T0 - 7_200_000, NOW))), 'ERR_INCIDENT_STATUS_EXPIRED');
    refused(check(await signStatement(at(NOW + 60_000, NOW + 120_000))), 'ERR_INCIDENT_STATUS_NOT_YET_VALID');
    refused(check(await signStatement(at(T0, T0 - 1))), 'ERR_INCIDENT_STATUS_EXPIRED');
    refused(check(await signStatement(at(T0, T0 + 86_400_001))), 'ERR_INCIDENT_STATUS_MALFORMED');
    refused(
      check(await signStatement(at(T0, T0 + 3_600_001)), { maxValidityMs: 3_600_000 }),
      'ERR_INCIDENT_STATUS_MALFORMED',
    );
    refused(check(await signStatement(at(T0, 8.64e15))), 'ERR_INCIDENT_STATUS_MALFORMED');
    for (const expiresAt of [
      '2026-02-30T00:00:00.000Z',
      '2026-06-01T24:00:00.000Z',
      '+275760-09-13T00:00:00.000Z',
      '2026-06-01T01:00:00Z',
      '2026-06-01T01:00:00.000+00:00',
    ]) {
      refused(check(await signStatement(statement({ predicate: { expiresAt } }))), 'ERR_INCIDENT_STATUS_MALFORMED');
    }
  });

  it('refuses replays, rollbacks and a second status with the same seq; the same one again only confirms', async () => {
    const first = check(good);
    if (!first.ok) throw new Error(first.reason);
    const known = { seq: first.status.seq, hash: first.status.hash };
    const older = await signStatus({ operator, channel: 'prod', seq: 1, measures: [], nowMs: T0 + 500 });
    refused(check(older, { known }), 'ERR_INCIDENT_STATUS_REPLAYED');
    const other = await signStatus({ operator, channel: 'prod', seq: 2, measures: [], nowMs: T0 + 1 });
    refused(check(other, { known }), 'ERR_INCIDENT_STATUS_CONFLICT');
    expect(check(good, { known })).toMatchObject({ ok: true, fresh: false });
  });

  it('refuses another channel, in the predicate or in the subject', async () => {
    refused(
      check(await signStatus({ operator, channel: 'staging', seq: 3, measures: [], nowMs: T0 })),
      'ERR_INCIDENT_STATUS_WRONG_CHANNEL',
    );
    const s = statement();
    (s.subject as Array<{ name: string }>)[0] = {
      ...(s.subject as Array<{ name: string }>)[0],
      name: 'staging',
    } as never;
    refused(check(await signStatement(s)), 'ERR_INCIDENT_STATUS_WRONG_CHANNEL');
    for (const channel of ['prod ', 'prod\u0000', 'Prod', 'pr\u043Ed', 'prod/..', '']) {
      refused(check(await signStatement(statement({ predicate: { channel } }))));
    }
  });

  it('refuses scopes that are odd globs, Unicode look-alikes or carry control characters', async () => {
    const scopes: unknown[] = [
      { kind: 'tool', value: '**' },
      { kind: 'tool', value: 'db.**' },
      { kind: 'tool', value: 'db.?' },
      { kind: 'tool', value: 'db.[a-z]' },
      { kind: 'tool', value: 'db.\u0000' },
      { kind: 'tool', value: 'db.upd\u200Bate' },
      { kind: 'tool', value: '\uFF44b.update' },
      { kind: 'tool', value: 'a'.repeat(10_000) },
      { kind: 'tool', value: '' },
      { kind: 'tag', value: 'read\n' },
      { kind: 'tag', value: 'r\u00e9ad' },
      { kind: 'agent', value: 'did:key:zNotAKey' },
      { kind: 'agent', value: `${agent.id}#x` },
      { kind: 'all', value: 'x' },
      { kind: 'everything' },
      { kind: 'tool' },
    ];
    for (const scope of scopes) {
      const measures = [{ kind: 'suspend', scope }];
      refused(check(await signStatement(statement({ measures }))), 'ERR_INCIDENT_STATUS_MALFORMED');
    }
    const reason = [{ kind: 'suspend', scope: { kind: 'all' }, reason: 'line\u001b[2Jcleared' }];
    refused(check(await signStatement(statement({ measures: reason }))), 'ERR_INCIDENT_STATUS_MALFORMED');
    const lift = [{ kind: 'resume', scope: { kind: 'all' } }];
    refused(check(await signStatement(statement({ measures: lift }))), 'ERR_INCIDENT_STATUS_MALFORMED');
    // Odd but well-formed patterns are the tool grammar's own (`*` is any run of name characters): taken as given.
    for (const value of ['*', 'db.*.x', '*.update']) {
      const measures = [{ kind: 'suspend', scope: { kind: 'tool', value } }];
      expect(check(await signStatement(statement({ measures })))).toMatchObject({ ok: true });
    }
  });

  it('refuses measures that do not match the subject digest (measures swapped under a signature)', async () => {
    const s = statement({ measures: [{ kind: 'suspend', scope: { kind: 'all' } }] });
    (s.predicate as { measures: unknown[] }).measures = [];
    refused(check(await signStatement(s)), 'ERR_INCIDENT_STATUS_MALFORMED');
  });
});

describe('control status documents: fuzzers', () => {
  it('fuzz: any one character changed in the document text is refused or verifies to the very same status', () => {
    const first = check(good);
    if (!first.ok) throw new Error(first.reason);
    fc.assert(
      fc.property(fc.nat(goodText.length - 1), fc.integer({ min: 1, max: 0xffff }), (at, delta) => {
        const changed = String.fromCharCode((goodText.charCodeAt(at) + delta) % 0x10000);
        const text = goodText.slice(0, at) + changed + goodText.slice(at + 1);
        const result = check(text);
        // Whitespace or key order of the envelope itself does not change what was signed.
        if (result.ok) expect(result.status).toEqual(first.status);
        else refused(result);
      }),
      fuzzParams(),
    );
  });

  it('fuzz: arbitrary values and JSON texts are refused with a code, never thrown', () => {
    const hostile = fc.oneof(
      fc.anything({ withBigInt: true, withMap: true, withSet: true, withTypedArray: true, withNullPrototype: true }),
      fc.json({ maxDepth: 6 }),
      fc.string({ unit: 'binary', maxLength: 200 }),
      fc.uint8Array({ maxLength: 300 }),
      fc.record({
        payloadType: fc.oneof(fc.constant(IN_TOTO_PAYLOAD_TYPE), fc.string()),
        payload: fc.oneof(fc.constant(good.payload), fc.base64String(), fc.string()),
        signatures: fc.array(
          fc.record({ keyid: fc.oneof(fc.constant(operator.keyId), fc.string()), sig: fc.base64String() }),
          { maxLength: 3 },
        ),
      }),
    );
    fc.assert(
      fc.property(hostile, (input) => {
        refused(check(input));
      }),
      fuzzParams(),
    );
  });

  const jsonLeaf = fc.oneof(fc.string({ maxLength: 20 }), fc.integer(), fc.double(), fc.boolean(), fc.constant(null));
  const fields = ['channel', 'seq', 'issuer', 'issuedAt', 'expiresAt', 'measures', '__proto__', 'constructor', 'extra'];

  it('fuzz: a statement with any predicate field changed, signed by the operator, is adopted only when valid', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(...fields),
        fc.oneof(jsonLeaf, fc.jsonValue({ maxDepth: 3 })),
        async (field, value) => {
          const s = statement();
          const text = new TextDecoder()
            .decode(canonicalBytes(s))
            .replace('"predicate":{', `"predicate":{"${field}":${JSON.stringify(value) ?? 'null'},`);
          const result = check(await signRaw(utf8(text)));
          // A field set twice, or a new field, or a changed one: never adopted but as exactly a valid statement.
          if (result.ok) {
            expect(field).not.toBe('__proto__');
            expect(result.status.seq).toBeGreaterThanOrEqual(1);
            expect(Date.parse(result.status.expiresAt)).toBeGreaterThan(NOW);
          } else refused(result);
        },
      ),
      fuzzParams(100),
    );
  });

  it('fuzz: scopes from odd strings are adopted only as a well-formed scope', async () => {
    const value = fc.oneof(
      fc.string({ unit: 'binary', maxLength: 12 }),
      fc.stringMatching(/^[a-z*.]{1,8}$/),
      fc.constantFrom('*', '**', 'db.*', '.*', 'db..x', 'db.*.*', agent.id),
    );
    await fc.assert(
      fc.asyncProperty(fc.constantFrom('tool', 'tag', 'agent', 'all', 'other'), value, async (kind, v) => {
        const scope = kind === 'all' ? { kind } : { kind, value: v };
        const result = check(await signStatement(statement({ measures: [{ kind: 'suspend', scope }] })));
        if (!result.ok) return refused(result);
        const s = result.status.measures[0]?.scope as { kind: string; value?: string };
        if (s.kind === 'tag') expect(s.value).toMatch(/^[A-Za-z0-9_.:-]{1,64}$/);
        if (s.kind === 'tool') expect(s.value).toMatch(/^[\x21-\x7e]+$/);
        if (s.kind === 'agent') expect(s.value).toBe(agent.id);
      }),
      fuzzParams(100),
    );
  });

  it('fuzz: over any order of seqs and windows, the adopted seq only grows and nothing expired is adopted', async () => {
    const doc = fc.record({
      seq: fc.integer({ min: 1, max: 6 }),
      issuedOffset: fc.integer({ min: -90_000_000, max: 120_000 }),
      ttl: fc.integer({ min: 1, max: 90_000_000 }),
      measures: fc.constantFrom<StatusMeasure[]>([], [{ kind: 'suspend', scope: { kind: 'all' } }]),
    });
    await fc.assert(
      fc.asyncProperty(fc.array(doc, { maxLength: 8 }), async (docs) => {
        let known: { seq: number; hash: string } | undefined;
        for (const d of docs) {
          const issuedAt = NOW + d.issuedOffset;
          const s = statement({
            measures: d.measures,
            predicate: {
              seq: d.seq,
              issuedAt: new Date(issuedAt).toISOString(),
              expiresAt: new Date(issuedAt + d.ttl).toISOString(),
            },
          });
          const result = check(await signStatement(s), known === undefined ? {} : { known });
          if (!result.ok) {
            refused(result);
            continue;
          }
          expect(Date.parse(result.status.expiresAt)).toBeGreaterThan(NOW);
          expect(Date.parse(result.status.issuedAt)).toBeLessThanOrEqual(NOW + 30_000);
          expect(d.ttl).toBeLessThanOrEqual(86_400_000);
          if (known !== undefined) {
            expect(result.status.seq).toBeGreaterThanOrEqual(known.seq);
            if (result.status.seq === known.seq) expect(result.status.hash).toBe(known.hash);
          }
          known = { seq: result.status.seq, hash: result.status.hash };
        }
      }),
      fuzzParams(60),
    );
  });
});

describe('a guard reading a bad document fails closed', () => {
  const policy = { version: 1 as const, rules: [{ id: 'all', effect: 'allow' as const, tools: ['db.*'] }] };

  it('never adopts a hostile document, keeps the status in force, and refuses high-risk tools when it has none', async () => {
    let doc: string | Uint8Array = 'not json';
    let now = NOW;
    const source = createControlSource({
      channel: 'prod',
      trust: [operator.id],
      excludedKeys: [agent.id],
      status: async () => doc,
      pollMs: 3_600_000,
      clock: () => now,
    });
    try {
      const ag = createGuard({
        identity: agent,
        policy,
        audit: createAuditLog({ sink: createMemorySink() }),
        control: { source, clock: () => now },
      });
      const update = ag.guard({ name: 'db.update', schema: z.object({}), tags: ['write'], execute: () => 'written' });
      const lookup = ag.guard({ name: 'db.lookup', schema: z.object({}), tags: ['read'], execute: () => 'read' });
      const suspendUpdate = await signStatus({
        operator,
        channel: 'prod',
        seq: 5,
        measures: [{ kind: 'suspend', scope: { kind: 'tool', value: 'db.update' } }],
        nowMs: NOW,
      });
      const lifts = [
        'not json',
        goodText.replace('{', '{"__proto__":{},'),
        JSON.stringify(await signStatus({ operator: agent, channel: 'prod', seq: 9, measures: [], nowMs: NOW })),
        JSON.stringify(await signStatus({ operator, channel: 'staging', seq: 9, measures: [], nowMs: NOW })),
        JSON.stringify(await signStatus({ operator, channel: 'prod', seq: 4, measures: [], nowMs: NOW })),
        JSON.stringify(await signStatus({ operator, channel: 'prod', seq: 5, measures: [], nowMs: NOW })),
        JSON.stringify(
          await signStatement(statement({ predicate: { seq: 9, expiresAt: new Date(T0 + 86_400_001).toISOString() } })),
        ),
      ];
      for (const d of lifts.slice(0, 2)) {
        doc = d;
        refused(await source.refresh());
      }
      await expect(update({})).rejects.toMatchObject({ code: 'ERR_GUARD_CONTROL_STALE' });
      await expect(lookup({})).resolves.toBe('read');
      doc = JSON.stringify(suspendUpdate);
      expect(await source.refresh()).toMatchObject({ ok: true, status: { seq: 5 } });
      for (const d of lifts) {
        doc = d;
        refused(await source.refresh());
        expect(source.current()?.seq).toBe(5);
        await expect(update({})).rejects.toMatchObject({ code: 'ERR_GUARD_SUSPENDED' });
      }
      now += 10_000;
      await expect(update({})).rejects.toMatchObject({ code: 'ERR_GUARD_SUSPENDED' });
    } finally {
      source.close();
    }
  });
});

describe.skipIf(process.platform === 'win32')('a status path that is not a regular file', () => {
  it('a FIFO or a directory at the status path is refused at once, and never wedges the file system of the process', async () => {
    const fifo = join(dir, 'status.fifo');
    execFileSync('mkfifo', [fifo]);
    const folder = join(dir, 'status.d');
    mkdirSync(folder);
    writeFileSync(join(dir, 'other'), 'still readable');
    const sources = [fifo, folder].map((status) =>
      createControlSource({ channel: 'prod', trust: [operator.id], status, pollMs: 3_600_000, readTimeoutMs: 200 }),
    );
    try {
      // More reads than libuv has pool threads (4): a blocking open of the FIFO would hold one each, for good.
      for (let i = 0; i < 6; i++) {
        for (const source of sources) refused(await source.refresh(), 'ERR_INCIDENT_SOURCE_FAILED');
      }
      const other = await Promise.race([
        readFile(join(dir, 'other'), 'utf8'),
        new Promise((resolve) => setTimeout(() => resolve('the pool threads are blocked'), 2_000)),
      ]);
      expect(other).toBe('still readable');
    } finally {
      for (const source of sources) source.close();
      // Releases opens a broken reader left blocked on the FIFO (each returns once a writer opens it).
      for (let i = 0; i < 8; i++) {
        try {
          closeSync(openSync(fifo, constants.O_WRONLY | constants.O_NONBLOCK));
        } catch {}
      }
    }
  });
});

describe('the Redis doorbell carries no authority', () => {
  /** A fake Redis on 127.0.0.1 that acknowledges SUBSCRIBE as `ack` says, then lets the test push anything. */
  async function fakeRedis(
    ack: (socket: Socket) => void,
  ): Promise<{ url: string; push(bytes: string | Uint8Array): void; close(): Promise<void> }> {
    const sockets = new Set<Socket>();
    const server: Server = createServer((socket) => {
      sockets.add(socket);
      socket.on('error', () => undefined);
      socket.on('close', () => sockets.delete(socket));
      socket.once('data', () => ack(socket));
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const { port } = server.address() as { port: number };
    return {
      url: `redis://127.0.0.1:${port}`,
      push: (bytes) => {
        for (const s of sockets) s.write(bytes);
      },
      close: () =>
        new Promise<void>((r) => {
          for (const s of sockets) s.destroy();
          server.close(() => r());
        }),
    };
  }
  const ACK = '*3\r\n$9\r\nsubscribe\r\n$18\r\nagentguard:control\r\n:1\r\n';

  it('hostile messages (huge, binary, a signed status itself, RESP errors) only trigger bounded reads', async () => {
    const redis = await fakeRedis((s) => s.write(ACK));
    let reads = 0;
    const source = createControlSource({
      channel: 'prod',
      trust: [operator.id],
      status: async () => {
        reads++;
        return 'not a status';
      },
      pollMs: 3_600_000,
      redis: { url: redis.url },
    });
    const adopted: unknown[] = [];
    source.events.on('adopted', (s) => adopted.push(s));
    try {
      for (let i = 0; i < 100 && reads < 2; i++) await new Promise((r) => setTimeout(r, 20));
      const before = reads;
      const start = Date.now();
      const messages: Array<string | Uint8Array> = [
        `*3\r\n$7\r\nmessage\r\n$18\r\nagentguard:control\r\n$${goodText.length}\r\n${goodText}\r\n`,
        `*3\r\n$7\r\nmessage\r\n$18\r\nagentguard:control\r\n$1000000\r\n${'x'.repeat(1_000_000)}\r\n`,
        new Uint8Array(4096).map((_, i) => (i * 37) & 0xff),
        '-ERR something\r\n',
        '*-1\r\n',
        '$-1\r\n',
      ];
      for (let round = 0; round < 20; round++) {
        for (const m of messages) redis.push(m);
        await new Promise((r) => setTimeout(r, 10));
      }
      await new Promise((r) => setTimeout(r, 150));
      const elapsed = Date.now() - start;
      // At most one doorbell read per 100 ms (plus the one in flight and one after it).
      expect(reads - before).toBeLessThanOrEqual(Math.ceil(elapsed / 100) + 2);
      expect(adopted).toEqual([]);
      expect(source.current()).toBeUndefined();
    } finally {
      source.close();
      await redis.close();
    }
  });

  it('a server that answers SUBSCRIBE with an error, or not at all, is no subscription and nothing is adopted', async () => {
    for (const answer of ['-NOAUTH Authentication required.\r\n', '+OK\r\n', '']) {
      const redis = await fakeRedis((s) => {
        if (answer !== '') s.write(answer);
      });
      const source = createControlSource({
        channel: 'prod',
        trust: [operator.id],
        status: async () => goodText.replace('{', '{"__proto__":{},'),
        pollMs: 3_600_000,
        redis: { url: redis.url },
      });
      try {
        await new Promise((r) => setTimeout(r, 100));
        redis.push(`*3\r\n$7\r\nmessage\r\n$18\r\nagentguard:control\r\n$1\r\n1\r\n`);
        await new Promise((r) => setTimeout(r, 50));
        expect(source.current()).toBeUndefined();
      } finally {
        source.close();
        await redis.close();
      }
    }
  });
});
