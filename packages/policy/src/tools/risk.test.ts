import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parsePolicy } from '../document/parse.js';
import { createPolicyEngine } from '../engine/engine.js';
import { RISK_TIERS, type RiskTier, runsWithoutApproval, toolRiskTier } from './risk.js';

describe('toolRiskTier', () => {
  it.each<[string, Parameters<typeof toolRiskTier>[0], RiskTier]>([
    ['no declarations', { name: 'echo' }, 'low'],
    ['read tag', { name: 'list', tags: ['read'] }, 'low'],
    ['write tag', { name: 'save', tags: ['write'] }, 'medium'],
    ['payment tag', { name: 'pay', tags: ['payment'] }, 'high'],
    ['delete tag', { name: 'rm', tags: ['delete'] }, 'high'],
    ['pii label', { name: 'crm', labels: ['reads:pii'] }, 'medium'],
    ['secrets label', { name: 'vault', labels: ['reads:secrets'] }, 'high'],
    ['sensitive', { name: 's', sensitive: true }, 'high'],
    ['pii out', { name: 'export', labels: ['reads:pii', 'egress'] }, 'critical'],
    ['secrets to external', { name: 'x', labels: ['reads:secrets'], tags: ['external'] }, 'critical'],
    ['override down', { name: 'pay', tags: ['payment'], risk: 'low' }, 'low'],
    ['override up', { name: 'echo', risk: 'critical' }, 'critical'],
    ['unknown tag', { name: 'x', tags: ['__proto__', 'constructor'] }, 'low'],
  ])('%s', (_name, tool, tier) => {
    expect(toolRiskTier(tool).tier).toBe(tier);
  });

  it('raises a high tool that runs in-process without approval to critical', () => {
    const allow = parsePolicy({ version: 1, rules: [{ id: 'a', effect: 'allow', tools: ['pay'] }] });
    const approve = parsePolicy({
      version: 1,
      rules: [
        { id: 'a', effect: 'allow', tools: ['pay'] },
        { id: 'b', effect: 'require_approval', tools: ['pay'] },
      ],
    });
    expect(toolRiskTier({ name: 'pay', tags: ['payment'] }, { policy: allow }).tier).toBe('critical');
    expect(toolRiskTier({ name: 'pay', tags: ['payment'], isolation: 'process' }, { policy: allow }).tier).toBe('high');
    expect(toolRiskTier({ name: 'pay', tags: ['payment'] }, { policy: approve }).tier).toBe('high');
  });

  it('counts monitor mode and monitor-mode approval rules as running without approval', () => {
    const monitor = parsePolicy({ version: 1, mode: 'monitor', rules: [] });
    expect(runsWithoutApproval(monitor, { name: 'pay' })).toBe(true);
    const ruleMonitor = parsePolicy({
      version: 1,
      rules: [{ id: 'b', effect: 'require_approval', tools: ['pay'], mode: 'monitor' }],
    });
    expect(runsWithoutApproval(ruleMonitor, { name: 'pay' })).toBe(true);
    expect(runsWithoutApproval(parsePolicy({ version: 1, rules: [] }), { name: 'pay' })).toBe(false);
  });

  it('refuses a tier or isolation outside the closed sets', () => {
    expect(() => toolRiskTier({ name: 'x', risk: 'extreme' as RiskTier })).toThrow(TypeError);
    expect(() => toolRiskTier({ name: 'x', isolation: 'vm' as 'none' })).toThrow(TypeError);
    expect(() => toolRiskTier(null as never)).toThrow(TypeError);
  });

  it('never lowers the tier when a declaration is added (property)', () => {
    const words = fc.constantFrom(
      'read',
      'write',
      'delete',
      'payment',
      'external',
      'reads:pii',
      'reads:secrets',
      'egress',
    );
    fc.assert(
      fc.property(fc.array(words), fc.array(words), fc.boolean(), (tags, labels, sensitive) => {
        const base = toolRiskTier({ name: 't', tags, labels }).tier;
        const more = toolRiskTier({ name: 't', tags: [...tags, 'write'], labels, sensitive }).tier;
        expect(RISK_TIERS.indexOf(more)).toBeGreaterThanOrEqual(RISK_TIERS.indexOf(base));
      }),
    );
  });
});

describe('rules match on tiers', () => {
  const engine = createPolicyEngine({
    version: 1,
    rules: [
      { id: 'allow-low', effect: 'allow', tools: ['*'], tiers: ['low', 'medium'] },
      { id: 'deny-critical', effect: 'deny', tools: ['*'], tiers: ['critical'] },
    ],
  });
  const agent = { id: 'did:key:z6MkA', name: 'bot' };
  it('allows by tier and denies by tier', async () => {
    expect((await engine.decide({ agent, tool: { name: 'x', tier: 'low' }, args: {} })).effect).toBe('allow');
    expect((await engine.decide({ agent, tool: { name: 'x', tier: 'high' }, args: {} })).effect).toBe('deny');
    expect((await engine.decide({ agent, tool: { name: 'x', tier: 'critical' }, args: {} })).ruleId).toBe(
      'deny-critical',
    );
  });
  it('fails closed on an unknown or invalid tier', async () => {
    const unknown = await engine.decide({ agent, tool: { name: 'x' }, args: {} });
    expect(unknown).toMatchObject({ effect: 'deny', ruleId: 'deny-critical' });
    const bad = await engine.decide({ agent, tool: { name: 'x', tier: 'bogus' as RiskTier }, args: {} });
    expect(bad.effect).toBe('deny');
  });
  it('rejects a policy naming a tier that does not exist', () => {
    expect(() =>
      parsePolicy({ version: 1, rules: [{ id: 'a', effect: 'allow', tools: ['*'], tiers: ['huge'] }] }),
    ).toThrow();
  });
});
