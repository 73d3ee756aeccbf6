import { describe, expect, it } from 'vitest';
import { allow, definePolicy, deny, requireApproval } from './builder.js';
import { parsePolicy } from './parse.js';

describe('definePolicy', () => {
  it('produces the same JSON a policy file holds', () => {
    const built = definePolicy({
      id: 'support',
      rules: [
        allow('read', { tools: 'read_*' }),
        deny('no-delete', { tools: ['delete_*', 'drop_*'], reason: 'never' }),
        requireApproval('refund', { tools: 'refund', agents: 'support-*' }),
      ],
    });
    const json = {
      version: 1,
      id: 'support',
      rules: [
        { id: 'read', effect: 'allow', tools: ['read_*'] },
        { id: 'no-delete', effect: 'deny', tools: ['delete_*', 'drop_*'], reason: 'never' },
        { id: 'refund', effect: 'require_approval', tools: ['refund'], agents: ['support-*'] },
      ],
    };
    expect(built).toEqual(json);
    expect(JSON.parse(JSON.stringify(built))).toEqual(parsePolicy(json));
  });

  it('omits options left undefined, so the result stays valid JSON', () => {
    const built = definePolicy({ rules: [allow('a', { tools: 'x', reason: undefined as unknown as string })] });
    expect(Object.keys(built.rules[0] ?? {})).toEqual(['id', 'effect', 'tools']);
  });

  it('validates like parsePolicy', () => {
    expect(() => definePolicy({ rules: [allow('a', { tools: 'x' }), deny('a', { tools: 'y' })] })).toThrow(
      /rules\[1\]\.id: duplicate id/,
    );
    expect(() => allow(1 as unknown as string, { tools: 'x' })).toThrow(TypeError);
    expect(() => definePolicy(null as never)).toThrow(TypeError);
  });
});
