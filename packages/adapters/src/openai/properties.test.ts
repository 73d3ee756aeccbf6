import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createFixture } from '../../test/conformance/fixture.js';
import { createToolDispatcher } from './index.js';

// Whatever text a model sends as arguments, a dispatched call never throws, always answers with the
// call's own id, and a tool the policy denies never runs.
describe('dispatcher properties', () => {
  const fx = createFixture();
  const dispatcher = createToolDispatcher([fx.tools.add, fx.tools.delete_user]);
  const argumentText = fc.oneof(
    fc.string(),
    fc.json(),
    fc.jsonValue().map((v) => JSON.stringify(v)),
  );

  it('a denied tool never runs, whatever the arguments', async () => {
    await fc.assert(
      fc.asyncProperty(argumentText, fc.stringMatching(/^[A-Za-z0-9_-]{1,40}$/), async (args, id) => {
        const [message] = await dispatcher.chatCompletions([
          { id, type: 'function', function: { name: 'delete_user', arguments: args } },
        ]);
        expect(message?.tool_call_id).toBe(id);
        const denial = JSON.parse(message?.content ?? '');
        expect(denial.agentguard).toBe('refused');
        expect(['ERR_GUARD_POLICY_DENIED', 'ERR_GUARD_ARGS_INVALID']).toContain(denial.code);
        expect(fx.ran.delete_user).toBeUndefined();
      }),
      { numRuns: 60 },
    );
  });

  it('an allowed tool runs only on valid arguments; anything else is refused as ERR_GUARD_ARGS_INVALID', async () => {
    await fc.assert(
      fc.asyncProperty(argumentText, async (args) => {
        const before = fx.ran.add ?? 0;
        const [output] = await dispatcher.responses([
          { type: 'function_call', call_id: 'p1', name: 'add', arguments: args },
        ]);
        const text = output?.output ?? '';
        const ran = (fx.ran.add ?? 0) - before;
        if (ran === 1) expect(Number.isFinite(Number(text))).toBe(true);
        else expect(JSON.parse(text)).toMatchObject({ code: 'ERR_GUARD_ARGS_INVALID', callId: 'p1' });
      }),
      { numRuns: 60 },
    );
  });
});
