import { describe, expect, it } from 'vitest';
import { createPolicyEngine } from '../engine/engine.js';
import { readOnlyPreset } from './preset.js';

const agent = { id: 'did:key:z6MkAgent', name: 'new-agent' };

describe('readOnlyPreset', () => {
  const engine = createPolicyEngine(readOnlyPreset());
  it.each<[readonly string[] | undefined, string]>([
    [['read'], 'allow'],
    [['read', 'pii'], 'allow'],
    [['read', 'write'], 'deny'],
    [['read', 'destructive'], 'deny'],
    [['write'], 'deny'],
    [[], 'deny'],
    [undefined, 'deny'],
  ])('tags %j -> %s', async (tags, effect) => {
    const tool = tags === undefined ? { name: 'tool' } : { name: 'tool', tags };
    expect((await engine.decide({ agent, tool, args: {} })).effect).toBe(effect);
  });
  it('passes the restraint self-test and can start in monitor mode', async () => {
    const monitored = createPolicyEngine(readOnlyPreset({ mode: 'monitor' }));
    const d = await monitored.decide({ agent, tool: { name: 'rm', tags: ['destructive'] }, args: {} });
    expect(d).toMatchObject({ effect: 'allow', wouldDeny: true });
  });
});
