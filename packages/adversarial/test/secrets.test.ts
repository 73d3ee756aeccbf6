/**
 * Invariant: no free text core writes to the audit log or returns to a caller or a model (reasons, issue
 * paths and messages, canonicaliser errors, tool error messages, approval and refusal reasons) carries a
 * secret the built-in detectors recognise, and every such text is at most TEXT_MAX_CHARS long, ending with a
 * visible marker when it was cut. Only `toolErrors: 'verbatim'` (opt-in) shows a tool's error unredacted,
 * and then to the caller only, never to the log.
 */
import { createAuditLog, createMemorySink } from '@agentguard/audit';
import { createGuard, type GuardOptions, TEXT_MAX_CHARS, type ToolErrors } from '@agentguard/core';
import type { PolicyDocument } from '@agentguard/policy';
import { createIdentity } from '@agentguard/identity';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { fuzzParams } from './fuzz.js';

const OPENAI = 'sk-proj-Q7xVb9KdL2mNp4RsT6uWy8Za1Bc3De5Fg7Hi9Jk';
const EMAIL = 'ada.lovelace@example.com';
const DB_PASSWORD = 'S3cr3tPw0rd';
const DB_URL = `postgres://billing:${DB_PASSWORD}@db.internal:5432/ledger`;
const SECRETS = [OPENAI, EMAIL, DB_PASSWORD];

const rules: PolicyDocument['rules'] = [
  { id: 'all', effect: 'allow', tools: ['t', 'strict', 'rec'] },
  { id: 'human', effect: 'require_approval', tools: ['ask'] },
];

function setup(overrides: Partial<GuardOptions> = {}) {
  const sink = createMemorySink();
  const ag = createGuard({
    identity: createIdentity({ name: 'agent' }),
    policy: { version: 1, rules },
    audit: createAuditLog({ sink }),
    ...overrides,
  });
  return { ag, sink };
}

function leaks(text: string): string[] {
  return SECRETS.filter((s) => text.includes(s));
}

describe('secrets in clear', () => {
  it('unrecognised key names and issue paths are redacted in the record and the denial', async () => {
    const { ag, sink } = setup();
    const strict = ag.guard({ name: 'strict', schema: z.object({ q: z.string() }).strict(), execute: () => 1 });
    const rec = ag.guard({ name: 'rec', schema: z.record(z.string(), z.number()), execute: () => 1 });
    const a = await strict.safeRun({ q: 'x', [OPENAI]: 1, [EMAIL]: 2 });
    const b = await rec.safeRun({ [EMAIL]: 'not a number', [OPENAI]: 'nope' });
    for (const outcome of [a, b]) {
      expect(outcome).toMatchObject({ ok: false, denial: { code: 'ERR_GUARD_ARGS_INVALID' } });
      expect(leaks(JSON.stringify(outcome))).toEqual([]);
    }
    expect(sink.text()).toContain('call.invalid');
    expect(leaks(sink.text())).toEqual([]);
  });

  it("the canonicaliser's error (which names the path) is redacted", async () => {
    const { ag, sink } = setup();
    const tool = ag.guard({ name: 't', schema: z.unknown(), execute: () => 1 });
    const outcome = await tool.safeRun({ [EMAIL]: { [OPENAI]: new Map() } });
    expect(outcome).toMatchObject({ ok: false, denial: { code: 'ERR_GUARD_ARGS_INVALID' } });
    expect(leaks(JSON.stringify(outcome))).toEqual([]);
    expect(leaks(sink.text())).toEqual([]);
    expect(leaks(JSON.stringify(await tool.check({ [EMAIL]: new Map() })))).toEqual([]);
  });

  it("a tool's error message reaches the model redacted by default; 'generic' withholds it; the log is always redacted", async () => {
    for (const [mode, seen] of [
      ['redacted', 'postgres://billing:[REDACTED'],
      ['generic', 'details withheld'],
    ] as const) {
      const { ag, sink } = setup({ toolErrors: mode });
      const tool = ag.guard({
        name: 't',
        schema: z.object({}),
        execute: () => {
          throw new Error(`connect ${DB_URL} failed for ${EMAIL}`);
        },
      });
      const outcome = await tool.safeRun({});
      expect(outcome).toMatchObject({ ok: false, denial: { code: 'ERR_GUARD_TOOL_FAILED' } });
      expect(!outcome.ok && outcome.denial.reason).toContain(seen);
      expect(leaks(JSON.stringify(outcome))).toEqual([]);
      const thrown = await tool.run({}).catch((e: Error) => e.message);
      expect(leaks(String(thrown))).toEqual([]);
      expect(leaks(sink.text())).toEqual([]);
    }
  });

  it("'verbatim' (opt-in, per guard or per tool) shows the caller the error as thrown, bounded; the log stays redacted", async () => {
    const { ag, sink } = setup();
    const tool = ag.guard({
      name: 't',
      schema: z.object({}),
      toolErrors: 'verbatim' satisfies ToolErrors,
      execute: () => {
        throw new Error(`connect ${DB_URL}`);
      },
    });
    const outcome = await tool.safeRun({});
    expect(!outcome.ok && outcome.denial.reason).toContain(DB_PASSWORD);
    expect(leaks(sink.text())).toEqual([]);
  });

  it('approval and refusal reasons are redacted', async () => {
    const approver = () => {
      throw new Error(`approval service down: ${DB_URL}`);
    };
    const { ag, sink } = setup({ approvals: { approvers: [], approver } });
    const tool = ag.guard({ name: 'ask', schema: z.object({}), execute: () => 1 });
    const outcome = await tool.safeRun({});
    expect(outcome).toMatchObject({ ok: false, denial: { code: 'ERR_GUARD_APPROVAL_REFUSED' } });
    expect(leaks(JSON.stringify(outcome))).toEqual([]);
    const denial = await tool.refuse({}, { callId: 'r-1', reason: `mail ${EMAIL} about ${OPENAI}` });
    expect(leaks(JSON.stringify(denial))).toEqual([]);
    expect(leaks(sink.text())).toEqual([]);
  });

  it('a thrown object with a hostile message or toString never crashes the call', async () => {
    const { ag } = setup();
    const hostile = [
      {
        toString() {
          throw new Error('no');
        },
      },
      Object.defineProperty(new Error('x'), 'message', {
        get() {
          throw new Error('no');
        },
      }),
      // A tool cannot pass its error off as a timeout.
      Object.assign(new Error('fake'), { agentguardStop: 'timeout' }),
    ];
    for (const error of hostile) {
      const tool = ag.guard({
        name: 't',
        schema: z.object({}),
        execute: () => {
          throw error;
        },
      });
      await expect(tool.safeRun({})).resolves.toMatchObject({ ok: false, denial: { code: 'ERR_GUARD_TOOL_FAILED' } });
    }
  });

  it('fuzz: secrets anywhere in keys, paths, tool errors and reasons never appear in the log or a returned text, and texts stay bounded', async () => {
    const spaced = fc.constantFrom(...[OPENAI, EMAIL, DB_URL]).map((s) => ` ${s} `);
    const filler = fc.oneof(
      fc.string({ maxLength: 40 }),
      fc.integer({ min: 0, max: 100_000 }).map((n) => 'x'.repeat(n)),
      fc.integer({ min: 0, max: 3_000 }).map((n) => 'word '.repeat(n)),
    );
    const text = fc.tuple(filler, spaced, filler).map(([a, s, b]) => `${a}${s}${b}`);
    await fc.assert(
      fc.asyncProperty(
        text,
        fc.constantFrom<ToolErrors>('redacted', 'generic'),
        fc.constantFrom('key', 'tool-error', 'refuse', 'approver'),
        async (secretText, mode, where) => {
          const approver = () => {
            throw new Error(secretText);
          };
          const { ag, sink } = setup({ toolErrors: mode, approvals: { approvers: [], approver } });
          const execute = () => {
            throw new Error(secretText);
          };
          const returned: unknown[] = [];
          if (where === 'key') {
            const strict = ag.guard({ name: 'strict', schema: z.object({}).strict(), execute });
            returned.push(await strict.safeRun({ [secretText]: 1 }), await strict.check({ [secretText]: 1 }));
            const rec = ag.guard({ name: 'rec', schema: z.record(z.string(), z.number()), execute });
            returned.push(await rec.safeRun({ [secretText]: 'x' }));
          } else if (where === 'tool-error') {
            const tool = ag.guard({ name: 't', schema: z.object({}), execute });
            returned.push(await tool.safeRun({}), await tool.run({}).catch((e: Error) => e.message));
          } else if (where === 'refuse') {
            const tool = ag.guard({ name: 'ask', schema: z.object({}), execute });
            returned.push(await tool.refuse({}, { callId: 'r-1', reason: secretText }));
          } else {
            const tool = ag.guard({ name: 'ask', schema: z.object({}), execute });
            returned.push(await tool.safeRun({}));
          }
          for (const value of returned) {
            const reason =
              typeof value === 'string'
                ? value
                : ((value as { denial?: { reason: string }; reason?: string }).denial?.reason ??
                  (value as { reason: string }).reason);
            // A thrown GuardError's message is `<tool>: <reason>`.
            expect(reason.length).toBeLessThanOrEqual(TEXT_MAX_CHARS + (typeof value === 'string' ? 130 : 0));
            expect(leaks(JSON.stringify(value))).toEqual([]);
          }
          expect(leaks(sink.text())).toEqual([]);
        },
      ),
      fuzzParams(),
    );
  });

  it('a 10 MB tool error comes back bounded, with a visible marker', async () => {
    const { ag, sink } = setup({ toolErrors: 'verbatim' });
    const tool = ag.guard({
      name: 't',
      schema: z.object({}),
      execute: () => {
        throw new Error('e'.repeat(10_000_000));
      },
    });
    const outcome = await tool.safeRun({});
    const reason = !outcome.ok ? outcome.denial.reason : '';
    expect(reason.length).toBeLessThanOrEqual(TEXT_MAX_CHARS);
    expect(reason).toMatch(/…\[truncated: \d+ chars in all\]$/);
    expect(sink.text().length).toBeLessThan(50_000);
  });
});
